// Headless runs: a profile's headless command run for an agent, its JSON stream turned into
// events, its outcome judged, its usage and cost stored against the agent and the task; a
// usage limit pauses dispatch to that provider until its reset time, and repeated API errors
// raise agent.failing. The CLI is a stand-in that prints a captured Claude stream-json run
// (the real CLIs run headless in tests/agents).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/agents.h"
#include "support/harness.h"
#include "support/tasks.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  return fs::path(BOSUN_SOURCE_DIR) / "tests" / "fixtures" / "agent-sessions" / name;
}

// The stand-in: saves its prompt in the folder it runs in, then prints $REPLAY_FILE (with
// "RESETS" replaced by the Unix time $RESET_IN seconds from now).
constexpr const char* kReplay = R"PY(import os, sys, time
open('prompt.txt', 'w').write(sys.argv[1])
text = open(os.environ['REPLAY_FILE']).read()
text = text.replace('RESETS', str(int(time.time()) + int(os.environ.get('RESET_IN', '0'))))
sys.stdout.write(text)
)PY";

// A project profile `replay` whose headless command is the stand-in, read as Claude's stream.
void write_profile(TestDaemon& d, const fs::path& script) {
  fs::path dir = d.state_dir().parent_path() / ".bosun" / "profiles";
  fs::create_directories(dir);
  std::ofstream(dir / "replay.yaml") << "name: replay\n"
                                        "interactive: [bash, --norc, --noprofile, -i]\n"
                                        "headless: [python3, "
                                     << script.string()
                                     << ", \"{prompt}\"]\n"
                                        "stream: claude-stream-json\n"
                                        "screen:\n  quiet_ms: 300\n  quiet_idle: true\n";
}

