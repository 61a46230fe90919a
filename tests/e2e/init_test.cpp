// `bosun init` in a user's repository: a team file from the roles it finds and the agent CLIs on
// the machine, which `bosun up` runs as it is, and a state directory git never sees.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Repo {
  TempDir dir;
  fs::path path = dir.path() / "app";
  fs::path home = dir.path() / "home";
  fs::path bin = dir.path() / "bin";

  Repo() {
    fs::create_directories(path / ".claude" / "agents");
    fs::create_directories(home);
    fs::create_directories(bin);
    std::ofstream(path / ".claude" / "agents" / "backend.md")
        << "---\nname: backend\ndescription: the server\n---\nYou write the server.\n";
    std::ofstream(path / ".claude" / "agents" / "Code Reviewer.md") << "Review the diffs.\n";
    std::ofstream(path / "README.md") << "app\n";
    for (auto args :
         std::vector<std::vector<std::string>>{{"init", "-q", "-b", "main"},
                                               {"config", "user.name", "test"},
                                               {"config", "user.email", "test@bosun.invalid"},
                                               {"add", "-A"},
                                               {"commit", "-q", "-m", "init"}}) {
      EXPECT_EQ(git(args).exit_code, 0);
    }
  }
  CliResult git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", path.string()});
    return run_program(args);
  }
  // bosun run in the repository, with only the given programs on PATH beside the system's.
  CliResult bosun(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {"env", "-C", path.string(), BOSUN_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    env.emplace("HOME", home.string());
    env.emplace("PATH", bin.string() + ":/usr/bin:/bin");
    for (const char* key : {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY",
                            "GOOGLE_API_KEY", "BOSUN_STATE", "BOSUN_URL", "BOSUN_TOKEN"}) {
      env.emplace(key, "");  // whatever this machine has set is not this test's
    }
    return run_program(argv, env);
  }
  std::string status() { return git({"status", "--porcelain"}).out; }
};

TEST(Init, ATeamFileFromTheRolesThatUpRunsAsItIsAndGitStaysClean) {
  Repo repo;
  auto init = repo.bosun({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_TRUE(contains(init.out, "wrote " + (repo.path / "bosun.yaml").string() + ": 2 agents"))
      << init.out;
  EXPECT_TRUE(contains(init.out, "claude    not installed")) << init.out;
  EXPECT_TRUE(contains(init.out, "next: bosun up")) << init.out;
  std::ifstream in(repo.path / "bosun.yaml");
  std::string team((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contains(team, "  - name: backend\n    role: backend")) << team;
  // A role's name that is no agent name becomes one.
  EXPECT_TRUE(contains(team, "  - name: code-reviewer\n    role: Code Reviewer")) << team;
  EXPECT_TRUE(contains(team, "profile: shell")) << team;  // no agent CLI on this PATH
  // Only the team file is new to git; the state directory ignores itself.
  EXPECT_EQ(repo.status(), "?? bosun.yaml\n");
  // Again: refused (conflict), the file kept; --force writes it again.
  auto again = repo.bosun({"init"});
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_TRUE(contains(again.err, "bosun init --force")) << again.err;
  EXPECT_EQ(repo.bosun({"init", "--force"}).exit_code, 0);

  ASSERT_EQ(repo.git({"add", "bosun.yaml"}).exit_code, 0);
  ASSERT_EQ(repo.git({"commit", "-q", "-m", "team"}).exit_code, 0);
  auto up = repo.bosun({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(contains(up.out, "backend      started")) << up.out;
  EXPECT_TRUE(contains(up.out, "code-reviewer started")) << up.out;
  auto task = repo.bosun({"task", "add", "Write the server", "--role", "backend"});
  ASSERT_EQ(task.exit_code, 0) << task.err;
  auto down = repo.bosun({"down"});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_EQ(repo.status(), "");
  EXPECT_TRUE(live_processes_mentioning(repo.path.string()).empty());
}

TEST(Init, PicksTheAgentCliThatIsInstalledAndLoggedIn) {
  Repo repo;
  for (const char* program : {"claude", "codex"}) {
    std::ofstream(repo.bin / program) << "#!/bin/sh\nexit 0\n";
    fs::permissions(repo.bin / program, fs::perms::owner_all);
  }
  fs::create_directories(repo.home / ".codex");
  std::ofstream(repo.home / ".codex" / "auth.json") << "{}";
  auto init = repo.bosun({"init", "--json"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  Json j = Json::parse(init.out);
  // claude is installed but not logged in; codex is both: codex it is.
  for (const auto& a : j["agents"])
    EXPECT_EQ(a["profile"], "codex") << init.out;
  EXPECT_EQ(j["clis"][0]["profile"], "claude");
  EXPECT_EQ(j["clis"][0]["login"], nullptr);
  EXPECT_EQ(j["clis"][1]["login"], "~/.codex/auth.json");
  auto keyed = repo.bosun({"init", "--force", "--json"}, {{"ANTHROPIC_API_KEY", "k"}});
  EXPECT_EQ(Json::parse(keyed.out)["agents"][0]["profile"], "claude") << keyed.out;
  auto chosen = repo.bosun({"init", "--force", "--profile", "gemini", "--json"});
  EXPECT_EQ(Json::parse(chosen.out)["agents"][0]["profile"], "gemini") << chosen.out;
  auto unknown = repo.bosun({"init", "--force", "--profile", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 3);
  // Outside a repository there is nothing to init.
  TempDir elsewhere;
  auto outside = run_program({"env", "-C", elsewhere.path().string(), BOSUN_BINARY, "init"});
  EXPECT_EQ(outside.exit_code, 2);
  EXPECT_TRUE(contains(outside.err, "git repository")) << outside.err;
}

}  // namespace
}  // namespace bosun::e2e
