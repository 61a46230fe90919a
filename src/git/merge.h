// Merge: brings an agent's branch into the base branch without checking anything out and
// without leaving anything half-done. The merge is computed in the object store
// (`git merge-tree --write-tree`); only a clean result moves the base branch.
#pragma once

#include <string>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun::git {

// True when `path` lies within one of `domains`: "src/" or "src" (a folder and everything in
// it), "pyproject.toml" (one file), or a glob ("docs/*.md", "**/*.test.ts"), matched against
// the whole path. An empty list allows everything.
bool path_in_domains(const std::string& path, const std::vector<std::string>& domains);

struct MergeRequest {
  std::string repo;    // the main repository
  std::string branch;  // the agent's branch
  std::string base;    // the branch it goes into
  std::string message;
  std::vector<std::string> domains;  // the role's; empty: anywhere
  bool dry_run = false;  // say what a merge would do (result "merged" or "fast_forward": clean)
};

struct MergeOutcome {
  // merged | fast_forward | already_merged | conflict | outside_domains | base_checkout_busy
  std::string result;
  std::string commit;              // the base's new commit (merged, fast_forward)
  std::string previous;            // the base's commit before
  std::vector<std::string> files;  // changed files; or the conflicting / offending ones
  std::string updated_checkout;    // the checkout of `base` that was fast-forwarded, if any
  std::string detail;              // git's words, for base_checkout_busy
  bool ok() const {
    return result == "merged" || result == "fast_forward" || result == "already_merged";
  }
  Json to_json() const;
};

// Merges `branch` into `base`. When `base` is checked out somewhere (usually the user's main
// checkout), that checkout is fast-forwarded by git itself, which refuses — changing nothing —
// if its local changes are in the way. Anything but success leaves every branch, index and
// file as it was.
Result<MergeOutcome> merge(const MergeRequest& request);

struct RebaseOutcome {
  std::string result;  // rebased | up_to_date | conflict | dirty
  std::string commit;
  std::vector<std::string> files;
  Json to_json() const;
};

// Rebases the branch checked out in `worktree` onto `base`; a conflict is aborted, so the
// worktree ends as it began. Refuses (dirty) while it has uncommitted changes.
Result<RebaseOutcome> rebase(const std::string& worktree, const std::string& base);

// Moves a clean worktree whose branch holds nothing unmerged up to `base` (fast-forward):
// a worker starting a new task sees what the others have merged. Returns whether it moved.
Result<bool> catch_up(const std::string& worktree, const std::string& base);

}  // namespace bosun::git
