// Repo: inspection through `git rev-parse` and `git worktree list`.
#include "git/repo.h"

#include <filesystem>

#include <fmt/format.h>

#include "git/git.h"

namespace bosun::git {

Result<RepoInfo> inspect(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_directory(path, ec)) {
    return bad_request("not_a_directory", fmt::format("{} is not a directory", path));
  }
  auto bare = call(path, {"rev-parse", "--is-bare-repository"});
  if (!bare.ok()) {
    return bad_request(
        "not_a_git_repository",
        fmt::format("{} is not inside a git repository (run 'git init' there)", path));
  }
  if (first_line(bare.out) == "true") {
    return bad_request("bare_repository",
                       fmt::format("{} is a bare repository; agents need a work tree", path));
  }
  auto top = run(path, {"rev-parse", "--show-toplevel"});
  if (!top) return tl::unexpected(top.error());
  RepoInfo info;
  info.top_level = std::filesystem::weakly_canonical(first_line(*top), ec).string();
  auto head = call(info.top_level, {"rev-parse", "--verify", "-q", "HEAD^{commit}"});
  if (!head.ok()) {
    return bad_request("no_commits",
                       fmt::format("{} has no commits yet; commit something first (worktrees "
                                   "start from a commit)",
                                   info.top_level));
  }
  info.head = first_line(head.out);
  auto branch = call(info.top_level, {"symbolic-ref", "--short", "-q", "HEAD"});
  if (branch.ok() && !first_line(branch.out).empty()) info.current_branch = first_line(branch.out);
  return info;
}

Result<std::optional<std::string>> resolve(const std::string& repo, const std::string& ref) {
  auto r = call(repo, {"rev-parse", "--verify", "-q", ref + "^{commit}"});
  if (!r.started) return internal("git_failed", r.error);
  if (!r.ok()) return std::optional<std::string>();
  return std::optional<std::string>(first_line(r.out));
}

bool is_ancestor(const std::string& repo, const std::string& ancestor,
                 const std::string& descendant) {
  return call(repo, {"merge-base", "--is-ancestor", ancestor, descendant}).ok();
}

bool valid_branch_name(const std::string& repo, const std::string& name) {
  if (name.empty() || name[0] == '-') return false;
  return call(repo, {"check-ref-format", "--branch", name}).ok();
}

Result<std::optional<std::string>> checked_out_at(const std::string& repo,
                                                  const std::string& branch) {
  auto list = run(repo, {"worktree", "list", "--porcelain", "-z"});
  if (!list) return tl::unexpected(list.error());
  std::string path;
  for (const auto& field : split_nul(*list)) {
    if (field.rfind("worktree ", 0) == 0) path = field.substr(9);
    if (field == "branch refs/heads/" + branch) return std::optional<std::string>(path);
  }
  return std::optional<std::string>();
}

void ensure_identity_env(const std::string& repo, std::map<std::string, std::string>& env) {
  if (first_line(call(repo, {"config", "user.name"}).out).empty()) {
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "bosun";
  }
  if (first_line(call(repo, {"config", "user.email"}).out).empty()) {
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "bosun@localhost";
  }
}

}  // namespace bosun::git