Json spawn_replayer(TestDaemon& d, const std::string& name, const fs::path& replay,
                    int reset_in = 0) {
  auto r = d.post(
      "/api/v1/agents",
      Json{{"name", name},
           {"profile", "replay"},
           {"role", "replayer"},  // a crew member: its tasks wait in its inbox (it is a shell)
           {"env", {{"REPLAY_FILE", replay.string()}, {"RESET_IN", std::to_string(reset_in)}}}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ReplayDaemon {
  TempDir dir;
  TestDaemon d;
  fs::path script = dir.path() / "replay.py";
  ReplayDaemon() {
    std::ofstream(script) << kReplay;
    write_profile(d, script);
    d.start();
  }
};

TEST(Headless, AStreamBecomesEventsAnOutcomeAndUsageForTheAgentAndTask) {
  ReplayDaemon s;
  EventWaiter events(s.d);
  Json agent = spawn_replayer(s.d, "hd", fixture("claude-2.1.285-stream-json-autocompact.jsonl"));
  // A task for another role: the supervisor leaves it alone; the run names it.
  Json task = create_task(s.d, Json{{"title", "Summarise the log"}, {"role", "nobody"}});
  std::string task_id = task["id"];
  auto started = s.d.post("/api/v1/agents/hd/runs", Json{{"task", task_id}});
  ASSERT_EQ(started.status, 202) << started.body;
  std::string run = started.json()["id"];
  EXPECT_EQ(started.json()["state"], "running");
  EXPECT_EQ(started.json()["argv"][0], "python3");

  auto session =
      events.wait_for("headless.event", run, [](const Json& e) { return e["type"] == "session"; });
  ASSERT_TRUE(session) << "no session event";
  EXPECT_EQ((*session)["data"]["agent"], "hd");
  EXPECT_EQ((*session)["data"]["task_id"], task_id);
  auto finished = events.wait("headless.finished", run);
  ASSERT_TRUE(finished);
  const Json& r = (*finished)["data"]["run"];
  EXPECT_EQ(r["success"], true) << r;
  EXPECT_EQ(r["text"], "OK.");
  EXPECT_EQ(r["state"], "finished");
  EXPECT_GT(r["usage"]["input_tokens"].get<int64_t>(), 0) << r;
  EXPECT_GT(r["cost_usd"].get<double>(), 0.0) << r;
  EXPECT_FALSE(r["session_id"].is_null());
  // The prompt was the task, and every line of the stream was kept.
  EXPECT_NE(read(fs::path(agent["cwd"].get<std::string>()) / "prompt.txt")
                .find("[TASK] " + task_id + " Summarise the log"),
            std::string::npos);
  EXPECT_EQ(read(r["events_path"].get<std::string>()),
            read(fixture("claude-2.1.285-stream-json-autocompact.jsonl")));
  // A person takes the stream away: the latest headless run, or this one by id.
  auto exported = s.d.cli({"agent", "export", "hd", "--format", "jsonl"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, read(fixture("claude-2.1.285-stream-json-autocompact.jsonl")));
  EXPECT_EQ(s.d.cli({"agent", "export", "hd", "--run", run, "--format", "jsonl"}).out,
            exported.out);
  auto other = s.d.cli({"agent", "export", "hd", "--run", "hr_nosuchrun", "--format", "jsonl"});
  EXPECT_EQ(other.exit_code, 3) << other.err;

  // Usage adds up per agent and per task; the task's comments say how the run went.
  Json by_task = s.d.get("/api/v1/usage?by=task").json();
  ASSERT_EQ(by_task["rows"].size(), 1u) << by_task;
  EXPECT_EQ(by_task["rows"][0]["task_id"], task_id);
  EXPECT_DOUBLE_EQ(by_task["rows"][0]["cost_usd"].get<double>(), r["cost_usd"].get<double>());
  Json by_agent = s.d.get("/api/v1/usage?agent=hd").json();
  EXPECT_EQ(by_agent["rows"][0]["agent"], "hd");
  EXPECT_EQ(by_agent["total"]["runs"], 1);
  Json by_day = s.d.get("/api/v1/usage?by=day").json();
  ASSERT_EQ(by_day["rows"].size(), 1u) << by_day;
  EXPECT_EQ(by_day["rows"][0]["day"], r["started_at"].get<std::string>().substr(0, 10)) << by_day;
  EXPECT_EQ(s.d.get("/api/v1/usage?by=agent%3Bdrop").status, 400);
  EXPECT_EQ(s.d.get("/api/v1/runs?task=" + task_id).json()["runs"].size(), 1u);
  EXPECT_EQ(s.d.get("/api/v1/runs/" + run).json()["success"], true);
  Json comments = s.d.get("/api/v1/tasks/" + task_id + "/comments").json();
  EXPECT_NE(comments.dump().find("succeeded: OK."), std::string::npos) << comments;
  Json shown = s.d.get("/api/v1/tasks/" + task_id).json();
  EXPECT_EQ(shown["usage"]["runs"], 1) << shown;
  EXPECT_EQ(shown["usage"]["input_tokens"], r["usage"]["input_tokens"]) << shown;
  // And the CLI says the same.
  auto usage = s.d.cli({"usage", "--by", "task"});
  EXPECT_EQ(usage.exit_code, 0) << usage.err;
  EXPECT_NE(usage.out.find(task_id), std::string::npos) << usage.out;
}

TEST(Headless, AUsageLimitPausesDispatchToTheProviderUntilItsResetThenItResumes) {
  ReplayDaemon s;
  TempDir files;
  fs::path limited = files.path() / "limited.jsonl";
  std::ofstream(limited)
      << R"({"type":"system","subtype":"init","session_id":"s-1"})"
         "\n"
      << R"({"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":RESETS,"rateLimitType":"five_hour"}})"
         "\n"
      << R"({"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"You've hit your usage limit","session_id":"s-1","num_turns":1})"
         "\n";
  EventWaiter events(s.d);
  Json agent = spawn_replayer(s.d, "rl", limited, 3);
  ASSERT_TRUE(events.wait_for("agent.state", agent["id"],
                              [](const Json& e) { return e["state"] == "idle"; }));
  auto started = s.d.post("/api/v1/agents/rl/runs", Json{{"prompt", "go"}});
  ASSERT_EQ(started.status, 202) << started.body;
  auto limit = events.wait("provider.rate_limited", "replay");
  ASSERT_TRUE(limit) << "no provider.rate_limited";
  EXPECT_EQ((*limit)["data"]["reset_known"], true) << *limit;
  EXPECT_EQ((*limit)["data"]["agent"], "rl");
  Json sup = s.d.get("/api/v1/supervisor").json();
  ASSERT_EQ(sup["provider_limits"].size(), 1u) << sup;

  // A ready task waits: the only agent that could take it is on the limited provider.
  Json task = create_task(s.d, Json{{"title", "After the limit"}});
  auto resumed = events.wait("provider.resumed", "replay", std::chrono::seconds(15));
  ASSERT_TRUE(resumed) << "the limit never lifted";
  auto assigned = events.wait_for("task.updated", task["id"],
                                  [](const Json& e) { return e["task"]["status"] == "assigned"; });
  ASSERT_TRUE(assigned);
  EXPECT_GT((*assigned)["seq"].get<int64_t>(), (*resumed)["seq"].get<int64_t>());
  EXPECT_EQ(s.d.get("/api/v1/supervisor").json()["provider_limits"].size(), 0u);
}

TEST(Headless, RepeatedApiErrorsRaiseAgentFailingOnce) {
  ReplayDaemon s;
  TempDir files;
  fs::path failing = files.path() / "failing.jsonl";
  std::ofstream(failing)
      << R"({"type":"result","subtype":"success","is_error":true,"api_error_status":500,"result":"API Error: 500 Internal server error","num_turns":1})"
         "\n";
  EventWaiter events(s.d);
  spawn_replayer(s.d, "er", failing);
  for (int i = 0; i < 3; ++i) {
    auto started = s.d.post("/api/v1/agents/er/runs", Json{{"prompt", "try"}});
    ASSERT_EQ(started.status, 202) << started.body;
    auto done = events.wait("headless.finished", started.json()["id"]);
    ASSERT_TRUE(done);
    EXPECT_EQ((*done)["data"]["run"]["success"], false);
    EXPECT_EQ((*done)["data"]["run"]["reason"], "is_error");
  }
  auto failing_event = events.wait("agent.failing", "");
  ASSERT_TRUE(failing_event);
  EXPECT_EQ((*failing_event)["data"]["name"], "er");
  EXPECT_EQ((*failing_event)["data"]["errors"], 3);
  Json inbox = s.d.get("/api/v1/inbox").json();
  EXPECT_NE(inbox.dump().find("3 API errors"), std::string::npos) << inbox;
}

TEST(Headless, BadRunRequestsAreRefusedAndChangeNothing) {
  ReplayDaemon s;
  Json agent = spawn(s.d, "sh1", kBash);
  auto post = [&](const std::string& who, const std::string& body) {
    return http_request(s.d.address(), "POST", "/api/v1/agents/" + who + "/runs", body,
                        s.d.auth_header());
  };
  EXPECT_EQ(post("nobody", R"({"prompt":"x"})").status, 404);
  auto no_mode = post("sh1", R"({"prompt":"x"})");  // the shell profile has no headless mode
  EXPECT_EQ(no_mode.status, 400);
  EXPECT_EQ(no_mode.json()["error"]["code"], "no_headless_mode") << no_mode.body;
  EXPECT_EQ(post("sh1", R"({"prompt":"x","profile":"claude","timeout_ms":5})").status, 400);
  EXPECT_EQ(post("sh1", R"({"profile":"claude"})").status, 400);  // no prompt, no task
  EXPECT_EQ(post("sh1", R"({"profile":"claude","task":"t_nope"})").status, 404);
  EXPECT_EQ(post("sh1", R"({"prompt":7})").status, 400);
  EXPECT_EQ(post("sh1", "{nope").status, 400);
  EXPECT_EQ(s.d.get("/api/v1/runs/hr_nope").status, 404);
  EXPECT_EQ(s.d.get("/api/v1/usage?by=colour").status, 400);
  EXPECT_EQ(s.d.get("/api/v1/runs").json()["runs"].size(), 0u);
}

}  // namespace
}  // namespace bosun::e2e

