// Live agent status end to end: a program that draws Claude Code's screens in a real PTY is
// read by the claude profile's rules — waiting_input on the permission dialog, idle on the
// composer after the quiet debounce — with source, confidence and evidence in the agent record,
// in the agent.state events and in `bosun agent explain`.
#include <gtest/gtest.h>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

std::string fixture(const std::string& name) {
  return (std::filesystem::path(BOSUN_SOURCE_DIR) / "tests" / "fixtures" / "agent-sessions" / name)
      .string();
}

TEST(AgentStatus, ScreenRulesDriveTheLiveStateAndExplainSaysWhy) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  // Draws the permission dialog, waits for an answer, then draws the idle screen.
  std::string script = "cat '" + fixture("claude-2.1.12-permission-bash.screen.txt") +
                       "'; read answer; printf '\\033[2J\\033[H'; cat '" +
                       fixture("claude-2.1.12-idle-after-response.screen.txt") + "'; sleep 600";
  auto r = d.post("/api/v1/agents", Json{{"name", "fake"},
                                         {"profile", "claude"},
                                         {"argv", Json::array({"bash", "-c", script})},
                                         {"cols", 160},
                                         {"rows", 30}});
  ASSERT_EQ(r.status, 201) << r.body;
  std::string id = r.json()["id"];

  auto waiting = events.wait_for("agent.state", id,
                                 [](const Json& e) { return e["state"] == "waiting_input"; });
  ASSERT_TRUE(waiting);
  const Json& w = (*waiting)["data"];
  EXPECT_EQ(w["source"], "screen");
  EXPECT_EQ(w["evidence"], "claude.permission");
  EXPECT_EQ(w["confidence"], 0.95);
  EXPECT_EQ(w["detail"], "Do you want to proceed?");
  EXPECT_TRUE(w.contains("since"));

  Json agent = d.get("/api/v1/agents/fake").json();
  EXPECT_EQ(agent["state"], "waiting_input");
  EXPECT_EQ(agent["state_source"], "screen");
  EXPECT_EQ(agent["state_evidence"], "claude.permission");
  EXPECT_EQ(agent["state_confidence"], 0.95);

  auto explain = d.cli({"agent", "explain", "fake", "--json"});
  ASSERT_EQ(explain.exit_code, 0) << explain.err;
  Json e = Json::parse(explain.out);
  EXPECT_EQ(e["recorded"]["state"], "waiting_input");
  EXPECT_EQ(e["recorded"]["evidence"], "claude.permission");
  EXPECT_EQ(e["screen_now"]["state"], "waiting_input");
  EXPECT_EQ(e["screen_now"]["evidence"], "claude.permission");
  EXPECT_EQ(e["quiet_ms"], 1500);
  auto text = d.cli({"agent", "explain", "fake"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("evidence    claude.permission"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("the screen now, by the profile's rules:"), std::string::npos);

  ASSERT_EQ(d.post("/api/v1/agents/fake/input", Json{{"data", "1"}, {"submit", true}}).status, 200);
  auto idle =
      events.wait_for("agent.state", id, [](const Json& e) { return e["state"] == "idle"; });
  ASSERT_TRUE(idle);
  EXPECT_EQ((*idle)["data"]["source"], "screen");
  EXPECT_EQ((*idle)["data"]["evidence"], "claude.composer");
  EXPECT_EQ(d.get("/api/v1/agents/fake").json()["state"], "idle");

  EXPECT_EQ(d.cli({"agent", "explain", "nobody"}).exit_code, 3);
  ASSERT_EQ(d.del("/api/v1/agents/fake").status / 100, 2);
}

}  // namespace
}  // namespace bosun::e2e
