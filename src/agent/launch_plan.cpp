// LaunchPlan: profile templates expanded into an agent's argv, and Claude Code's hooks overlay.
#include "agent/launch_plan.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "agent/permission.h"
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
                                          {"session_id", in.session_id},
                                          {"model", in.model},
                                          {"tools", in.tools}};
  // template + hooks, then the mcp args (already expanded), then session and instructions.
  std::vector<std::string> head = p.interactive;
  if (const auto* mode = permission_mode(p, in.permission)) {
    head.insert(head.end(), mode->args.begin(), mode->args.end());
  }
  if (!in.model.empty())
    head.insert(head.end(), p.role_args.model.begin(), p.role_args.model.end());
  if (!in.tools.empty())
    head.insert(head.end(), p.role_args.tools.begin(), p.role_args.tools.end());
  if (!in.hooks_file.empty()) head.insert(head.end(), p.hooks.args.begin(), p.hooks.args.end());
  std::vector<std::string> tail;
  auto add = [&tail](const std::vector<std::string>& more) {
    tail.insert(tail.end(), more.begin(), more.end());
  };
  if (!in.session_id.empty()) add(in.resume ? p.session.resume : p.session.assign);
  if (p.instructions.how == "flag" && !in.role_file.empty()) add(p.instructions.args);
  // The program itself is never optional.
  auto program = expand_argv({head.empty() ? std::string() : head[0]}, vars);
  if (!program || program->size() != 1 || (*program)[0].empty()) {
    return bad_request("invalid_profile", "profile " + p.name + " gives no program to run");
  }
  auto argv = expand_argv(head, vars);
  if (!argv) return argv;
  auto rest = expand_argv(tail, vars);
  if (!rest) return rest;
  argv->insert(argv->end(), in.mcp.begin(), in.mcp.end());
  argv->insert(argv->end(), rest->begin(), rest->end());
  argv->insert(argv->end(), in.args.begin(), in.args.end());
  return argv;
}

namespace {

// {"<key>": {"bosun": {type, url, headers: {Authorization: "Bearer <token>"}}}}.
Json mcp_server(const char* key, const char* type, const std::string& url, const char* token) {
  return Json{{key,
               {{"bosun",
                 {{"type", type},
                  {"url", url},
                  {"headers", {{"Authorization", std::string("Bearer ") + token}}}}}}}};
}

}  // namespace

Json claude_mcp_config(const std::string& url) {
  return mcp_server("mcpServers", "http", url, "${BOSUN_TOKEN}");
}

Json opencode_mcp_config(const std::string& url) {
  return mcp_server("mcp", "remote", url, "{env:BOSUN_TOKEN}");
}

Json gemini_mcp_config(const std::string& url) {
  return Json{{"mcpServers",
               {{"bosun",
                 {{"httpUrl", url},
                  {"headers", {{"Authorization", "Bearer ${BOSUN_TOKEN}"}}},
                  {"trust", true},
                  {"description", "bosun: the crew's task board, mailbox and context"}}}}}};
}

Json claude_hook_settings(const std::string& bosun_exe) {
  Json handler{
      {"type", "command"}, {"command", shell_quote(bosun_exe) + " hook claude"}, {"timeout", 10}};
  Json hooks = Json::object();
  for (const char* event : kClaudeHookEvents) {
    hooks[event] = Json::array({Json{{"hooks", Json::array({handler})}}});
  }
  // The status line's JSON carries the context window (size, tokens, percent used): the
  // gauge's strongest signal. What the command prints is the line Claude Code shows.
  Json status_line{{"type", "command"},
                   {"command", shell_quote(bosun_exe) + " hook claude-status"},
                   {"padding", 0}};
  return Json{{"hooks", hooks}, {"statusLine", status_line}};
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
