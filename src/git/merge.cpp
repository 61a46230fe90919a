// Merge: merge-tree, commit-tree and a compare-and-swap ref update (or git's own ff-only
// merge in the checkout that holds the base).
#include "git/merge.h"

#include <fnmatch.h>

#include <fmt/format.h>

#include "git/git.h"
#include "git/repo.h"
#include "util/process.h"

namespace bosun::git {

namespace {

bool has_glob(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

// The files git named after "would be overwritten by merge:" (one per tab-indented line).
std::vector<std::string> overwritten_files(const std::string& err) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(err)) {
    if (!line.empty() && line[0] == '\t') out.push_back(line.substr(1));
  }
  return out;
}

std::vector<std::string> conflicted_in(const std::string& worktree) {
  auto r = run(worktree, {"diff", "--name-only", "-z", "--diff-filter=U"});
  return r ? split_nul(*r) : std::vector<std::string>{};
}

}  // namespace

bool path_in_domains(const std::string& path, const std::vector<std::string>& domains) {
  if (domains.empty()) return true;
  for (std::string d : domains) {
    while (d.size() > 2 && d.rfind("./", 0) == 0)
      d = d.substr(2);
    if (d.empty()) continue;
    if (d == "." || d == "/" || d == "**") return true;
    if (has_glob(d)) {
      // "**/" also matches no folder at all.
      if (::fnmatch(d.c_str(), path.c_str(), 0) == 0) return true;
      if (d.rfind("**/", 0) == 0 && ::fnmatch(d.c_str() + 3, path.c_str(), 0) == 0) return true;
      continue;
    }
    if (d.back() == '/') d.pop_back();
    if (path == d || path.rfind(d + "/", 0) == 0) return true;
  }
  return false;
}

Json MergeOutcome::to_json() const {
  Json j{{"result", result}, {"files", files}};
  if (!commit.empty()) j["commit"] = commit;
  if (!previous.empty()) j["previous"] = previous;
  if (!updated_checkout.empty()) j["updated_checkout"] = updated_checkout;
  if (!detail.empty()) j["detail"] = detail;
  return j;
}

Json RebaseOutcome::to_json() const {
  Json j{{"result", result}, {"files", files}};
  if (!commit.empty()) j["commit"] = commit;
  return j;
}

namespace {

// Moves the base to `target`: git's own ff-only merge in the checkout that holds it (which
// refuses before writing anything when local changes are in the way: base_checkout_busy), or
// a compare-and-swap update-ref when nobody has it checked out.
Result<std::optional<MergeOutcome>> land_on_base(const MergeRequest& req,
                                                 const std::string& base_id,
                                                 const std::string& target, MergeOutcome& out) {
  const std::string& repo = req.repo;
  auto where = checked_out_at(repo, req.base);
  if (!where) return tl::unexpected(where.error());
  if (*where) {
    auto ff = call(**where, {"merge", "--ff-only", "--quiet", "--no-edit", target});
    if (!ff.ok()) {
      MergeOutcome busy;
      busy.result = "base_checkout_busy";
      busy.previous = base_id;
      busy.updated_checkout = **where;
      busy.files = overwritten_files(ff.err);
      busy.detail = ff.err.empty() ? ff.summary() : ff.err;
      while (!busy.detail.empty() && busy.detail.back() == '\n')
        busy.detail.pop_back();
      return std::optional<MergeOutcome>(busy);
    }
    out.updated_checkout = **where;
  } else {
    auto moved = run(repo, {"update-ref", "-m", "bosun: " + req.message, "refs/heads/" + req.base,
                            target, base_id});
    if (!moved) return tl::unexpected(moved.error());
  }
  return std::optional<MergeOutcome>();
}

}  // namespace

