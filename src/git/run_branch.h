// RunBranch: the git a pipeline run does in its own worktree — what a step committed (with
// whatever it left uncommitted committed for it), the files it changed, and the base brought
// in before the tests run on "the step's result merged onto the current base". Blocking:
// callers are the git worker.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace bosun::git {

// HEAD of the worktree.
Result<std::string> head(const std::string& worktree);

// Commits everything the worktree holds uncommitted (untracked files too, ignored ones not),
// as bosun, with `message`; returns HEAD afterwards (unchanged when there was nothing).
Result<std::string> commit_leftovers(const std::string& worktree, const std::string& message);

// Paths that differ between commits `from` and `to` (added, changed, deleted, renamed).
Result<std::vector<std::string>> changed_between(const std::string& worktree,
                                                 const std::string& from, const std::string& to);

// The commits on the first-parent line from `to` back to `from` (excluded), newest first: what
// the branch itself gained, not what a merge of another branch brought in.
Result<std::vector<std::string>> commits_between(const std::string& dir, const std::string& from,
                                                 const std::string& to);

// Sets the worktree's branch back to `commit`, files and all (untracked ones too), after
// keeping what it held at `backup_ref`. Returns the commit it held.
Result<std::string> set_back(const std::string& worktree, const std::string& commit,
                             const std::string& backup_ref);

// Paths among `files` whose content at `to` differs from `from`.
Result<std::vector<std::string>> differing(const std::string& worktree, const std::string& from,
                                           const std::string& to,
                                           const std::vector<std::string>& files);

struct BaseMerge {
  std::string result;              // up_to_date | merged | conflict
  std::string commit;              // HEAD afterwards
  std::vector<std::string> files;  // conflict: the files
};

// Merges `base` into the branch checked out in `worktree` (a merge commit by bosun); a
// conflict is aborted, so the worktree ends as it began.
Result<BaseMerge> merge_base_in(const std::string& worktree, const std::string& base);

}  // namespace bosun::git
