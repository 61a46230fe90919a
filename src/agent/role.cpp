// Role: front matter with yaml-cpp (positions shifted to the file's lines), body as it is.
#include "agent/role.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/permission.h"
#include "util/duration.h"
#include "util/files.h"
#include "util/yaml_json.h"

namespace bosun {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxRoleBytes = 1 << 20;

Error bad(const std::string& where, const std::string& what) {
  return Error{ErrorKind::kUnprocessable, "invalid_role", where + ": " + what};
}

struct Where {
  const std::string& file;
  int first_line;  // the file line of the front matter's first line
  std::string at(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.line < 0) return fmt::format("{}:{}", file, first_line);
    return fmt::format("{}:{}:{}", file, first_line + mark.line, mark.column + 1);
  }
};

std::string trim(std::string s) {
  auto notspace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notspace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notspace).base(), s.end());
  return s;
}

// A list given as a YAML sequence or as "a, b, c".
Result<std::vector<std::string>> string_list(const Where& w, const YAML::Node& node,
                                             const std::string& key) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (node.IsScalar()) {
    std::stringstream in(node.Scalar());
    std::string item;
    while (std::getline(in, item, ',')) {
      item = trim(item);
      if (!item.empty()) out.push_back(item);
    }
    return out;
  }
  if (!node.IsSequence()) {
    return tl::unexpected(bad(w.at(node), key + " must be a list (or a comma-separated string)"));
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) return tl::unexpected(bad(w.at(item), key + " items must be strings"));
    out.push_back(item.Scalar());
  }
  return out;
}

Result<std::string> scalar(const Where& w, const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return tl::unexpected(bad(w.at(node), key + " must be a string"));
  return node.Scalar();
}

Status read_front_matter(const Where& w, const YAML::Node& root, Role& role) {
  if (root.IsNull()) return {};
  if (!root.IsMap()) {
    return tl::unexpected(bad(w.at(root), "front matter must be a mapping of keys to values"));
  }
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "name" || key == "description" || key == "model" || key == "profile") {
      auto s = scalar(w, v, key);
      if (!s) return tl::unexpected(s.error());
      if (key == "name") role.name = *s;
      if (key == "description") role.description = *s;
      if (key == "model") role.model = *s;
      if (key == "profile") role.profile = *s;
    } else if (key == "tools" || key == "domains") {
      auto list = string_list(w, v, key);
      if (!list) return tl::unexpected(list.error());
      (key == "tools" ? role.tools : role.domains) = *list;
    } else if (key == "sandbox") {
      auto policy = parse_sandbox(node_json(v));
      if (!policy) return tl::unexpected(bad(w.at(v), policy.error().message));
      role.sandbox = *policy;
    } else if (key == "permission") {
      if (!v.IsScalar() || !is_permission_policy(v.Scalar())) {
        return tl::unexpected(bad(w.at(v), "permission must be ask, edits or unattended"));
      }
      role.permission = v.Scalar();
    } else if (key == "permanent") {
      if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false")) {
        return tl::unexpected(bad(w.at(v), "permanent must be true or false"));
      }
      role.permanent = v.Scalar() == "true";
    } else if (key == "reset_after_tasks" || key == "recover_reassigns") {
      int64_t n = -1;
      try {
        size_t used = 0;
        if (v.IsScalar()) n = std::stoll(v.Scalar(), &used);
        if (!v.IsScalar() || used != v.Scalar().size()) n = -1;
      } catch (const std::exception&) {
        n = -1;
      }
      if (n < 0) {
        return tl::unexpected(bad(w.at(v), key + " must be a whole number"));
      }
      role.supervisor[key] = n;
    } else if (key == "reset_after" || key == "heartbeat" || key == "stuck_after" ||
               key == "recover_step") {
      if (!v.IsScalar()) return tl::unexpected(bad(w.at(v), key + " must be a duration"));
      auto d = parse_duration(v.Scalar());
      if (!d) return tl::unexpected(bad(w.at(v), key + ": " + d.error().message));
      role.supervisor[key] = v.Scalar();
    }
    // Other keys (Claude Code's `color`, `skills`, …) belong to other tools: kept out of the
    // way, not refused.
  }
  return {};
}

}  // namespace

