// Agents end to end: real bash/sleep/python in real PTYs under real holders.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "support/agents.h"

namespace bosun::e2e {
namespace {

TEST(Agents, BashEchoRoundTripOverTerminalSocket) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal?from=0", d.auth_header()));
  auto status = term.read_json();
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["type"], "status");
  EXPECT_EQ((*status)["state"], "running");
  ASSERT_TRUE(term.send_text(R"({"type":"input","data":"echo hi-$((6*7))\r"})"));
  std::string seen;
  EXPECT_TRUE(terminal_until(term, seen, "hi-42")) << seen;
  auto screen = d.get("/api/v1/agents/kai/screen").json();
  bool found = false;
  for (const auto& line : screen["lines"])
    found = found || line == "hi-42";
  EXPECT_TRUE(found) << screen.dump();
}

TEST(Agents, ResizeChangesSttySize) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal", d.auth_header()));
  ASSERT_EQ(d.post("/api/v1/agents/kai/resize", Json{{"cols", 133}, {"rows", 41}}).status, 200);
  ASSERT_EQ(
      d.post("/api/v1/agents/kai/input", Json{{"data", "stty size"}, {"submit", true}}).status,
      200);
  std::string seen;
  EXPECT_TRUE(terminal_until(term, seen, "41 133")) << seen;
  auto screen = d.get("/api/v1/agents/kai/screen").json();
  EXPECT_EQ(screen["cols"], 133);
  EXPECT_EQ(screen["rows"], 41);
}

TEST(Agents, InterruptStopsSleepAndBashLives) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal", d.auth_header()));
  const std::string sleep = "sleep " + unique_seconds(1000);
  ASSERT_EQ(d.post("/api/v1/agents/kai/input",
                   Json{{"data", sleep + "; echo slept-$((1+1))"}, {"submit", true}})
                .status,
            200);
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, sleep));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (live_processes_mentioning(sleep).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // the shell forks asynchronously to us; bounded
  }
  ASSERT_FALSE(live_processes_mentioning(sleep).empty());
  ASSERT_EQ(d.post("/api/v1/agents/kai/interrupt", Json::object()).status, 200);
  ASSERT_EQ(
      d.post("/api/v1/agents/kai/input", Json{{"data", "echo alive-$((2*3))"}, {"submit", true}})
          .status,
      200);
  EXPECT_TRUE(terminal_until(term, seen, "alive-6")) << seen;
  EXPECT_EQ(seen.find("slept-2"), std::string::npos);
  EXPECT_TRUE(is_live(d.get("/api/v1/agents/kai").json()["state"]));
}

TEST(Agents, ExitCodeThreeIsReported) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto agent = spawn(d, "kai", Json::array({"bash", "-c", "echo bye; exit 3"}));
  auto exited = events.wait("agent.exited", agent["id"]);
  ASSERT_TRUE(exited);
  EXPECT_EQ((*exited)["data"]["exit_code"], 3);
  auto show = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(show["state"], "exited");
  EXPECT_EQ(show["run"]["exit_code"], 3);
  auto log = d.get("/api/v1/agents/kai/log?from=0");
  EXPECT_NE(log.body.find("bye"), std::string::npos);
}

// A program that is not there is refused at spawn (404 program_not_found, nothing created); one
// that is gone by a later run makes that run exit 127 with the holder's error, never hang.
TEST(Agents, MissingProgramIsRefusedAndOneGoneLaterExitsWith127) {
  TestDaemon d;
  d.start();
  auto refused = d.post("/api/v1/agents",
                        Json{{"name", "ghost"}, {"argv", Json::array({"no-such-program-bosun"})}});
  EXPECT_EQ(refused.status, 404) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "program_not_found");
  EXPECT_EQ(d.get("/api/v1/agents/ghost").status, 404);

  TempDir dir;
  const auto program = dir.path() / "vanishing-program-bosun";
  std::ofstream(program) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  EventWaiter events(d);
  auto agent = spawn(d, "ghost", Json::array({program.string()}));
  ASSERT_TRUE(events.wait("agent.exited", agent["id"], 10s));
  std::filesystem::remove(program);
  ASSERT_EQ(d.post("/api/v1/agents/ghost/restart", Json::object()).status, 202);
  auto exited = events.wait("agent.exited", agent["id"], 10s);
  ASSERT_TRUE(exited) << "a missing program must not hang";
  EXPECT_EQ((*exited)["data"]["exit_code"], 127);
  EXPECT_NE((*exited)["data"]["error"].get<std::string>().find("vanishing-program-bosun"),
            std::string::npos);
}

