// Sandbox: the policy as the API and files spell it, the bwrap command line built from a
// layout of real folders, and the git common folder of a linked worktree.
#include "agent/sandbox.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace bosun {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

// Where `words` appear in `argv` one after the other; -1 when they don't.
long find_run(const Argv& argv, const Argv& words) {
  auto it = std::search(argv.begin(), argv.end(), words.begin(), words.end());
  return it == argv.end() ? -1 : static_cast<long>(it - argv.begin());
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bosun-sandbox-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path mkdir(const std::string& rel) {
    fs::create_directories(root_ / rel);
    return root_ / rel;
  }
  fs::path touch(const std::string& rel, const std::string& text = "") {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
    return root_ / rel;
  }
  fs::path root_;
};

TEST(SandboxPolicy, ParsesWhatTheApiAndFilesSay) {
  EXPECT_EQ(parse_sandbox(Json())->kind, SandboxKind::kNone);
  EXPECT_EQ(parse_sandbox("none")->kind, SandboxKind::kNone);
  auto bwrap = parse_sandbox("bwrap");
  ASSERT_TRUE(bwrap);
  EXPECT_EQ(bwrap->kind, SandboxKind::kBwrap);
  EXPECT_EQ(bwrap->network, SandboxNetwork::kOn);
  auto off = parse_sandbox(Json{{"kind", "bwrap"}, {"network", "off"}});
  ASSERT_TRUE(off);
  EXPECT_EQ(off->network, SandboxNetwork::kOff);
  EXPECT_EQ(off->to_json(), (Json{{"kind", "bwrap"}, {"network", "off"}}));
  for (const Json& bad : {Json("docker"), Json(3), Json{{"kind", "bwrap"}, {"network", "some"}},
                          Json{{"network", "off"}}, Json{{"kind", "bwrap"}, {"hosts", "x"}},
                          Json{{"kind", "none"}, {"network", "off"}}}) {
    auto p = parse_sandbox(bad);
    ASSERT_FALSE(p) << bad.dump();
    EXPECT_EQ(p.error().code, "invalid_sandbox") << bad.dump();
  }
}

TEST_F(SandboxTest, LaterMountsOpenWhatEarlierOnesHide) {
  fs::path home = mkdir("home");
  mkdir("home/.ssh");
  touch("home/.netrc", "machine x password y");
  mkdir("home/.claude");
  mkdir("home/.codex");
  fs::path state = mkdir("state");
  fs::path wt = mkdir("state/worktrees/app/a1");
  fs::path files = mkdir("state/agents/a1");
  SandboxLayout layout;
  layout.home = home.string();
  layout.state_root = state.string();
  layout.cwd = wt.string();
  layout.git_dir = mkdir("app/.git").string();
  touch("app/.git/config");
  mkdir("app/.git/hooks");
  layout.writable = {(home / ".claude").string()};
  layout.hidden = {(home / ".codex").string(), (home / ".gemini").string()};  // no .gemini
  layout.readable = {files.string()};
  layout.cache = mkdir("state/agents/a1/cache").string();
  layout.bosun_exe = "/usr/bin/bosun";
  Argv argv = bwrap_argv(SandboxPolicy{SandboxKind::kBwrap, SandboxNetwork::kOn}, layout,
                         {"claude", "--x"});
  ASSERT_GE(argv.size(), 4U);
  EXPECT_EQ(argv[0], "bwrap");
  EXPECT_EQ(find_run(argv, {"--unshare-net"}), -1);
  long root = find_run(argv, {"--ro-bind", "/", "/"});
  long private_home = find_run(argv, {"--tmpfs", home.string()});
  long entry =
      find_run(argv, {"--ro-bind-try", (home / ".claude").string(), (home / ".claude").string()});
  long codex = find_run(argv, {"--tmpfs", (home / ".codex").string()});
  long hide_state = find_run(argv, {"--tmpfs", state.string()});
  long own_files = find_run(argv, {"--ro-bind", files.string(), files.string()});
  long claude =
      find_run(argv, {"--bind", (home / ".claude").string(), (home / ".claude").string()});
  long cwd = find_run(argv, {"--bind", wt.string(), wt.string()});
  long git = find_run(argv, {"--bind", *layout.git_dir, *layout.git_dir});
  long git_config =
      find_run(argv, {"--ro-bind", *layout.git_dir + "/config", *layout.git_dir + "/config"});
  long git_hooks =
      find_run(argv, {"--ro-bind", *layout.git_dir + "/hooks", *layout.git_dir + "/hooks"});
  long sealed = find_run(argv, {"--remount-ro", state.string()});
  for (long at : {root, private_home, entry, codex, hide_state, own_files, claude, cwd, git,
                  git_config, git_hooks, sealed}) {
    EXPECT_GE(at, 0);
  }
  EXPECT_LT(root, private_home);
  EXPECT_LT(private_home, entry);
  EXPECT_LT(entry, codex);
  EXPECT_LT(codex, hide_state);
  EXPECT_LT(hide_state, own_files);
  EXPECT_LT(hide_state, cwd);
  EXPECT_LT(entry, claude);
  EXPECT_LT(git, git_config);
  EXPECT_LT(cwd, sealed);
  // Secrets at the top of HOME are not there at all.
  for (const char* secret : {".ssh", ".netrc"}) {
    auto path = (home / secret).string();
    EXPECT_EQ(std::count(argv.begin(), argv.end(), path), 0) << secret;
  }
  EXPECT_EQ(find_run(argv, {"--tmpfs", (home / ".gemini").string()}), -1);  // not there: nothing
  EXPECT_EQ(find_run(argv, {"--chdir", wt.string(), "--", "claude", "--x"}),
            static_cast<long>(argv.size()) - 5);
}

TEST_F(SandboxTest, WithoutANetworkTheProgramStartsBehindTheRelay) {
  SandboxLayout layout;
  layout.home = mkdir("home").string();
  layout.state_root = mkdir("state").string();
  layout.cwd = mkdir("work").string();
  layout.bosun_exe = "/usr/bin/bosun";
  layout.relay_dir = mkdir("state/run/relay").string();
  layout.relay_port = 4321;
  Argv argv = bwrap_argv(SandboxPolicy{SandboxKind::kBwrap, SandboxNetwork::kOff}, layout, {"sh"});
  EXPECT_GE(find_run(argv, {"--unshare-net"}), 0);
  EXPECT_GE(find_run(argv, {"--bind", layout.relay_dir, "/run/bosun"}), 0);
  EXPECT_GE(find_run(argv, {"--", "/usr/bin/bosun", "sandboxed", "--relay-port", "4321",
                            "--relay-socket", "/run/bosun/api.sock", "--", "sh"}),
            0);
}

TEST_F(SandboxTest, ALinkedWorktreeNamesItsRepositorysGitFolder) {
  fs::path common = mkdir("app/.git");
  fs::path own = mkdir("app/.git/worktrees/a1");
  touch("app/.git/worktrees/a1/commondir", "../..\n");
  fs::path wt = mkdir("wt");
  touch("wt/.git", "gitdir: " + own.string() + "\n");
  auto found = linked_git_common_dir(wt.string());
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, fs::weakly_canonical(common).string());
  // A checkout with its own .git folder, or no repository: nothing to add.
  EXPECT_FALSE(linked_git_common_dir((root_ / "app").string()));
  EXPECT_FALSE(linked_git_common_dir(mkdir("plain").string()));
}

}  // namespace
}  // namespace bosun
