// `bosun detect` end to end: the real binary classifies the captured sessions, a raw stream on
// stdin and JSON event streams, and exits 0 (classified), 1 (refused) or 2 (usage).
#include <gtest/gtest.h>

#include <fstream>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  return fs::path(BOSUN_SOURCE_DIR) / "tests" / "fixtures" / "agent-sessions" / name;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Expected {
  const char* file;
  const char* profile;
  const char* state;
  const char* source;
  const char* evidence;
};

TEST(Detect, EveryCapturedSessionGetsItsState) {
  const Expected cases[] = {
      {"claude-2.1.12-idle-after-response.screen.txt", "claude", "idle", "screen",
       "claude.composer"},
      {"claude-2.1.12-permission-bash.screen.txt", "claude", "waiting_input", "screen",
       "claude.permission"},
      {"claude-2.1.12-permission-edit.screen.txt", "claude", "waiting_input", "screen",
       "claude.permission"},
      {"claude-2.1.12-trust-folder.screen.txt", "claude", "waiting_input", "screen",
       "claude.trust"},
      {"claude-2.1.280-working-spinner.screen.txt", "claude", "working", "screen",
       "claude.spinner"},
      {"claude-api-error.screen.txt", "claude", "errored", "screen", "claude.api-error"},
      {"claude-2.1.285-stream-json-autocompact.jsonl", "claude", "idle", "protocol",
       "claude-stream-json.result"},
      {"codex-idle-composer.screen.txt", "codex", "idle", "screen", "codex.composer"},
      {"codex-0.157-working.screen.txt", "codex", "working", "screen", "codex.working"},
      {"codex-trust-directory.screen.txt", "codex", "waiting_input", "screen", "codex.trust"},
      {"codex-0.157-exec-json-resume.jsonl", "codex", "idle", "protocol", "codex-exec-json.result"},
      {"codex-exec-json-turn-failed.jsonl", "codex", "errored", "protocol",
       "codex-exec-json.result"},
      {"gemini-idle-composer.screen.txt", "gemini", "idle", "screen", "gemini.composer"},
      {"aider-0.81-session-with-confirm.screen.txt", "aider", "idle", "screen", "aider.ready"},
      {"opencode-run-json-success.jsonl", "opencode", "idle", "protocol",
       "opencode-run-json.result"},
  };
  for (const auto& c : cases) {
    auto r = run_bosun({"detect", "--profile", c.profile, fixture(c.file).string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << c.file << ": " << r.err << r.out;
    Json j = Json::parse(r.out);
    EXPECT_EQ(j["state"], c.state) << c.file;
    EXPECT_EQ(j["source"], c.source) << c.file;
    EXPECT_EQ(j["evidence"], c.evidence) << c.file;
    EXPECT_EQ(j["profile"], c.profile) << c.file;
  }
}

TEST(Detect, TextOutputSaysWhy) {
  auto r = run_bosun(
      {"detect", "--profile", "claude", fixture("claude-2.1.12-trust-folder.screen.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "state       waiting_input\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "source      screen\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "confidence  0.90\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "evidence    claude.trust (verified: 2.1.12")) << r.out;
  EXPECT_TRUE(contains(r.out, "defined at  src/agent/profiles/claude.yaml:")) << r.out;
  EXPECT_TRUE(contains(r.out, ": Do you trust the files in this folder?\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "dialog      trust\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "composer    none on screen\n")) << r.out;
}

TEST(Detect, HeadlessOutcomeJudgesSuccessAndFailure) {
  auto ok = run_bosun({"detect", "--profile", "claude",
                       fixture("claude-2.1.285-stream-json-autocompact.jsonl").string()});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(contains(ok.out, "outcome     success\n")) << ok.out;
  EXPECT_TRUE(contains(ok.out, "turns       4\n")) << ok.out;
  EXPECT_TRUE(contains(ok.out, "session     4cda4f2a-2a49-499b-af37-c6f4739bd0c7\n")) << ok.out;
  EXPECT_TRUE(contains(ok.out, "cost        $0.2003\n")) << ok.out;

  auto failed = run_bosun({"detect", "--profile", "codex", "--json",
                           fixture("codex-exec-json-turn-failed.jsonl").string()});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  Json j = Json::parse(failed.out);
  EXPECT_EQ(j["outcome"]["success"], false);
  EXPECT_EQ(j["outcome"]["reason"], "turn.failed");

  auto events = run_bosun({"detect", "--profile", "opencode", "--events", "--json",
                           fixture("opencode-run-json-success.jsonl").string()});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_TRUE(contains(events.out, R"({"data":{"id":"r9bQWsNLvOrJGIOz","input":)")) << events.out;
  EXPECT_TRUE(contains(events.out, R"("type":"result"})")) << events.out;
}

TEST(Detect, ReadsARawTerminalStreamFromStdin) {
  // A sim-agent session as its PTY delivered it: colours, carriage returns, a spinner rewritten
  // in place, then the question.
  std::string stream =
      "\x1b[1msim-agent\x1b[0m kai\r\n\xe2\x80\xba [TASK] t_1\r\n"
      "\r\x1b[K\xe2\xa0\x8b Working (0s \xe2\x80\xa2 esc to interrupt) \xe2\x80\x94 reading"
      "\r\x1b[K"
      "Allow edits to a.txt? (y/n) ";
  auto r = run_bosun({"detect", "--profile", "sim", "--json", "--cols", "80", "--rows", "10", "-"},
                     {}, stream);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["input"], "stream");
  EXPECT_EQ(j["state"], "waiting_input");
  EXPECT_EQ(j["evidence"], "sim.ask");
  EXPECT_EQ(j["row"], 2);
}

TEST(Detect, ExitsNonZeroWhenNothingMatchesOrTheProfileOrFileIsMissing) {
  std::string idle = fixture("codex-idle-composer.screen.txt").string();
  // Nothing of the profile matches: refused.
  auto none = run_bosun({"detect", "--profile", "claude", idle});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(contains(none.out, "state       unknown")) << none.out;
  auto unknown = run_bosun({"detect", "--profile", "nosuch", idle});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_TRUE(contains(unknown.err, "bosun: no profile 'nosuch'")) << unknown.err;
  auto missing = run_bosun({"detect", "--profile", "codex", "/nonexistent/screen.txt"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "cannot read /nonexistent/screen.txt")) << missing.err;
  EXPECT_EQ(run_bosun({"detect", idle}).exit_code, 2);
  EXPECT_EQ(run_bosun({"detect", "--profile", "codex"}).exit_code, 2);
  EXPECT_EQ(run_bosun({"detect", "--profile", "codex", "--as", "pdf", idle}).exit_code, 2);
  // A quiet screen of a program without screen rules reads as idle from quiescence.
  auto shell = run_bosun({"detect", "--profile", "shell", "--json", idle});
  EXPECT_EQ(shell.exit_code, 0);
  EXPECT_EQ(Json::parse(shell.out)["source"], "quiescence");
}

TEST(Detect, ProjectOverrideIsUsedAndItsErrorsNameFileAndLine) {
  TempDir project;
  fs::create_directories(project.path() / ".bosun" / "profiles");
  {
    std::ofstream(project.path() / ".bosun" / "profiles" / "codex.yaml")
        << "name: codex\ninteractive: [codex]\nscreen:\n  composer: {match: '^›'}\n  rules:\n"
           "    - {name: mine.idle, state: idle, where: composer, match: 'Refactor'}\n";
  }
  auto r = run_bosun({"detect", "--profile", "codex", "--project", project.path().string(),
                      "--json", fixture("codex-idle-composer.screen.txt").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["evidence"], "mine.idle");

  {
    std::ofstream(project.path() / ".bosun" / "profiles" / "codex.yaml")
        << "name: codex\ninteractive: [codex]\nscreen:\n  rules:\n"
           "    - {name: r, state: idle, where: tail, match: '(oops'}\n";
  }
  auto bad = run_bosun({"detect", "--profile", "codex", "--project", project.path().string(),
                        fixture("codex-idle-composer.screen.txt").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, (project.path() / ".bosun/profiles/codex.yaml").string() +
                                    ":5:50: match: not a valid regular expression"))
      << bad.err;

  auto file = run_bosun({"detect", "--profile-file",
                         (project.path() / ".bosun/profiles/codex.yaml").string(),
                         fixture("codex-idle-composer.screen.txt").string()});
  EXPECT_EQ(file.exit_code, 2);
}

}  // namespace
}  // namespace bosun::e2e
