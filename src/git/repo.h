// Repo: what bosun needs to know about a repository before it works in it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "util/result.h"

namespace bosun::git {

struct RepoInfo {
  std::string top_level;                      // absolute, canonical
  std::optional<std::string> current_branch;  // of the main checkout; none when detached
  std::string head;                           // commit id
};

// 400 `not_a_directory`, `not_a_git_repository`, `bare_repository` or `no_commits`, each with
// a sentence a person can act on.
Result<RepoInfo> inspect(const std::string& path);

// The commit a ref names, or nullopt when it names none.
Result<std::optional<std::string>> resolve(const std::string& repo, const std::string& ref);
bool is_ancestor(const std::string& repo, const std::string& ancestor,
                 const std::string& descendant);
// `git check-ref-format --branch`: a name git accepts for a branch.
bool valid_branch_name(const std::string& repo, const std::string& name);

// Where `branch` is checked out (a worktree's path), if anywhere.
Result<std::optional<std::string>> checked_out_at(const std::string& repo,
                                                  const std::string& branch);

// A committer for commits bosun makes itself, when the repository names none.
void ensure_identity_env(const std::string& repo, std::map<std::string, std::string>& env);

}  // namespace bosun::git