Result<MergeOutcome> merge(const MergeRequest& req) {
  const std::string& repo = req.repo;
  auto base_id = resolve(repo, "refs/heads/" + req.base);
  if (!base_id) return tl::unexpected(base_id.error());
  if (!*base_id) return not_found("branch_not_found", "no branch " + req.base + " in " + repo);
  auto branch_id = resolve(repo, "refs/heads/" + req.branch);
  if (!branch_id) return tl::unexpected(branch_id.error());
  if (!*branch_id) return not_found("branch_not_found", "no branch " + req.branch + " in " + repo);
  MergeOutcome out;
  out.previous = **base_id;
  if (is_ancestor(repo, **branch_id, **base_id)) {
    out.result = "already_merged";
    out.commit = **base_id;
    return out;
  }
  // What the branch changed since it left the base, old and new names both (no renames).
  auto changed = run(
      repo, {"diff", "--no-renames", "--name-only", "-z", **base_id + "..." + **branch_id, "--"});
  if (!changed) return tl::unexpected(changed.error());
  out.files = split_nul(*changed);
  std::vector<std::string> outside;
  for (const auto& f : out.files) {
    if (!path_in_domains(f, req.domains)) outside.push_back(f);
  }
  if (!outside.empty()) {
    out.result = "outside_domains";
    out.files = outside;
    return out;
  }
  std::string target;
  if (is_ancestor(repo, **base_id, **branch_id)) {
    out.result = "fast_forward";
    target = **branch_id;
    if (req.dry_run) return out;
  } else {
    auto tree = call(repo, {"merge-tree", "--write-tree", "--name-only", "--no-messages", **base_id,
                            **branch_id});
    if (!tree.started || (tree.exit_code != 0 && tree.exit_code != 1)) {
      return internal("git_failed", fmt::format("git merge-tree in {} failed ({}): {}", repo,
                                                tree.summary(), tree.err));
    }
    auto lines = split_lines(tree.out);
    if (lines.empty()) return internal("git_output", "git merge-tree printed no tree");
    if (tree.exit_code == 1) {
      out.result = "conflict";
      out.files.assign(lines.begin() + 1, lines.end());
      return out;
    }
    if (req.dry_run) {
      out.result = "merged";
      return out;
    }
    ProcessSpec commit = command(
        repo, {"commit-tree", lines[0], "-p", **base_id, "-p", **branch_id, "-m", req.message});
    ensure_identity_env(repo, commit.env);
    auto made = run_process_blocking(commit);
    if (!made.ok()) {
      return internal("git_failed",
                      fmt::format("git commit-tree in {} failed: {}", repo, made.err));
    }
    out.result = "merged";
    target = first_line(made.out);
  }
  TRY(refused, land_on_base(req, **base_id, target, out));
  if (*refused) return **refused;
  out.commit = target;
  return out;
}

Result<RebaseOutcome> rebase(const std::string& worktree, const std::string& base) {
  RebaseOutcome out;
  auto dirty = run(worktree, {"status", "--porcelain=v1", "-z", "--untracked-files=no"});
  if (!dirty) return tl::unexpected(dirty.error());
  if (!dirty->empty()) {
    out.result = "dirty";
    for (const auto& f : split_nul(*dirty)) {
      if (f.size() > 3) out.files.push_back(f.substr(3));
    }
    return out;
  }
  auto head = run(worktree, {"rev-parse", "HEAD"});
  if (!head) return tl::unexpected(head.error());
  auto r = call(worktree, {"rebase", "--quiet", base});
  if (!r.ok()) {
    out.files = conflicted_in(worktree);
    auto abort = call(worktree, {"rebase", "--abort"});
    if (!abort.ok()) {
      return internal("rebase_abort_failed",
                      fmt::format("git rebase --abort in {} failed: {}", worktree, abort.err));
    }
    out.result = "conflict";
    return out;
  }
  auto now = run(worktree, {"rev-parse", "HEAD"});
  if (!now) return tl::unexpected(now.error());
  out.commit = first_line(*now);
  out.result = out.commit == first_line(*head) ? "up_to_date" : "rebased";
  return out;
}

Result<bool> catch_up(const std::string& worktree, const std::string& base) {
  auto dirty = run(worktree, {"status", "--porcelain=v1", "-z", "--untracked-files=no"});
  if (!dirty) return tl::unexpected(dirty.error());
  if (!dirty->empty()) return false;
  auto head = run(worktree, {"rev-parse", "HEAD"});
  auto target = resolve(worktree, "refs/heads/" + base);
  if (!head || !target || !*target) return false;
  if (first_line(*head) == **target) return false;
  if (!is_ancestor(worktree, first_line(*head), **target)) return false;  // unmerged work
  auto ff = call(worktree, {"merge", "--ff-only", "--quiet", **target});
  return ff.ok();
}

}  // namespace bosun::git
