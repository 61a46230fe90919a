// Claude Code hooks: `bosun hook claude`, run inside an agent as Claude Code's hooks run it,
// forwards the hook JSON; the agent's state follows with source `hook`, and weaker signals
// (its own output) do not override it.
#include <gtest/gtest.h>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

// Runs `bosun hook claude` inside the agent with `json` on its stdin.
void hook(TestDaemon& d, const std::string& agent, const std::string& json) {
  std::string line = "printf '%s' '" + json + "' | " + BOSUN_BINARY + " hook claude --strict";
  ASSERT_EQ(
      d.post("/api/v1/agents/" + agent + "/input", Json{{"data", line}, {"submit", true}}).status,
      200);
}

std::optional<Json> state_event(EventWaiter& events, const std::string& id,
                                const std::string& state) {
  return events.wait_for("agent.state", id, [&](const Json& e) {
    return e["state"] == state && e["source"] == "hook";
  });
}

TEST(Hooks, ClaudeHookEventsDriveTheStateWithSourceHook) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  Json agent = spawn(d, "cc", kBash);
  std::string id = agent["id"];

  // A person may forward one too, naming the agent; the reply says what the agent is now.
  // (The agent is already working from its own output, so no agent.state event: the source
  // of the same state changed.)
  auto prompt =
      http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=cc",
                   R"({"hook_event_name":"UserPromptSubmit","session_id":"s1"})", d.auth_header());
  ASSERT_EQ(prompt.status, 200) << prompt.body;
  EXPECT_EQ(prompt.json()["state"], "working") << prompt.body;
  EXPECT_EQ(prompt.json()["state_source"], "hook") << prompt.body;

  hook(d, "cc", R"({"hook_event_name":"PermissionRequest","tool_name":"Bash","session_id":"s1"})");
  auto waiting = state_event(events, id, "waiting_input");
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ((*waiting)["data"]["detail"], "permission for Bash") << waiting->dump();
  // The shell's own output (a weaker signal) does not move it off waiting_input.
  ASSERT_EQ(
      d.post("/api/v1/agents/cc/input", Json{{"data", "echo noise"}, {"submit", true}}).status,
      200);
  std::string seen;
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/agents/" + id + "/terminal", d.auth_header()));
  ASSERT_TRUE(terminal_until(ws, seen, "noise\r\n"));
  auto shown = d.get("/api/v1/agents/cc").json();
  EXPECT_EQ(shown["state"], "waiting_input") << shown;
  EXPECT_EQ(shown["state_source"], "hook");

  hook(d, "cc", R"({"hook_event_name":"Stop","session_id":"s1","background_tasks":[]})");
  ASSERT_TRUE(state_event(events, id, "idle").has_value());

  hook(
      d, "cc",
      R"({"hook_event_name":"StopFailure","error":"rate_limit","last_assistant_message":"API Error: Rate limit reached"})");
  auto limited = state_event(events, id, "rate_limited");
  ASSERT_TRUE(limited.has_value());
  EXPECT_NE((*limited)["data"]["detail"].get<std::string>().find("Rate limit reached"),
            std::string::npos);
}

TEST(Hooks, BadHookInputIsRefusedAndChangesNothing) {
  TestDaemon d;
  d.start();
  Json agent = spawn(d, "cc", kBash);
  auto raw = [&](const std::string& target, const std::string& body) {
    return http_request(d.address(), "POST", target, body, d.auth_header());
  };
  EXPECT_EQ(raw("/api/v1/hooks/claude", R"({"hook_event_name":"Stop"})").status, 400);  // no agent
  EXPECT_EQ(raw("/api/v1/hooks/claude?agent=cc", "{not json").status, 400);
  EXPECT_EQ(raw("/api/v1/hooks/claude?agent=cc", R"({"hook_event_name":5})").status, 400);
  EXPECT_EQ(raw("/api/v1/hooks/claude?agent=nobody", R"({"hook_event_name":"Stop"})").status, 404);
  auto other = raw("/api/v1/hooks/claude?agent=cc", R"({"hook_event_name":"SessionStart"})");
  EXPECT_EQ(other.status, 200);
  EXPECT_FALSE(other.json()["changed"].get<bool>());  // says nothing about the state
  EXPECT_NE(d.get("/api/v1/agents/cc").json()["state_source"], "hook");
  // A hook from an earlier run of the agent (this is its first) arrived late: it changes
  // neither the state nor the session a restart would resume.
  auto stale = raw("/api/v1/hooks/claude?agent=cc&run=0",
                   R"({"hook_event_name":"UserPromptSubmit","session_id":"old"})");
  ASSERT_EQ(stale.status, 200) << stale.body;
  EXPECT_TRUE(stale.json().value("stale", false)) << stale.body;
  EXPECT_FALSE(stale.json()["changed"].get<bool>());
  EXPECT_NE(d.get("/api/v1/agents/cc").json()["state_source"], "hook");
  // Outside an agent and with no daemon, the hook command stays quiet and exits 0 (it must
  // never disturb the CLI that runs it); --strict says what went wrong.
  auto quiet = run_bosun({"--state", "/nonexistent/state", "hook", "claude"}, {},
                         R"({"hook_event_name":"Stop"})");
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
  auto strict = run_bosun({"--state", "/nonexistent/state", "hook", "claude", "--strict"}, {},
                          R"({"hook_event_name":"Stop"})");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find("bosun hook:"), std::string::npos);
}

}  // namespace
}  // namespace bosun::e2e