namespace bosun::e2e {
namespace {

TEST(UsageLimits, AnAgentStoppedByALimitIsToldToContinueWhenItLifts) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_EQ(http_request(d.address(), "PUT", "/api/v1/supervisor", R"({"rate_limit_wait":"2s"})",
                         d.auth_header())
                .status,
            200);
  // A claude agent (its program here is bash): Claude Code's StopFailure hook says the limit
  // is hit, without a reset time.
  auto created =
      d.post("/api/v1/agents", Json{{"name", "lim"}, {"profile", "claude"}, {"argv", kBash}});
  ASSERT_EQ(created.status, 201) << created.body;
  auto hook = http_request(
      d.address(), "POST", "/api/v1/hooks/claude?agent=lim",
      R"({"hook_event_name":"StopFailure","error":"rate_limit","last_assistant_message":"API Error: Rate limit reached"})",
      d.auth_header());
  ASSERT_EQ(hook.status, 200) << hook.body;
  auto limited = events.wait("provider.rate_limited", "claude");
  ASSERT_TRUE(limited);
  EXPECT_EQ((*limited)["data"]["reset_known"], false);
  auto resumed = events.wait("provider.resumed", "claude", std::chrono::seconds(10));
  ASSERT_TRUE(resumed) << "the limit never lifted";
  auto told = events.wait_for("message.created", "", [](const Json& m) {
    return m["to"] == "lim" && m["subject"].get<std::string>().rfind("[RESUME]", 0) == 0;
  });
  ASSERT_TRUE(told);
  EXPECT_EQ((*told)["data"]["urgent"], true);
  // Typed into the agent although it is not idle.
  ASSERT_TRUE(events.wait_for("message.delivered", "",
                              [&](const Json& m) { return m["id"] == (*told)["data"]["id"]; }));
}

TEST(UsageLimits, ALimitHoldsAcrossADaemonRestart) {
  TempDir dir;
  auto state = dir.path() / "state";
  {
    TestDaemon d(state);
    d.start();
    EventWaiter events(d);
    ASSERT_EQ(http_request(d.address(), "PUT", "/api/v1/supervisor", R"({"rate_limit_wait":"1h"})",
                           d.auth_header())
                  .status,
              200);
    ASSERT_EQ(d.post("/api/v1/agents", Json{{"name", "lim"}, {"profile", "codex"}, {"argv", kBash}})
                  .status,
              201);
    ASSERT_EQ(
        http_request(d.address(), "POST", "/api/v1/hooks/claude?agent=lim",
                     R"({"hook_event_name":"StopFailure","error":"rate_limit"})", d.auth_header())
            .status,
        200);
    auto limited = events.wait("provider.rate_limited", "codex");
    ASSERT_TRUE(limited);
    // Agents outlive a daemon: remove this one first, so only the limit is left to remember.
    ASSERT_EQ(d.del("/api/v1/agents/lim").status, 202);
    ASSERT_TRUE(events.wait("agent.removed", ""));
    d.stop();
  }
  TestDaemon again(state);
  again.start();
  Json limits = again.get("/api/v1/supervisor").json()["provider_limits"];
  ASSERT_EQ(limits.size(), 1u) << limits;
  EXPECT_EQ(limits[0]["provider"], "codex");
  EXPECT_EQ(limits[0]["agent"], "lim");
}

}  // namespace
}  // namespace bosun::e2e
