// Branch: a task's own branch in an agent's worktree — started from the base (the worktree must
// be clean), switched back to for follow-up work, and measured against its base: commits, files
// with lines added and removed, the patch (cut with a marker when large), and whether a merge
// would land.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun::git {

struct BranchStart {
  // created | switched | already | dirty (uncommitted changes: files) | busy (the branch is
  // checked out in another worktree: elsewhere)
  std::string result;
  std::vector<std::string> files;
  std::string elsewhere;
  bool ok() const { return result == "created" || result == "switched" || result == "already"; }
};

// Puts the worktree at `worktree` on `branch`: an existing branch is checked out as it is; a new
// one starts at `base`. Refused (nothing changed) while the worktree has uncommitted changes or
// untracked files, except those matching `ignored` (the project's copy list).
Result<BranchStart> start_branch(const std::string& worktree, const std::string& branch,
                                 const std::string& base, const std::vector<std::string>& ignored);

// The branch checked out at `worktree`, if any (none when detached).
std::optional<std::string> current_branch(const std::string& worktree);

struct BranchDiffOptions {
  std::optional<std::string> file;  // only this file's patch
  bool ignore_whitespace = false;
  size_t max_patch = size_t{512} * 1024;
};

// `branch` against the point where it left `base`, in `repo`: {base, branch, fork_point, ahead,
// behind, commits[{id, subject, author, at}], files[{path, status, added, removed, binary}],
// stats{files, added, removed}, patch, truncated}. A cut patch ends with a line saying so.
Result<Json> branch_diff(const std::string& repo, const std::string& branch,
                         const std::string& base, const BranchDiffOptions& options);

}  // namespace bosun::git
