// Agents whose command comes from their profile: the claude profile's command carries a hooks
// settings file that runs `bosun hook claude`, and a session id bosun chose, which a restart
// resumes once the CLI has used it. The CLI here is a stand-in program named `claude` that
// does what Claude Code does with those arguments (reads --settings, runs its hook commands
// through /bin/sh with the hook JSON on stdin); the real one is in tests/agents.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

// A `claude` that prints which session it runs, fires SessionStart and UserPromptSubmit hooks
// the way Claude Code runs hooks, then waits for input.
constexpr const char* kStandIn = R"PY(#!/usr/bin/env python3
import json, subprocess, sys
args = sys.argv[1:]
def value(flag):
    return args[args.index(flag) + 1] if flag in args else None
settings = json.load(open(value('--settings')))
session = value('--session-id') or value('--resume')
print('SESSION', session, 'RESUMED', '--resume' in args, flush=True)
for event in ('SessionStart', 'UserPromptSubmit'):
    for group in settings['hooks'][event]:
        for h in group['hooks']:
            body = json.dumps({'hook_event_name': event, 'session_id': session, 'prompt': 'hi'})
            subprocess.run(['/bin/sh', '-c', h['command']], input=body.encode(), check=True)
print('HOOKS DONE', flush=True)
for line in sys.stdin:
    print('got', line.strip(), flush=True)
)PY";

// Polls the agent's screen until it shows `text` (no event announces screen text).
bool screen_shows(TestDaemon& d, const std::string& agent, const std::string& text) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto screen = d.get("/api/v1/agents/" + agent + "/screen");
    if (screen.status == 200 && screen.json()["lines"].dump().find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool has(const Json& argv, const std::string& a, const std::string& b) {
  for (size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == a && argv[i + 1] == b) return true;
  }
  return false;
}

TEST(ProfileCommand, ClaudeGetsHooksAndASessionThatARestartResumes) {
  TempDir bin;
  auto program = bin.path() / "claude";
  std::ofstream(program) << kStandIn;
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  std::string path = bin.path().string() + ":/usr/local/bin:/usr/bin:/bin";
  auto created = d.post("/api/v1/agents", Json{{"name", "cc"},
                                               {"profile", "claude"},
                                               {"args", {"--model", "opus"}},
                                               {"env", {{"PATH", path}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  Json agent = created.json();
  std::string id = agent["id"];
  std::string session = agent["session_id"];
  ASSERT_EQ(session.size(), 36u) << agent;
  EXPECT_TRUE(agent["command_from_profile"].get<bool>());
  Json argv = agent["argv"];
  EXPECT_EQ(argv[0], "claude");
  auto settings = d.state_dir() / "agents" / "cc" / "claude-settings.json";
  EXPECT_TRUE(has(argv, "--settings", settings.string())) << argv;
  EXPECT_TRUE(has(argv, "--session-id", session)) << argv;
  EXPECT_TRUE(has(argv, "--model", "opus")) << argv;  // extra args come last
  EXPECT_EQ(argv.back(), "opus");

  // The hooks ran `bosun hook claude`, as the agent: its state rests on them now.
  ASSERT_TRUE(screen_shows(d, "cc", "HOOKS DONE"));
  Json shown = d.get("/api/v1/agents/cc").json();
  EXPECT_EQ(shown["state"], "working") << shown;
  EXPECT_EQ(shown["state_source"], "hook") << shown;
  EXPECT_EQ(shown["state_evidence"], "claude.hook.UserPromptSubmit") << shown;

  // A restart continues the conversation the CLI saved under that id.
  ASSERT_EQ(d.post("/api/v1/agents/cc/restart", Json::object()).status, 202);
  ASSERT_TRUE(
      events.wait_for("agent.state", id, [](const Json& e) { return e["state"] == "starting"; }));
  ASSERT_TRUE(screen_shows(d, "cc", "RESUMED True"));
  // Its hooks ran too (they name the resumed session; one arriving after the fresh restart
  // below would be taken for the new run's).
  ASSERT_TRUE(
      events.wait_for("agent.state", id, [](const Json& e) { return e["state"] == "working"; }));
  shown = d.get("/api/v1/agents/cc").json();
  EXPECT_TRUE(has(shown["argv"], "--resume", session)) << shown["argv"];
  EXPECT_EQ(shown["generation"], 2);

  // A fresh restart starts a new session.
  ASSERT_EQ(d.post("/api/v1/agents/cc/restart", Json{{"fresh", true}}).status, 202);
  ASSERT_TRUE(
      events.wait_for("agent.state", id, [](const Json& e) { return e["state"] == "starting"; }));
  // The first run's "RESUMED False" is still on the screen: wait for the new session's line.
  shown = d.get("/api/v1/agents/cc").json();
  EXPECT_NE(shown["session_id"], session);
  std::string fresh = shown["session_id"];
  ASSERT_TRUE(screen_shows(d, "cc", "SESSION " + fresh + " RESUMED False")) << shown;
  EXPECT_TRUE(has(shown["argv"], "--session-id", fresh)) << shown["argv"];
}

TEST(ProfileCommand, BadProfileCommandsAreRefusedAndChangeNothing) {
  TestDaemon d;
  d.start();
  auto unknown = d.post("/api/v1/agents", Json{{"name", "x"}, {"profile", "nosuch"}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.json()["error"]["code"], "profile_not_found") << unknown.body;
  auto both =
      d.post("/api/v1/agents", Json{{"name", "y"}, {"argv", kBash}, {"args", {"--model", "opus"}}});
  EXPECT_EQ(both.status, 400) << both.body;
  auto wrong = d.post("/api/v1/agents", Json{{"name", "z"}, {"profile", "claude"}, {"args", 3}});
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  auto bad_restart = d.post("/api/v1/agents/nobody/restart", Json{{"fresh", "yes"}});
  EXPECT_EQ(bad_restart.status, 400) << bad_restart.body;
  EXPECT_EQ(d.get("/api/v1/agents").json()["agents"].size(), 0u);
}

}  // namespace
}  // namespace bosun::e2e
