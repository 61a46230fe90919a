// StepLoops: counting writes per file and failures per command.
#include "crew/step_loops.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "util/text.h"

namespace bosun {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool writes_files(const std::string& tool) {
  std::string t = lower(tool);
  return t.find("write") != std::string::npos || t.find("edit") != std::string::npos ||
         t == "apply_patch" || t == "replace";
}

// The first of `keys` that holds a non-empty string.
std::string first_string(const Json& input, std::initializer_list<const char*> keys) {
  if (!input.is_object()) return {};
  for (const char* k : keys) {
    auto it = input.find(k);
    if (it != input.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      return it->get<std::string>();
    }
  }
  return {};
}

// The command a shell tool runs, as one line (an argv is joined with spaces).
std::string command_of(const Json& input) {
  if (!input.is_object()) return {};
  auto it = input.find("command");
  if (it == input.end()) it = input.find("cmd");
  if (it == input.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return {};
  std::string out;
  for (const auto& a : *it) {
    if (!a.is_string()) continue;
    if (!out.empty()) out += ' ';
    out += a.get<std::string>();
  }
  return out;
}

}  // namespace

std::optional<std::string> StepLoops::call(const std::string& id, const std::string& tool,
                                           const Json& input) {
  if (std::string cmd = command_of(input); !cmd.empty()) {
    commands_[id] = cmd;
    return std::nullopt;
  }
  if (!writes_files(tool)) return std::nullopt;
  std::string file = first_string(input, {"file_path", "filePath", "path", "notebook_path"});
  if (file.empty()) return std::nullopt;
  int n = ++writes_[file];
  if (n <= limits_.max_rewrites) return std::nullopt;
  return fmt::format("it wrote {} {} times in this attempt (more than {}) without a gate passing",
                     file, n, limits_.max_rewrites);
}

std::optional<std::string> StepLoops::result(const std::string& id, bool is_error) {
  auto it = commands_.find(id);
  if (it == commands_.end()) return std::nullopt;
  std::string cmd = std::move(it->second);
  commands_.erase(it);
  if (!is_error) {
    failures_.erase(cmd);  // it works now: what failed before was worked on
    return std::nullopt;
  }
  int n = ++failures_[cmd];
  if (n < limits_.max_failures) return std::nullopt;
  return fmt::format("it ran `{}` {} times in a row in this attempt and it failed each time",
                     first_line(cmd, 200), n);
}

std::optional<std::string> StepLoops::finished(const std::string& tool, const Json& input,
                                               bool is_error) {
  const std::string id = "finished";
  if (auto loop = call(id, tool, input)) return loop;
  return result(id, is_error);
}

}  // namespace bosun
