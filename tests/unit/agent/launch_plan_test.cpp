// LaunchPlan: a profile's command with hooks, a session started or resumed, the instructions
// flag and extra arguments; Claude Code's hooks overlay.
#include "agent/launch_plan.h"
#include "agent/permission.h"

#include <regex>

#include <gtest/gtest.h>

namespace bosun {
namespace {

Profile profile_of(const char* name) {
  auto p = load_profile(name, {});
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? *p : Profile{};
}

using Argv = std::vector<std::string>;

TEST(LaunchPlan, ClaudeGetsHooksASessionItsRoleAndExtraArgs) {
  LaunchInputs in;
  in.role_file = "/s/agents/kai/instructions.md";
  in.hooks_file = "/s/agents/kai/claude-settings.json";
  in.session_id = "0b7f6c1e-8a3d-4c2b-9f00-1234567890ab";
  in.args = {"--model", "opus"};
  in.mcp = {"--mcp-config", "/s/agents/kai/mcp.json", "--allowedTools", "mcp__bosun"};
  auto argv = interactive_argv(profile_of("claude"), in);
  ASSERT_TRUE(argv) << argv.error().message;
  // The variadic --allowedTools is followed by a flag, never by a word it would swallow.
  EXPECT_EQ(*argv, (Argv{"claude", "--permission-mode", "default", "--settings", in.hooks_file,
                         "--mcp-config", "/s/agents/kai/mcp.json", "--allowedTools", "mcp__bosun",
                         "--session-id", in.session_id, "--append-system-prompt-file", in.role_file,
                         "--model", "opus"}));
  in.resume = true;
  argv = interactive_argv(profile_of("claude"), in);
  ASSERT_TRUE(argv);
  EXPECT_EQ((*argv)[9], "--resume");
  EXPECT_EQ((*argv)[10], in.session_id);
}

TEST(LaunchPlan, ClaudeMcpConfigNamesTheEndpointAndTakesTheTokenFromTheEnvironment) {
  Profile claude = profile_of("claude");
  EXPECT_EQ(claude.mcp.config, "claude");
  EXPECT_EQ(claude.mcp.args, (Argv{"--mcp-config", "{mcp_file}", "--allowedTools", "mcp__bosun"}));
  Json config = claude_mcp_config("http://127.0.0.1:7777/mcp");
  const Json& server = config["mcpServers"]["bosun"];
  EXPECT_EQ(server["type"], "http");
  EXPECT_EQ(server["url"], "http://127.0.0.1:7777/mcp");
  // No token is written down: Claude Code expands the variable from the agent's environment.
  EXPECT_EQ(server["headers"]["Authorization"], "Bearer ${BOSUN_TOKEN}");
}

TEST(LaunchPlan, OpencodeGetsItsMcpConfigInAVariableItMergesWithTheUsersOwn) {
  Profile opencode = profile_of("opencode");
  EXPECT_EQ(opencode.mcp.config, "opencode");
  EXPECT_EQ(opencode.mcp.env, "OPENCODE_CONFIG_CONTENT");
  EXPECT_TRUE(opencode.mcp.args.empty());
  const Json server = opencode_mcp_config("http://127.0.0.1:7777/mcp")["mcp"]["bosun"];
  EXPECT_EQ(server["type"], "remote");
  EXPECT_EQ(server["url"], "http://127.0.0.1:7777/mcp");
  EXPECT_EQ(server["headers"]["Authorization"], "Bearer {env:BOSUN_TOKEN}");
  auto bad = parse_profile("name: x\ninteractive: [x]\nmcp: {config: vscode}\n", "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("mcp.config must be claude, opencode, gemini or none"),
            std::string::npos)
      << bad.error().message;
  bad = parse_profile("name: x\ninteractive: [x]\nmcp: {config: none, env: 'A B'}\n", "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("mcp.env must be a variable name"), std::string::npos);
  bad = parse_profile("name: x\ninteractive: [x]\nmcp: {config: gemini, env: A, file_env: B}\n",
                      "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not both"), std::string::npos) << bad.error().message;
}

TEST(LaunchPlan, GeminiGetsASettingsFileByNameAndCodexTwoConfigOverrides) {
  Profile gemini = profile_of("gemini");
  EXPECT_EQ(gemini.mcp.config, "gemini");
  EXPECT_EQ(gemini.mcp.file_env, "GEMINI_CLI_SYSTEM_DEFAULTS_PATH");
  EXPECT_TRUE(gemini.mcp.env.empty());
  const Json server = gemini_mcp_config("http://127.0.0.1:7777/mcp")["mcpServers"]["bosun"];
  EXPECT_EQ(server["httpUrl"], "http://127.0.0.1:7777/mcp");
  EXPECT_EQ(server["headers"]["Authorization"], "Bearer ${BOSUN_TOKEN}");
  EXPECT_EQ(server["trust"], true);
  Profile codex = profile_of("codex");
  EXPECT_EQ(codex.mcp.config, "none");
  auto args = expand_argv(codex.mcp.args, {{"mcp_url", "http://127.0.0.1:7777/mcp"}});
  ASSERT_TRUE(args);
  EXPECT_EQ(*args, (Argv{"-c", "mcp_servers.bosun.url=\"http://127.0.0.1:7777/mcp\"", "-c",
                         "mcp_servers.bosun.bearer_token_env_var=\"BOSUN_TOKEN\""}));
}

TEST(LaunchPlan, WhatIsNotThereIsLeftOut) {
  auto argv = interactive_argv(profile_of("claude"), LaunchInputs{});
  ASSERT_TRUE(argv);
  EXPECT_EQ(*argv, (Argv{"claude", "--permission-mode", "default"}));
  // Codex has an optional {prompt} and takes its role as a first message.
  LaunchInputs in;
  in.role_file = "/r.md";
  argv = interactive_argv(profile_of("codex"), in);
  ASSERT_TRUE(argv);
  // No policy is `ask`: Codex asks on request.
  EXPECT_EQ(*argv, (Argv{"codex", "--no-daemon", "--ask-for-approval", "on-request"}));
}

TEST(LaunchPlan, EachPermissionPolicyIsTheCliOwnSetting) {
  LaunchInputs in;
  in.permission = "edits";
  EXPECT_EQ(*interactive_argv(profile_of("claude"), in),
            (Argv{"claude", "--permission-mode", "acceptEdits"}));
  EXPECT_EQ(*interactive_argv(profile_of("gemini"), in),
            (Argv{"gemini", "--approval-mode", "auto_edit"}));
  in.permission = "unattended";
  EXPECT_EQ(*interactive_argv(profile_of("claude"), in),
            (Argv{"claude", "--dangerously-skip-permissions"}));
  EXPECT_EQ(*interactive_argv(profile_of("codex"), in),
            (Argv{"codex", "--no-daemon", "--dangerously-bypass-approvals-and-sandbox"}));
  // opencode takes its permissions from the environment, not the command line.
  EXPECT_EQ(*interactive_argv(profile_of("opencode"), in), (Argv{"opencode"}));
  Profile opencode = profile_of("opencode");
  const auto* mode = permission_mode(opencode, "unattended");
  ASSERT_NE(mode, nullptr);
  EXPECT_NE(mode->env.at("OPENCODE_PERMISSION").find("\"bash\":\"allow\""), std::string::npos);
}

TEST(LaunchPlan, ARolesModelAndToolsReachTheCliThatTakesThem) {
  LaunchInputs in;
  in.model = "sonnet";
  in.tools = "Read,Grep,Bash";
  EXPECT_EQ(*interactive_argv(profile_of("claude"), in),
            (Argv{"claude", "--permission-mode", "default", "--model", "sonnet", "--tools",
                  "Read,Grep,Bash"}));
  // Codex takes a model, not a list of tools.
  EXPECT_EQ(
      *interactive_argv(profile_of("codex"), in),
      (Argv{"codex", "--no-daemon", "--ask-for-approval", "on-request", "--model", "sonnet"}));
  // A shell takes neither.
  in.bosun_exe = "/b";
  in.shell = "/bin/sh";
  EXPECT_EQ(*interactive_argv(profile_of("shell"), in), (Argv{"/bin/sh"}));
}

TEST(LaunchPlan, UnattendedNeedsASandboxAndAProfileThatCanSayIt) {
  SandboxPolicy none;
  SandboxPolicy bwrap{SandboxKind::kBwrap, SandboxNetwork::kOn};
  Profile claude = profile_of("claude");
  Profile shell = profile_of("shell");
  EXPECT_TRUE(check_permission("", none, &claude));
  EXPECT_TRUE(check_permission("ask", none, &shell));
  EXPECT_TRUE(check_permission("edits", none, &claude));
  EXPECT_EQ(check_permission("unattended", none, &claude).error().code, "unattended_needs_sandbox");
  EXPECT_TRUE(check_permission("unattended", bwrap, &claude));
  EXPECT_EQ(check_permission("yolo", bwrap, &claude).error().code, "invalid_permission");
  EXPECT_EQ(check_permission("edits", none, &shell).error().code, "permission_unsupported");
  EXPECT_EQ(check_permission("unattended", bwrap, nullptr).error().code, "permission_unsupported");
}

TEST(LaunchPlan, ShellAndSimUseTheirPlaceholders) {
  LaunchInputs in;
  in.shell = "/bin/zsh";
  in.bosun_exe = "/opt/bosun";
  in.role_file = "/r.md";
  EXPECT_EQ(*interactive_argv(profile_of("shell"), in), (Argv{"/bin/zsh"}));
  EXPECT_EQ(*interactive_argv(profile_of("sim"), in),
            (Argv{"/opt/bosun", "sim-agent", "--role-file", "/r.md"}));
  in.bosun_exe.clear();
  auto bad = interactive_argv(profile_of("sim"), in);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_profile");
}

TEST(LaunchPlan, ClaudeHookSettingsRunBosunForEveryStateEvent) {
  Json settings = claude_hook_settings("/opt/it's here/bosun");
  for (const char* event : {"UserPromptSubmit", "PreToolUse", "PermissionRequest", "Stop",
                            "StopFailure", "Notification", "SessionStart"}) {
    ASSERT_TRUE(settings["hooks"].contains(event)) << event;
    const Json& handler = settings["hooks"][event][0]["hooks"][0];
    EXPECT_EQ(handler["type"], "command");
    // One shell word, whatever the path holds.
    EXPECT_EQ(handler["command"], "'/opt/it'\\''s here/bosun' hook claude");
  }
}

TEST(LaunchPlan, UuidsAreVersion4) {
  std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::string a = new_uuid();
  EXPECT_TRUE(std::regex_match(a, v4)) << a;
  EXPECT_NE(a, new_uuid());
}

}  // namespace
}  // namespace bosun
