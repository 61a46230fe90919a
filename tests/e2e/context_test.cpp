// The context gauge end to end: a CLI's "N% context left" footer read off its real screen,
// Claude Code's transcript usage sent with its hooks, and a reset by reset_at_context.
#include <gtest/gtest.h>

#include <fstream>

#include "support/agents.h"
#include "support/tasks.h"

namespace bosun::e2e {
namespace {

// Each finished task fills 30% of the sim agent's context, shown as Gemini CLI shows it; at
// 60% (over reset_at_context 50%) the idle agent is reset: a fresh run, whose gauge starts over.
TEST(ContextGauge, TheScreensFooterFillsTheGaugeAndAFullContextIsResetWhenIdle) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto kai = spawn_sim(d, events, "kai", "backend", {"--context-step", "30"});
  std::string id = kai["id"];
  configure(d, Json{{"reset_at_context", "50%"}});
  EXPECT_TRUE(d.get("/api/v1/agents/kai").json()["context"].is_null());  // nothing said yet

  auto first = add_task(d, "One thing", "backend");
  ASSERT_TRUE(task_reaches(events, first["id"], "done"));
  // Printed before the task's check ends: read from the stored events, not after them.
  EventWaiter replay(d, 0);
  auto at30 =
      replay.wait_for("agent.context", id, [](const Json& e) { return e["percent"] == 30; });
  ASSERT_TRUE(at30);
  EXPECT_EQ((*at30)["data"]["source"], "screen");
  EXPECT_EQ((*at30)["data"]["window"], 200000);
  Json agent = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(agent["context"]["percent"], 30) << agent.dump();
  EXPECT_EQ(agent["generation"], 1);  // 30% is under the setting: no reset
  auto list = d.cli({"agent", "list"});
  EXPECT_NE(list.out.find(" 30%  "), std::string::npos) << list.out;

  auto second = add_task(d, "Another thing", "backend");
  ASSERT_TRUE(task_reaches(events, second["id"], "done"));
  auto reset = events.wait("agent.reset", id);
  ASSERT_TRUE(reset);
  EXPECT_EQ((*reset)["data"]["reason"], "its context is 60% full (reset_at_context 50%)");
  auto briefing = events.wait_for("message.created", "", [](const Json& m) {
    return m["to"] == "kai" && m["type"] == "reset";
  });
  ASSERT_TRUE(briefing);
  ASSERT_TRUE(events.wait("message.delivered", (*briefing)["subject"]));
  agent = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(agent["generation"], 2);
  EXPECT_TRUE(agent["context"].is_null()) << agent.dump();  // a new run, a new conversation
}

// `bosun hook claude` reads the transcript the hook names and sends only its token count; the
// gauge counts it against the profile's window. Bad counts are refused and change nothing.
TEST(ContextGauge, AHookCarriesTheTranscriptsUsage) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  spawn_sim(d, events, "kai", "backend");
  TempDir dir;
  auto transcript = dir.path() / "session.jsonl";
  std::ofstream(transcript)
      << R"({"type":"user","message":{"content":"go"}})"
      << "\n"
      << R"({"type":"assistant","message":{"usage":{"input_tokens":4,"cache_read_input_tokens":120000,"cache_creation_input_tokens":30000,"output_tokens":9}}})"
      << "\n";
  Json hook{{"hook_event_name", "PostToolUse"},
            {"session_id", "s-1"},
            {"transcript_path", transcript.string()}};
  auto sent = d.cli({"hook", "claude", "--agent", "kai", "--strict"}, hook.dump());
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(sent.out, "");  // a hook prints nothing
  Json agent = d.get("/api/v1/agents/kai").json();
  ASSERT_TRUE(agent["context"].is_object()) << agent.dump();
  EXPECT_EQ(agent["context"]["percent"], 75);
  EXPECT_EQ(agent["context"]["tokens"], 150004);
  EXPECT_EQ(agent["context"]["source"], "hook");
  auto show = d.cli({"agent", "show", "kai"});
  EXPECT_NE(show.out.find("context:   75% full (from hook, 150004 of 200000 tokens)"),
            std::string::npos)
      << show.out;

  for (const Json& bad : {Json("lots"), Json(-1), Json(1e12), Json(nullptr)}) {
    Json h{{"hook_event_name", "Stop"}, {"bosun_context", {{"tokens", bad}}}};
    auto r = http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=kai", h.dump(),
                          d.auth_header());
    EXPECT_EQ(r.status, 400) << bad << " → " << r.body;
  }
  EXPECT_EQ(d.get("/api/v1/agents/kai").json()["context"]["percent"], 75);

  // More tokens than the profile's window: the model's window is larger, so no false "full".
  Json over{{"hook_event_name", "Stop"}, {"bosun_context", {{"tokens", 300000}}}};
  auto r = http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=kai", over.dump(),
                        d.auth_header());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Json::parse(r.body).contains("context")) << r.body;
  EXPECT_EQ(d.get("/api/v1/agents/kai").json()["context"]["tokens"], 150004);
}

// Claude Code's status line runs `bosun hook claude-status` with its context window: the gauge
// takes the CLI's own percent and window; the command prints the line Claude Code shows.
TEST(ContextGauge, TheStatusLineGivesTheCliOwnPercentAndWindow) {
  TestDaemon d;
  d.start();
  TokenAgent kai = spawn_with_token(d, "kai");
  Json status{{"session_id", "s-1"},
              {"model", {{"id", "claude-opus"}, {"display_name", "Opus"}}},
              {"context_window",
               {{"total_input_tokens", 412000},
                {"context_window_size", 1000000},
                {"used_percentage", 41},
                {"remaining_percentage", 59}}}};
  // As Claude Code runs it inside the agent: the agent's own address, token and run.
  auto shown = run_bosun({"hook", "claude-status"},
                         {{"BOSUN_URL", "http://" + d.address()},
                          {"BOSUN_TOKEN", kai.token},
                          {"BOSUN_AGENT_RUN", "1"}},
                         status.dump());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "Opus · context 41%\n");
  Json agent = d.get("/api/v1/agents/kai").json();
  ASSERT_TRUE(agent["context"].is_object()) << agent.dump();
  EXPECT_EQ(agent["context"]["percent"], 41);
  EXPECT_EQ(agent["context"]["window"], 1000000);
  EXPECT_EQ(agent["context"]["source"], "statusline");
  // The status line never changes the state or the session a restart resumes.
  EXPECT_TRUE(agent["session_id"].is_null()) << agent.dump();
  // A hook's later token count is read against the window the status line said.
  Json later{{"hook_event_name", "Stop"}, {"bosun_context", {{"tokens", 600000}}}};
  auto r = http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=kai", later.dump(),
                        d.auth_header());
  ASSERT_EQ(r.status, 200) << r.body;
  agent = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(agent["context"]["percent"], 60) << agent.dump();
  EXPECT_EQ(agent["context"]["window"], 1000000);
  later["bosun_context"]["tokens"] = 700000;  // and so is the one after
  r = http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=kai", later.dump(),
                   d.auth_header());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(d.get("/api/v1/agents/kai").json()["context"]["percent"], 70);
  // Without a daemon to tell, the line is still printed and nothing fails.
  auto alone = run_bosun({"hook", "claude-status"}, {{"BOSUN_URL", "http://127.0.0.1:9"}},
                         R"({"model":{"display_name":"Opus"}})");
  EXPECT_EQ(alone.exit_code, 0);
  EXPECT_EQ(alone.out, "Opus\n");
}

}  // namespace
}  // namespace bosun::e2e