TEST(Agents, StopLeavesNoProcessOfTheTree) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  const std::string first = "sleep " + unique_seconds(1001);
  const std::string second = "sleep " + unique_seconds(1002);
  auto agent = spawn(d, "kai", Json::array({"bash", "-c", first + " & " + second + " & wait"}));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((live_processes_mentioning(first).empty() || live_processes_mentioning(second).empty()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // bounded wait for the agent's own forks
  }
  ASSERT_FALSE(live_processes_mentioning(first).empty());
  ASSERT_FALSE(live_processes_mentioning(second).empty());
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json{{"grace_ms", 2000}}).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", agent["id"]));
  // Signals are delivered asynchronously: give the tree a bounded moment to finish dying.
  deadline = std::chrono::steady_clock::now() + 5s;
  while (
      (!live_processes_mentioning(first).empty() || !live_processes_mentioning(second).empty()) &&
      std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(live_processes_mentioning(first).empty());
  EXPECT_TRUE(live_processes_mentioning(second).empty());
}

TEST(Agents, RandomBytesGiveValidUtf8FramesAndALiveDaemon) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  WsClient term;
  auto agent = spawn(d, "noise", Json::array({"bash", "-c", "head -c 1M /dev/urandom; sleep 0.2"}));
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/noise/terminal?from=0", d.auth_header()));
  ASSERT_TRUE(events.wait("agent.exited", agent["id"]));
  int frames = 0;
  uint64_t last_offset = 0;
  for (;;) {
    auto text = term.read(2s);
    if (!text) break;
    auto frame = Json::parse(*text, nullptr, false);
    ASSERT_FALSE(frame.is_discarded()) << "a frame that is not valid JSON/UTF-8";
    if (frame["type"] == "output") {
      uint64_t offset = frame["offset"];
      EXPECT_GE(offset, last_offset);
      last_offset = offset;
      ++frames;
    }
    if (frame["type"] == "status" && frame["state"] == "exited") break;
  }
  EXPECT_GT(frames, 0);
  EXPECT_EQ(http_request(d.address(), "GET", "/healthz").status, 200);
}

TEST(Agents, BinaryModeCarriesOffsets) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  auto agent =
      spawn(d, "bin", Json::array({"bash", "-c", "printf 'abc'; sleep 0.2; printf 'def'"}));
  ASSERT_TRUE(events.wait("agent.exited", agent["id"]));
  WsClient term;
  ASSERT_TRUE(
      term.connect(d.address(), "/api/v1/agents/bin/terminal?from=0&mode=binary", d.auth_header()));
  std::string data;
  uint64_t expect = 0;
  while (data.find("def") == std::string::npos) {
    auto msg = term.read(5s);
    ASSERT_TRUE(msg);
    if (!term.last_was_binary()) continue;
    ASSERT_GE(msg->size(), 8u);
    uint64_t offset = 0;
    for (int i = 0; i < 8; ++i)
      offset = (offset << 8) | static_cast<unsigned char>((*msg)[i]);
    EXPECT_EQ(offset, expect);
    data += msg->substr(8);
    expect = offset + msg->size() - 8;
  }
  EXPECT_EQ(data, "abcdef");
}

