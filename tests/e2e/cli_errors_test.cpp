// The CLI's outcomes as a script reads them: one exit code per class of failure, the same for
// every command, and under --json every outcome — failures included — as JSON on stdout.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <sstream>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The {"error":{code,message}} a --json failure printed, or null when it printed something else.
Json error_of(const CliResult& r) {
  Json j = Json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error")) return nullptr;
  return j["error"];
}

TEST(CliErrors, EachFailureExitsWithItsClassAndJsonSaysItAsTheDaemonDoes) {
  TempDir dir;
  std::string nowhere = (dir.path() / "none").string();
  // Unreachable: no daemon for this state directory.
  auto none = run_bosun({"--state", nowhere, "agent", "list"});
  EXPECT_EQ(none.exit_code, 6);
  EXPECT_TRUE(contains(none.err, "bosun: no bosun daemon is running for")) << none.err;
  auto none_json = run_bosun({"--state", nowhere, "agent", "list", "--json"});
  EXPECT_EQ(none_json.exit_code, 6);
  EXPECT_EQ(error_of(none_json)["code"], "no_daemon") << none_json.out;
  EXPECT_EQ(none_json.err, "");
  // Usage, before any daemon is asked: a missing argument, an unknown command.
  auto usage = run_bosun({"task", "add", "--json"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(error_of(usage)["code"], "usage") << usage.out;
  EXPECT_TRUE(contains(error_of(usage)["message"], "title is required")) << usage.out;
  auto unknown = run_bosun({"agnet", "list", "--json"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(error_of(unknown)["code"], "unknown_command") << unknown.out;
  EXPECT_TRUE(contains(error_of(unknown)["message"], "did you mean agent?")) << unknown.out;
  // A word after `--` is a program's, not ours: no JSON for it.
  EXPECT_EQ(run_bosun({"agnet", "--", "--json"}).out, "");

  TestDaemon d;
  d.start();
  // Not found.
  auto missing = d.cli({"task", "show", "t_nothere1", "--json"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(error_of(missing)["code"], "task_not_found") << missing.out;
  EXPECT_EQ(d.cli({"agent", "show", "nobody"}).exit_code, 3);
  // Conflict: a task that is not in review cannot be approved.
  auto task = d.post("/api/v1/tasks", Json{{"title", "Not yet done"}});
  ASSERT_EQ(task.status, 201) << task.body;
  std::string id = task.json()["id"];
  auto early = d.cli({"task", "approve", id, "--json"});
  EXPECT_EQ(early.exit_code, 4);
  EXPECT_TRUE(error_of(early).is_object()) << early.out;
  EXPECT_TRUE(contains(error_of(early)["message"], id)) << early.out;
  // A value the daemon refuses as invalid is a usage error.
  auto bad = d.cli({"task", "update", id, "--status", "finished"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "unknown status 'finished'")) << bad.err;
  // Refused: a wrong token.
  auto wrong = run_bosun({"task", "list", "--json"},
                         {{"BOSUN_URL", "http://" + d.address()}, {"BOSUN_TOKEN", "not-it"}});
  EXPECT_EQ(wrong.exit_code, 5);
  EXPECT_TRUE(error_of(wrong).is_object()) << wrong.out;
  // Nothing of that changed the board.
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["status"], "pending");

  // Commands that printed nothing or a sentence now print the daemon's reply under --json.
  auto comment = d.cli({"task", "comment", id, "a note", "--json"});
  ASSERT_EQ(comment.exit_code, 0) << comment.err;
  EXPECT_EQ(Json::parse(comment.out)["body"], "a note") << comment.out;
  auto agent = d.post("/api/v1/agents", Json{{"name", "sh"}, {"argv", kBash}});
  ASSERT_EQ(agent.status, 201) << agent.body;
  auto sent = d.cli({"agent", "send", "sh", "echo hi", "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(Json::parse(sent.out)["bytes"], 7) << sent.out;
  auto version = run_bosun({"version", "--json"});
  EXPECT_TRUE(Json::parse(version.out)["version"].is_string()) << version.out;
}

// Flags that would be dropped are not: adding a project that exists with settings is refused
// (naming `project set`), and changes nothing; adding it again bare is harmless.
TEST(CliErrors, ProjectAddOnAnExistingProjectSaysUseProjectSet) {
  TestDaemon d;
  d.start();
  TempDir dir;
  const std::string repo = (dir.path() / "app").string();
  for (auto args : std::vector<std::vector<std::string>>{
           {"git", "init", "-q", "-b", "main", repo},
           {"git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@bosun.invalid", "commit",
            "-q", "--allow-empty", "-m", "init"}}) {
    ASSERT_EQ(run_program(args).exit_code, 0);
  }
  auto first = d.cli({"project", "add", repo});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(contains(first.out, "project app (")) << first.out;
  auto bare = d.cli({"project", "add", repo});
  EXPECT_EQ(bare.exit_code, 0) << bare.err;
  EXPECT_TRUE(contains(bare.out, "already a project app (")) << bare.out;
  const Json before = d.get("/api/v1/projects").json()["projects"][0];
  const std::string other = before["execution_mode"] == "auto" ? "review" : "auto";
  auto flags = d.cli({"project", "add", repo, "--mode", other, "--setup", "npm ci"});
  EXPECT_EQ(flags.exit_code, 4);
  EXPECT_TRUE(contains(flags.err,
                       "project app exists; its settings were not changed: use "
                       "'bosun project set app"))
      << flags.err;
  EXPECT_EQ(d.get("/api/v1/projects").json()["projects"][0], before);
  ASSERT_EQ(d.cli({"project", "set", "app", "--mode", other}).exit_code, 0);
  EXPECT_EQ(d.get("/api/v1/projects").json()["projects"][0]["execution_mode"], other);
}

// The subcommands `bosun PATH… --help` lists.
std::vector<std::string> subcommands(const std::vector<std::string>& path) {
  std::vector<std::string> args = path;
  args.emplace_back("--help");
  std::string help = run_bosun(args).out;
  std::vector<std::string> names;
  auto at = help.find("\nSubcommands:\n");
  if (at == std::string::npos) return names;
  std::istringstream lines(help.substr(at + 14));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return names;
}

// Every command takes --json, but those that stream or speak another program's protocol.
TEST(CliErrors, EveryCommandTakesJsonButTheStreamingOnes) {
  const std::set<std::string> exempt = {
      "serve", "agent logs", "agent attach", "demo", "sim-agent", "hook claude",
      "hook claude-status", "completion", "man",
      // These print a file's own format (beads JSONL, asciicast, text) on stdout.
      "task export", "agent export"};
  std::vector<std::string> without;
  int leaves = 0;
  std::function<void(std::vector<std::string>)> walk = [&](std::vector<std::string> path) {
    auto subs = subcommands(path);
    if (subs.empty()) {
      ++leaves;
      std::string name;
      for (const auto& w : path)
        name += (name.empty() ? "" : " ") + w;
      std::vector<std::string> args = path;
      args.emplace_back("--help");
      if (!exempt.contains(name) && !contains(run_bosun(args).out, "--json")) {
        without.push_back(name);
      }
      return;
    }
    for (const auto& s : subs) {
      auto next = path;
      next.push_back(s);
      walk(next);
    }
  };
  walk({});
  EXPECT_GT(leaves, 60);
  EXPECT_TRUE(without.empty()) << "no --json: " << ::testing::PrintToString(without);
}

}  // namespace
}  // namespace bosun::e2e
