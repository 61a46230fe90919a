// YamlReader: reads one YAML file's nodes for a loader (profiles, pipelines), turning every
// problem into "file:line:col: what" — a 400 with the loader's error code.
#pragma once

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "util/result.h"

namespace bosun {

class YamlReader {
 public:
  // `file` names the file in messages; `code` is the error code ("invalid_profile").
  YamlReader(const std::string& file, std::string code) : file_(file), code_(std::move(code)) {}

  std::string at(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.line < 0) return file_;
    return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
  }
  tl::unexpected<Error> bad(const YAML::Node& node, const std::string& what) const {
    return tl::unexpected(Error{ErrorKind::kInvalid, code_, at(node) + ": " + what});
  }

  // Every key of `map` must be one of `allowed`.
  Status keys(const YAML::Node& map, const std::string& what,
              std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) return bad(map, what + " must be a mapping");
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed)
          list += (list.empty() ? "" : ", ") + std::string(a);
        return bad(kv.first, fmt::format("unknown key '{}' in {} (known: {})", key, what, list));
      }
    }
    return {};
  }

  Result<std::string> str(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return bad(node, what + " must be a string");
    return node.Scalar();
  }

  Result<int> integer(const YAML::Node& node, const std::string& what, int lo, int hi) const {
    if (node.IsScalar()) {
      try {
        size_t used = 0;
        long long v = std::stoll(node.Scalar(), &used);
        if (used == node.Scalar().size() && v >= lo && v <= hi) return static_cast<int>(v);
      } catch (const std::exception&) {
      }
    }
    return bad(node, fmt::format("{} must be a whole number from {} to {}", what, lo, hi));
  }

  Result<double> number(const YAML::Node& node, const std::string& what, double lo,
                        double hi) const {
    if (node.IsScalar()) {
      try {
        size_t used = 0;
        double v = std::stod(node.Scalar(), &used);
        if (used == node.Scalar().size() && v >= lo && v <= hi) return v;
      } catch (const std::exception&) {
      }
    }
    return bad(node, fmt::format("{} must be a number from {} to {}", what, lo, hi));
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& what) const {
    if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
      return node.Scalar() == "true";
    }
    return bad(node, what + " must be true or false");
  }

  // A string or a list of strings.
  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return out;
    }
    if (!node.IsSequence()) return bad(node, what + " must be a string or a list of strings");
    for (const auto& item : node) {
      if (!item.IsScalar()) return bad(item, what + " must hold only strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

 private:
  const std::string& file_;
  std::string code_;
};

}  // namespace bosun