TEST(Agents, SurvivesDaemonKillNineWithContinuousStream) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  ASSERT_EQ(
      d.post("/api/v1/agents/kai/input", Json{{"data", "echo before-$((1+1))"}, {"submit", true}})
          .status,
      200);
  WsClient term;
  ASSERT_TRUE(term.connect(d.address(), "/api/v1/agents/kai/terminal?from=0", d.auth_header()));
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "before-2"));
  int64_t pid = d.get("/api/v1/agents/kai").json()["pid"];
  d.kill9();
  // The agent keeps running without a daemon, and keeps producing output.
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);
  d.start();
  auto show = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(show["pid"], pid);
  EXPECT_TRUE(is_live(show["state"])) << show.dump();
  ASSERT_EQ(
      d.post("/api/v1/agents/kai/input", Json{{"data", "echo after-$((2+2))"}, {"submit", true}})
          .status,
      200);
  WsClient again;
  ASSERT_TRUE(again.connect(d.address(), "/api/v1/agents/kai/terminal?from=0", d.auth_header()));
  std::string all;
  uint64_t next = 0;
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (all.find("after-4") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    auto frame = again.read_json(5s);
    ASSERT_TRUE(frame) << all;
    ASSERT_NE((*frame)["type"], "gap");
    if ((*frame)["type"] != "output") continue;
    EXPECT_EQ((*frame)["offset"], next) << "a hole or an overlap in the stream";
    std::string data = (*frame)["data"];
    all += data;
    next += data.size();
  }
  EXPECT_NE(all.find("before-2"), std::string::npos);
  EXPECT_NE(all.find("after-4"), std::string::npos);
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json::object()).status, 202);
}

TEST(Agents, HolderGoneMeansLostNotRunning) {
  TestDaemon d;
  d.start();
  spawn(d, "kai", kBash);
  auto show = d.get("/api/v1/agents/kai").json();
  int64_t holder = show["run"]["holder_pid"];
  int64_t agent_pid = show["pid"];
  d.kill9();
  ::kill(static_cast<pid_t>(holder), SIGKILL);
  ::kill(static_cast<pid_t>(agent_pid), SIGKILL);
  // SIGKILL is delivered, not done: a holder still tearing down may yet accept a connection.
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       (::kill(static_cast<pid_t>(holder), 0) == 0 ||
        ::kill(static_cast<pid_t>(agent_pid), 0) == 0) &&
       std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(10ms);  // not our children: nothing to wait on
  }
  d.start();
  auto again = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(again["state"], "lost");
  EXPECT_FALSE(again["run"]["lost_reason"].get<std::string>().empty());
}

