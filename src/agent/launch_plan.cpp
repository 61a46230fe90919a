// LaunchPlan: profile templates expanded into an agent's argv, and Claude Code's hooks overlay.
#include "agent/launch_plan.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "util/ids.h"

namespace bosun {
namespace {

// The hook events whose JSON says something about the agent's state (hook_events.h) or its
// session id; the others would only cost a process each.
constexpr const char* kClaudeHookEvents[] = {
    "SessionStart",       "UserPromptSubmit",  "PreToolUse",   "PostToolUse",
    "PostToolUseFailure", "PermissionRequest", "Notification", "Stop",
    "StopFailure",        "SubagentStart",     "PreCompact",   "SessionEnd",
};

// `s` as one word for /bin/sh: Claude Code runs a command hook through a shell.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

Result<std::vector<std::string>> interactive_argv(const Profile& p, const LaunchInputs& in) {
  std::map<std::string, std::string> vars{{"bosun", in.bosun_exe},
                                          {"shell", in.shell},
                                          {"role_file", in.role_file},
                                          {"hooks_file", in.hooks_file},
                                          {"session_id", in.session_id}};
  std::vector<std::string> templ = p.interactive;
  auto add = [&templ](const std::vector<std::string>& more) {
    templ.insert(templ.end(), more.begin(), more.end());
  };
  if (!in.hooks_file.empty()) add(p.hooks.args);
  if (!in.session_id.empty()) add(in.resume ? p.session.resume : p.session.assign);
  if (p.instructions.how == "flag" && !in.role_file.empty()) add(p.instructions.args);
  // The program itself is never optional.
  auto program = expand_argv({templ.empty() ? std::string() : templ[0]}, vars);
  if (!program || program->size() != 1 || (*program)[0].empty()) {
    return bad_request("invalid_profile", "profile " + p.name + " gives no program to run");
  }
  auto argv = expand_argv(templ, vars);
  if (!argv) return argv;
  argv->insert(argv->end(), in.args.begin(), in.args.end());
  return argv;
}

Json claude_hook_settings(const std::string& bosun_exe) {
  Json handler{
      {"type", "command"}, {"command", shell_quote(bosun_exe) + " hook claude"}, {"timeout", 10}};
  Json hooks = Json::object();
  for (const char* event : kClaudeHookEvents) {
    hooks[event] = Json::array({Json{{"hooks", Json::array({handler})}}});
  }
  return Json{{"hooks", hooks}};
}

std::string default_shell() {
  const char* shell = std::getenv("SHELL");
  return shell && *shell ? shell : "/bin/bash";
}

std::string new_uuid() {
  std::string h = random_hex(16);
  h[12] = '4';
  const char variant[] = "89ab";
  h[16] = variant[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20, 12));
}

}  // namespace bosun
