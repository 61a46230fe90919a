// Role: a Markdown file whose body is an agent's instructions, with optional YAML front matter
// (Claude Code's subagent keys `name`, `description`, `tools`, `model`, plus bosun's
// `domains`, `permanent`, `profile`, `sandbox`, `permission`, `reset_after_tasks`,
// `reset_after`, `heartbeat`, `stuck_after`). Looked up in `<project>/.bosun/roles/` then
// `<project>/.claude/agents/`.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/sandbox.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct Role {
  std::string name;  // front matter `name`, else the file's stem
  std::string description;
  std::vector<std::string> tools;
  std::string model;
  std::vector<std::string> domains;  // paths the role may change; empty: anywhere
  std::optional<bool> permanent;
  std::optional<std::string> profile;
  std::optional<SandboxPolicy> sandbox;   // `sandbox: bwrap` or {kind, network}
  std::optional<std::string> permission;  // ask | edits | unattended
  // Supervisor overrides, as the supervisor's configuration spells them ("10m", 5).
  Json supervisor = Json::object();
  std::string body;   // the instructions
  std::string file;   // where it was read
  int body_line = 1;  // the body's first line in the file
  Json to_json(bool with_body) const;
};

// Parses one role file's text. Errors are 422 `invalid_role` with "FILE:LINE[:COL]: what".
Result<Role> parse_role(const std::string& text, const std::string& file);

// The role folders of a project, in lookup order.
std::vector<std::filesystem::path> role_dirs(const std::filesystem::path& project);

struct RoleEntry {
  std::string name;
  std::string file;
  std::optional<Role> role;    // parsed
  std::optional<Error> error;  // or why not
  bool shadowed = false;       // a same-named role earlier in the lookup order wins
};

// Every `*.md` role file of the project (`.bosun/roles/` first), sorted by name within each
// folder. A broken file is listed with its error, never hidden.
std::vector<RoleEntry> list_roles(const std::filesystem::path& project);

// The role named `name` (front matter name or file stem); 404 `role_not_found`, or the
// file's parse error.
Result<Role> find_role(const std::filesystem::path& project, const std::string& name);

}  // namespace bosun