TEST(Agents, BadSpawnRequestsAreRefusedAndAnExistingNameIs409) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "Bad Name"}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "a"}, {"argv", "bash"}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "a"}, {"cwd", "/no/such/dir"}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "a"}, {"cols", 100000}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "a"}, {"env", {{"BOSUN_TOKEN", "x"}}}}).status,
            400);
  auto agent = spawn(d, "kai", Json::array({"bash", "-c", "exit 0"}));
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "kai"}}).status, 409);
  ASSERT_TRUE(events.wait("agent.exited", agent["id"]));
  EXPECT_EQ(d.post("/api/v1/agents/kai/input", Json{{"data", "x"}}).status, 409);
  EXPECT_EQ(d.post("/api/v1/agents/nobody/input", Json{{"data", "x"}}).status, 404);
  spawn(d, "ana", kBash);
  EXPECT_EQ(d.post("/api/v1/agents/ana/resize", Json{{"cols", 0}, {"rows", 0}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents/ana/resize", Json{{"cols", 100000}, {"rows", 40}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents/ana/resize", Json{{"cols", "wide"}, {"rows", 40}}).status, 400);
  EXPECT_EQ(d.get("/api/v1/agents/nobody/screen").status, 404);
  WsClient ws;
  EXPECT_FALSE(ws.connect(d.address(), "/api/v1/agents/nobody/terminal", d.auth_header()));
  EXPECT_EQ(ws.refused_status(), 404);
  WsClient t;
  ASSERT_TRUE(t.connect(d.address(), "/api/v1/agents/ana/terminal", d.auth_header()));
  ASSERT_TRUE(t.read_json());
  t.send_text("{not json");
  std::optional<Json> err;
  while ((err = t.read_json()) && (*err)["type"] != "error") {
  }
  ASSERT_TRUE(err);
  EXPECT_EQ((*err)["code"], "invalid_json");
  // A number too large for a double is malformed JSON too, not a failure of the daemon (it left
  // the terminal connection open and unread, and a request body with it got 500).
  t.send_text("666E663");
  while ((err = t.read_json()) && (*err)["type"] != "error") {
  }
  ASSERT_TRUE(err) << "the terminal did not answer";
  EXPECT_EQ((*err)["code"], "invalid_json");
  auto overflow = http_request(
      d.address(), "POST", "/api/v1/tasks", "1e999",
      {{"Authorization", "Bearer " + d.token()}, {"Content-Type", "application/json"}});
  EXPECT_EQ(overflow.status, 400) << overflow.body;
  EXPECT_EQ(http_request(d.address(), "GET", "/healthz").status, 200);
  ASSERT_EQ(d.post("/api/v1/agents/ana/stop", Json::object()).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", ""));
}

// Stop and remove that arrive while a run is still starting take effect once it is up:
// nothing is left running, and the daemon never touches a session it has forgotten.
// A daemon started in CI (CI=true in its environment) must not tell its agents they are in CI:
// Gemini CLI would run headless and exit, Ink TUIs would draw only their last frame. An agent's
// own env still sets what it likes.
TEST(Agents, CiMarkersOfTheDaemonsEnvironmentDoNotReachAnAgent) {
  TempDir dir;
  const auto out = dir.path() / "env";
  const std::map<std::string, std::string> marks = {{"CI", "true"},
                                                    {"CI_JOB_TOKEN", "secret"},
                                                    {"CONTINUOUS_INTEGRATION", "1"},
                                                    {"GITHUB_ACTIONS", "true"},
                                                    {"KEEPS_THIS_TEST_VAR", "kept"}};
  for (const auto& [k, v] : marks)
    ::setenv(k.c_str(), v.c_str(), 1);
  TestDaemon d;
  d.start();
  for (const auto& [k, v] : marks)
    ::unsetenv(k.c_str());
  EventWaiter events(d);
  auto r = d.post("/api/v1/agents",
                  Json{{"name", "kai"},
                       {"argv", Json::array({"bash", "-c", "env > " + out.string()})},
                       {"env", {{"GITHUB_ACTIONS", "mine"}, {"DISPLAY_NAME", "kai"}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(events.wait("agent.exited", r.json()["id"]));
  std::ifstream in(out);
  std::set<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.insert(line);
  EXPECT_TRUE(lines.contains("GITHUB_ACTIONS=mine"));
  EXPECT_TRUE(lines.contains("DISPLAY_NAME=kai"));
  EXPECT_TRUE(lines.contains("TERM=xterm-256color"));
  EXPECT_TRUE(lines.contains("KEEPS_THIS_TEST_VAR=kept"));
  for (const auto& line : lines) {
    EXPECT_FALSE(line.starts_with("CI=") || line.starts_with("CI_") ||
                 line.starts_with("CONTINUOUS_INTEGRATION="))
        << line;
  }
}

TEST(Agents, RemoveWhileStartingLeavesNothingBehind) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  const std::string seconds = unique_seconds(1003);
  spawn(d, "kai", Json::array({"sleep", seconds}));
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json{{"grace_ms", 200}}).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", ""));
  ASSERT_EQ(d.post("/api/v1/agents/kai/restart", Json::object()).status, 202);
  ASSERT_EQ(d.del("/api/v1/agents/kai").status, 202);
  ASSERT_TRUE(events.wait("agent.removed", ""));
  EXPECT_EQ(d.get("/api/v1/agents/kai").status, 404);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!live_processes_mentioning("sleep " + seconds).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // reaping is asynchronous to us; bounded
  }
  EXPECT_TRUE(live_processes_mentioning("sleep " + seconds).empty());
  EXPECT_EQ(d.get("/healthz").status, 200);
}

// Output the log cannot hold (a full disk; here a file size limit, which fails writes the same
// way) is a recorded gap with its reason — in the run, for viewers, in the log route — never
// silently missing bytes or zeros.
TEST(Agents, OutputTheLogCannotHoldIsARecordedGap) {
  constexpr int64_t kLimit = 4 << 20;
  TestDaemon d;
  d.set_file_size_limit(kLimit);
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  Json a = spawn(d, "big",
                 Json::array({"bash", "--norc", "--noprofile", "-c",
                              "head -c 6000000 /dev/zero | tr '\\0' x; echo; echo BIG-DONE; "
                              "exec sleep 1000"}));
  // The gap appears in the run as soon as a write fails.
  Json run;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
    run = d.get("/api/v1/agents/big").json()["run"];
    if (run["end_offset"].get<int64_t>() >= 6000000) break;
  }
  ASSERT_GE(run["end_offset"].get<int64_t>(), 6000000) << run;
  ASSERT_GE(run["gaps"].size(), 1u) << run;
  Json gap = run["gaps"][0];
  EXPECT_EQ(gap[0].get<int64_t>(), kLimit) << gap;
  EXPECT_EQ(gap[1].get<int64_t>(), run["end_offset"].get<int64_t>()) << gap;
  EXPECT_NE(gap[2].get<std::string>().find("File too large"), std::string::npos) << gap;

  // A viewer from the start reads the bytes, then a gap frame with the reason, up to the end.
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/agents/big/terminal?from=0", d.auth_header()));
  int64_t seen = 0;
  std::optional<Json> gap_frame;
  while (seen < kLimit || !gap_frame) {
    auto frame = ws.read_json(10s);
    ASSERT_TRUE(frame) << "stopped at " << seen;
    if ((*frame)["type"] == "output") {
      seen += static_cast<int64_t>((*frame)["data"].get<std::string>().size());
    } else if ((*frame)["type"] == "gap") {
      gap_frame = *frame;
    }
  }
  EXPECT_EQ((*gap_frame)["from"].get<int64_t>(), kLimit);
  EXPECT_NE((*gap_frame)["reason"].get<std::string>().find("not written"), std::string::npos);

  // The log route stops before the gap, and a slice in it is empty and names it.
  auto before = d.get("/api/v1/agents/big/log?from=" + std::to_string(kLimit - 10));
  EXPECT_EQ(before.body, std::string(10, 'x'));
  auto inside = d.get("/api/v1/agents/big/log?from=" + std::to_string(kLimit + 5));
  EXPECT_TRUE(inside.body.empty());
  EXPECT_EQ(inside.headers["x-bosun-gap"],
            std::to_string(kLimit) + "-" + std::to_string(gap[1].get<int64_t>()));
}

// A holder killed with -9 leaves nothing running, even a tree that ignores HUP and TERM: the
// daemon sees the holder go and kills what carried the agent's id.
TEST(Agents, AHolderKilledLeavesNoProcessEvenOneIgnoringHangups) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  std::string marker = unique_seconds(1000);
  Json a = spawn(d, "stubborn",
                 Json::array({"bash", "--norc", "--noprofile", "-c",
                              "trap '' HUP TERM; sleep " + marker + "; sleep " + marker}));
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       live_processes_mentioning("sleep " + marker).empty() &&
       std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(20ms);  // the program starting has no event of its own
  }
  ASSERT_FALSE(live_processes_mentioning("sleep " + marker).empty());
  int64_t holder = d.get("/api/v1/agents/stubborn").json()["run"]["holder_pid"];
  ASSERT_EQ(::kill(static_cast<pid_t>(holder), SIGKILL), 0);
  auto lost = events.wait("agent.lost", a["id"]);
  ASSERT_TRUE(lost);
  bool gone = false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !gone && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    gone = live_processes_mentioning("sleep " + marker).empty();
  }
  EXPECT_TRUE(gone) << "the agent's tree outlived its holder";
  EXPECT_EQ(d.del("/api/v1/agents/stubborn").status / 100, 2);
}

}  // namespace
}  // namespace bosun::e2e
