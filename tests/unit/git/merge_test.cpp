// Merge, rebase, snapshot and domains on real repositories made with the git CLI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "git/git.h"
#include "git/merge.h"
#include "git/repo.h"
#include "git/worktree.h"

namespace bosun::git {
namespace {

namespace fs = std::filesystem;

TEST(Domains, FoldersFilesAndGlobsMatchTheirPaths) {
  std::vector<std::string> d{"src/", "tests", "pyproject.toml", "docs/*.md", "**/*.proto"};
  EXPECT_TRUE(path_in_domains("src/a/b.cpp", d));
  EXPECT_TRUE(path_in_domains("tests/t.py", d));
  EXPECT_TRUE(path_in_domains("pyproject.toml", d));
  EXPECT_TRUE(path_in_domains("docs/x.md", d));
  EXPECT_TRUE(path_in_domains("api.proto", d));
  EXPECT_TRUE(path_in_domains("a/b/api.proto", d));
  EXPECT_FALSE(path_in_domains("srcx/a.cpp", d));
  EXPECT_FALSE(path_in_domains("testsuite/a", d));
  EXPECT_FALSE(path_in_domains("README.md", d));
  EXPECT_FALSE(path_in_domains("docs/x.txt", d));
  EXPECT_TRUE(path_in_domains("anything", {}));
}

class Repo : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bosun-git-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    repo_ = root_ / "repo";
    fs::create_directories(repo_);
    ok({"init", "-q", "-b", "main"});
    ok({"config", "user.name", "t"});
    ok({"config", "user.email", "t@bosun.invalid"});
    put(repo_ / "a.txt", "1\n2\n3\n");
    commit(repo_, "init");
    wt_ = (root_ / "wt").string();
    ASSERT_TRUE(add_worktree(repo_.string(), wt_, "bosun/kai", "main"));
  }
  void TearDown() override { fs::remove_all(root_); }

  void ok(std::vector<std::string> args, const fs::path& dir = {}) {
    auto r = run((dir.empty() ? repo_ : dir).string(), std::move(args));
    ASSERT_TRUE(r) << r.error().message;
  }
  static void put(const fs::path& f, const std::string& text) {
    fs::create_directories(f.parent_path());
    std::ofstream(f) << text;
  }
  void commit(const fs::path& dir, const std::string& msg) {
    ok({"add", "-A"}, dir);
    ok({"commit", "-q", "-m", msg}, dir);
  }
  std::string rev(const std::string& ref) {
    return first_line(*run(repo_.string(), {"rev-parse", ref}));
  }

  fs::path root_, repo_;
  std::string wt_;
};

TEST_F(Repo, FastForwardMovesTheCheckedOutBaseWithItsFiles) {
  put(fs::path(wt_) / "b.txt", "b\n");
  commit(wt_, "b");
  auto out = merge({repo_.string(), "bosun/kai", "main", "m", {}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->result, "fast_forward");
  EXPECT_EQ(out->updated_checkout, repo_.string());
  EXPECT_TRUE(fs::exists(repo_ / "b.txt"));
  EXPECT_EQ(rev("main"), rev("bosun/kai"));
}

TEST_F(Repo, ConflictListsFilesAndChangesNothing) {
  put(fs::path(wt_) / "a.txt", "1\nkai\n3\n");
  commit(wt_, "kai");
  put(repo_ / "a.txt", "1\nmain\n3\n");
  commit(repo_, "main");
  std::string before = rev("main");
  auto out = merge({repo_.string(), "bosun/kai", "main", "m", {}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->result, "conflict");
  EXPECT_EQ(out->files, std::vector<std::string>{"a.txt"});
  EXPECT_EQ(rev("main"), before);
  EXPECT_EQ(first_line(*run(repo_.string(), {"status", "--porcelain"})), "");
  // The rebase aborts and leaves the worktree as it was.
  std::string head = first_line(*run(wt_, {"rev-parse", "HEAD"}));
  auto rb = rebase(wt_, "main");
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->result, "conflict");
  EXPECT_EQ(rb->files, std::vector<std::string>{"a.txt"});
  EXPECT_EQ(first_line(*run(wt_, {"rev-parse", "HEAD"})), head);
  EXPECT_FALSE(fs::exists(first_line(*run(wt_, {"rev-parse", "--git-dir"})) + "/rebase-merge"));
}

TEST_F(Repo, MergeCommitWhenBaseIsNotCheckedOut) {
  ok({"checkout", "-q", "--detach"});  // main is checked out nowhere now
  put(fs::path(wt_) / "k.txt", "k\n");
  commit(wt_, "k");
  put(repo_ / "m.txt", "m\n");
  ok({"add", "-A"});
  ok({"commit", "-q", "-m", "on detached"});
  std::string detached = first_line(*run(repo_.string(), {"rev-parse", "HEAD"}));
  ok({"update-ref", "refs/heads/main", detached});
  auto out = merge({repo_.string(), "bosun/kai", "main", "Merge kai", {}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->result, "merged");
  EXPECT_TRUE(out->updated_checkout.empty());
  EXPECT_EQ(first_line(*run(repo_.string(), {"log", "-1", "--format=%s", "main"})), "Merge kai");
  EXPECT_EQ(first_line(*run(repo_.string(), {"rev-parse", "HEAD"})), detached);  // untouched
  auto files = run(repo_.string(), {"ls-tree", "--name-only", "main"});
  EXPECT_NE(files->find("k.txt"), std::string::npos);
  EXPECT_NE(files->find("m.txt"), std::string::npos);
}

TEST_F(Repo, DomainsRefuseAndAlreadyMergedIsNothing) {
  put(fs::path(wt_) / "src" / "x.cpp", "x\n");
  put(fs::path(wt_) / "README.md", "r\n");
  commit(wt_, "x");
  auto out = merge({repo_.string(), "bosun/kai", "main", "m", {"src/"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->result, "outside_domains");
  EXPECT_EQ(out->files, std::vector<std::string>{"README.md"});
  auto none = merge({repo_.string(), "main", "bosun/kai", "m", {}});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->result, "already_merged");
}

TEST_F(Repo, SnapshotKeepsUntrackedAndModifiedWithoutTouchingTheIndex) {
  put(fs::path(wt_) / "a.txt", "changed\n");
  put(fs::path(wt_) / "new.txt", "new\n");
  ok({"add", "a.txt"}, wt_);
  auto snap = snapshot(wt_, "backup");
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(first_line(*run(wt_, {"show", *snap + ":new.txt"})), "new");
  EXPECT_EQ(first_line(*run(wt_, {"show", *snap + ":a.txt"})), "changed");
  auto status = run(wt_, {"status", "--porcelain"});
  EXPECT_NE(status->find("M  a.txt"), std::string::npos) << *status;    // still staged
  EXPECT_NE(status->find("?? new.txt"), std::string::npos) << *status;  // still untracked
  auto st = git::status(repo_.string(), wt_, "bosun/kai", "main");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->dirty.size(), 2u);
}

TEST_F(Repo, InspectSaysWhatIsWrong) {
  EXPECT_EQ(inspect((root_ / "nope").string()).error().code, "not_a_directory");
  fs::create_directories(root_ / "plain");
  EXPECT_EQ(inspect((root_ / "plain").string()).error().code, "not_a_git_repository");
  auto info = inspect((repo_ / ".").string());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->current_branch, "main");
  auto from_worktree = inspect(wt_);
  ASSERT_TRUE(from_worktree);
  EXPECT_EQ(from_worktree->current_branch, "bosun/kai");
}

}  // namespace
}  // namespace bosun::git