Json Role::to_json(bool with_body) const {
  Json j{{"name", name},
         {"description", description},
         {"tools", tools},
         {"model", model},
         {"domains", domains},
         {"permanent", permanent ? Json(*permanent) : Json()},
         {"profile", profile ? Json(*profile) : Json()},
         {"sandbox", sandbox ? sandbox->to_json() : Json()},
         {"permission", permission ? Json(*permission) : Json()},
         {"supervisor", supervisor},
         {"file", file}};
  if (with_body) j["body"] = body;
  return j;
}

Result<Role> parse_role(const std::string& text, const std::string& file) {
  Role role;
  role.file = file;
  role.name = fs::path(file).stem().string();
  std::string_view rest = text;
  if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);  // a BOM
  bool fenced = rest.substr(0, 4) == "---\n" || rest.substr(0, 5) == "---\r\n" || rest == "---";
  if (!fenced) {
    role.body = std::string(rest);
    return role;
  }
  // The closing fence: a line that is exactly "---" (or "...").
  size_t pos = rest.find('\n') + 1;
  int line = 2;
  size_t close = std::string_view::npos, after = rest.size();
  while (pos < rest.size()) {
    size_t end = rest.find('\n', pos);
    std::string_view l =
        rest.substr(pos, end == std::string_view::npos ? rest.size() - pos : end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l == "---" || l == "...") {
      close = pos;
      after = end == std::string_view::npos ? rest.size() : end + 1;
      break;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
    ++line;
  }
  if (close == std::string_view::npos) {
    return tl::unexpected(
        bad(file + ":1", "front matter opened with '---' is never closed by a '---' line"));
  }
  size_t open_end = rest.find('\n') + 1;
  std::string yaml(rest.substr(open_end, close - open_end));
  Where w{file, 2};
  try {
    YAML::Node root = YAML::Load(yaml);
    if (auto st = read_front_matter(w, root, role); !st) return tl::unexpected(st.error());
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.line >= 0
                            ? fmt::format("{}:{}:{}", file, 2 + e.mark.line, e.mark.column + 1)
                            : file + ":2";
    return tl::unexpected(bad(where, "front matter is not valid YAML: " + e.msg));
  }
  if (role.name.empty()) role.name = fs::path(file).stem().string();
  role.body = std::string(rest.substr(after));
  role.body_line = line + 1;
  return role;
}

std::vector<fs::path> role_dirs(const fs::path& project) {
  return {project / ".bosun" / "roles", project / ".claude" / "agents"};
}

std::vector<RoleEntry> list_roles(const fs::path& project) {
  std::vector<RoleEntry> out;
  for (const auto& dir : role_dirs(project)) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".md" && it->is_regular_file(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      RoleEntry e;
      e.file = f.string();
      e.name = f.stem().string();
      std::error_code size_ec;
      auto size = fs::file_size(f, size_ec);
      auto text =
          size_ec || size > kMaxRoleBytes
              ? Result<std::string>(tl::unexpected(bad(e.file, "role files are limited to 1 MiB")))
              : read_file(e.file);
      if (!text) {
        e.error = text.error();
      } else if (auto role = parse_role(*text, e.file)) {
        e.name = role->name;
        e.role = std::move(*role);
      } else {
        e.error = role.error();
      }
      e.shadowed = std::any_of(out.begin(), out.end(),
                               [&](const RoleEntry& o) { return o.name == e.name && !o.shadowed; });
      out.push_back(std::move(e));
    }
  }
  return out;
}

Result<Role> find_role(const fs::path& project, const std::string& name) {
  for (auto& e : list_roles(project)) {
    if (e.name != name || e.shadowed) continue;
    if (e.error) return tl::unexpected(*e.error);
    return std::move(*e.role);
  }
  return not_found("role_not_found",
                   fmt::format("no role {} in {}/.bosun/roles or {}/.claude/agents", name,
                               project.string(), project.string()));
}

}  // namespace bosun
