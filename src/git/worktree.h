// Worktree: create, inspect, snapshot and remove one agent's git worktree. Nothing here
// deletes work: removal refuses unsaved changes unless a snapshot has been taken first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun::git {

// `git worktree add` of `branch` at `path`: the branch is created from `base` when it does not
// exist yet, else checked out as it is (a restarted agent keeps its commits).
Status add_worktree(const std::string& repo, const std::string& path, const std::string& branch,
                    const std::string& base);

struct FileState {
  std::string path;
  std::string status;  // "modified", "added", "deleted", "renamed", "untracked", "conflicted"
};

struct TreeStatus {
  int64_t ahead = 0;                  // commits on the branch that the base lacks
  int64_t behind = 0;                 // commits on the base that the branch lacks
  std::vector<FileState> dirty;       // uncommitted changes, untracked files included
  std::vector<std::string> unmerged;  // "abc1234 subject" of each commit the base lacks
  bool exists = true;                 // the directory is there and is a worktree
  Json to_json() const;
};

// The worktree at `path` on `branch`, measured against `base`.
Result<TreeStatus> status(const std::string& repo, const std::string& path,
                          const std::string& branch, const std::string& base);

// Files and patch of the branch against the point where it left `base`, plus the uncommitted
// changes; patches above `max_patch` bytes are cut and say so.
Result<Json> diff(const std::string& path, const std::string& base, size_t max_patch = 1 << 20);

// A commit holding everything in the worktree — committed, staged, modified and untracked
// (ignored files aside) — on top of its HEAD, made without touching its index or files.
// Returns HEAD itself when there is nothing uncommitted.
Result<std::string> snapshot(const std::string& path, const std::string& message);

// Points `ref` at `commit` (a backup: refs/bosun/backup/…).
Status write_ref(const std::string& repo, const std::string& ref, const std::string& commit,
                 const std::string& reason);

// `git worktree remove`; with `force` after the caller has secured the work elsewhere. Then
// the branch is deleted when it is merged into `base` (never forced).
Status remove_worktree(const std::string& repo, const std::string& path, bool force);
Status delete_branch_if_merged(const std::string& repo, const std::string& branch,
                               const std::string& base);

// Bytes the directory takes on disk.
int64_t disk_usage(const std::string& path);

}  // namespace bosun::git
