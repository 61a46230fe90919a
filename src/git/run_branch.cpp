// RunBranch: commits, changed paths and the base merged in, in a run's worktree.
#include "git/run_branch.h"

#include <map>

#include "git/git.h"
#include "git/repo.h"

namespace bosun::git {
namespace {

// `git -c user.name=bosun -c user.email=bosun@localhost` when the repository names no
// committer: ensure_identity_env's fixed values, each one argv element, never request text.
std::vector<std::string> identity(const std::string& worktree) {
  std::map<std::string, std::string> env;
  ensure_identity_env(worktree, env);
  std::vector<std::string> args;
  if (auto it = env.find("GIT_COMMITTER_NAME"); it != env.end()) {
    args.insert(args.end(), {"-c", "user.name=" + it->second});
  }
  if (auto it = env.find("GIT_COMMITTER_EMAIL"); it != env.end()) {
    args.insert(args.end(), {"-c", "user.email=" + it->second});
  }
  return args;
}

std::vector<std::string> with(std::vector<std::string> first, std::vector<std::string> rest) {
  first.insert(first.end(), rest.begin(), rest.end());
  return first;
}

}  // namespace

Result<std::string> head(const std::string& worktree) {
  TRY(out, run(worktree, {"rev-parse", "--verify", "HEAD"}));
  return first_line(*out);
}

Result<std::string> commit_leftovers(const std::string& worktree, const std::string& message) {
  TRY(status, run(worktree, {"status", "--porcelain", "-z", "--untracked-files=all"}));
  if (!status->empty()) {
    TRY_OK(run(worktree, {"add", "-A"}));
    TRY_OK(run(worktree, with(identity(worktree), {"commit", "--no-verify", "-q", "-m", message})));
  }
  return head(worktree);
}

Result<std::vector<std::string>> changed_between(const std::string& worktree,
                                                 const std::string& from, const std::string& to) {
  if (from == to) return std::vector<std::string>();
  TRY(out, run(worktree, {"diff", "--name-only", "-z", "--no-renames", from, to}));
  return split_nul(*out);
}

Result<std::vector<std::string>> commits_between(const std::string& dir, const std::string& from,
                                                 const std::string& to) {
  if (from == to) return std::vector<std::string>();
  TRY(out, run(dir, {"rev-list", "--first-parent", from + ".." + to, "--"}));
  return split_lines(*out);
}

Result<std::string> set_back(const std::string& worktree, const std::string& commit,
                             const std::string& backup_ref) {
  TRY(held, commit_leftovers(worktree, "left uncommitted by a refused attempt"));
  if (*held == commit) return held;
  TRY_OK(run(worktree, {"update-ref", "-m", "a refused attempt", backup_ref, *held}));
  TRY_OK(run(worktree, {"reset", "-q", "--hard", commit}));
  TRY_OK(run(worktree, {"clean", "-fdq"}));
  return held;
}

Result<std::vector<std::string>> differing(const std::string& worktree, const std::string& from,
                                           const std::string& to,
                                           const std::vector<std::string>& files) {
  if (files.empty() || from == to) return std::vector<std::string>();
  std::vector<std::string> args{"diff", "--name-only", "-z", "--no-renames", from, to, "--"};
  args.insert(args.end(), files.begin(), files.end());
  TRY(out, run(worktree, args));
  return split_nul(*out);
}

Result<BaseMerge> merge_base_in(const std::string& worktree, const std::string& base) {
  BaseMerge out;
  TRY(before, head(worktree));
  auto merged =
      call(worktree, with(identity(worktree), {"merge", "--no-edit", "--no-ff", "-q", "-m",
                                               "Merge " + base + " into the run", base}));
  if (!merged.started) return internal("git_failed", "cannot run git: " + merged.error);
  if (merged.exit_code != 0) {
    auto files = run(worktree, {"diff", "--name-only", "-z", "--diff-filter=U"});
    if (files) out.files = split_nul(*files);
    (void)call(worktree, {"merge", "--abort"});
    if (out.files.empty()) {
      return internal("git_failed", "git merge " + base + ": " + first_line(merged.err));
    }
    out.result = "conflict";
  }
  TRY(after, head(worktree));
  out.commit = *after;
  if (out.result.empty()) out.result = *after == *before ? "up_to_date" : "merged";
  return out;
}

}  // namespace bosun::git
