// LaunchPlan: the command line of an agent whose program comes from its profile — the
// profile's interactive template, its hooks settings, a native session started or resumed,
// the instructions flag and the spawn's own extra arguments.
#pragma once

#include <string>
#include <vector>

#include "agent/profile.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct LaunchInputs {
  std::string bosun_exe;          // {bosun}
  std::string shell;              // {shell}
  std::string role_file;          // {role_file}; "" leaves the instructions flag out
  std::string hooks_file;         // {hooks_file}; "" leaves the hooks flag out
  std::string session_id;         // {session_id}; "" when the profile cannot choose one
  bool resume = false;            // resume `session_id` instead of starting it
  std::string permission;         // the permission policy ("" is ask): its args follow the template
  std::string model;              // {model}: the role's model; "" leaves role_args.model out
  std::string tools;              // {tools}: the role's tools, comma-separated; "" leaves them out
  std::vector<std::string> mcp;   // the profile's mcp args, expanded (LaunchFiles::mcp_args)
  std::vector<std::string> args;  // appended as they are
};

// template + the permission policy's args + the role's model and tools + hooks args + mcp args +
// session (assign or resume) + instructions flag + args. 400 `missing_value` when a template needs
// a value that is not there.
Result<std::vector<std::string>> interactive_argv(const Profile& profile, const LaunchInputs& in);

// The Claude Code settings overlay (--settings) whose hooks forward every event that says
// something about the agent's state to `bosun hook claude`, run as `bosun_exe`.
Json claude_hook_settings(const std::string& bosun_exe);

// Claude Code's --mcp-config file for bosun's endpoint at `url`: the Authorization header is
// `Bearer ${BOSUN_TOKEN}`, which Claude Code fills from the agent's environment.
Json claude_mcp_config(const std::string& url);

// opencode's config to merge (OPENCODE_CONFIG_CONTENT) for bosun's endpoint at `url`: a remote
// server whose Authorization is `Bearer {env:BOSUN_TOKEN}`, which opencode fills in.
Json opencode_mcp_config(const std::string& url);

// Gemini CLI settings (a system-defaults file: the user's own settings win, and their
// mcpServers are merged with it) for bosun's endpoint at `url`: a streamable HTTP server whose
// Authorization is `Bearer ${BOSUN_TOKEN}`, which Gemini CLI fills in, trusted (its tools run
// without a confirmation).
Json gemini_mcp_config(const std::string& url);

// $SHELL, or /bin/bash.
std::string default_shell();

// A random version-4 UUID (Claude Code's --session-id wants one).
std::string new_uuid();

}  // namespace bosun
