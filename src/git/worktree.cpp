// Worktree: `git worktree`, `git status`, `git diff` and a temporary-index snapshot.
#include "git/worktree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "git/git.h"
#include "git/repo.h"
#include "util/process.h"

namespace bosun::git {

namespace fs = std::filesystem;

namespace {

std::string status_word(char x, char y) {
  if (x == '?') return "untracked";
  if (x == 'U' || y == 'U' || (x == 'A' && y == 'A') || (x == 'D' && y == 'D')) return "conflicted";
  char c = x != ' ' ? x : y;
  switch (c) {
    case 'A':
      return "added";
    case 'D':
      return "deleted";
    case 'R':
      return "renamed";
    case 'C':
      return "copied";
    default:
      return "modified";
  }
}

std::vector<FileState> dirty_files(const std::string& path) {
  std::vector<FileState> out;
  auto r = run(path, {"status", "--porcelain=v1", "-z", "--untracked-files=all"});
  if (!r) return out;
  auto fields = split_nul(*r);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& f = fields[i];
    if (f.size() < 4) continue;
    FileState s{f.substr(3), status_word(f[0], f[1])};
    if (f[0] == 'R' || f[0] == 'C') ++i;  // the original name follows
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Json TreeStatus::to_json() const {
  Json files = Json::array();
  for (const auto& f : dirty)
    files.push_back(Json{{"path", f.path}, {"status", f.status}});
  return Json{{"exists", exists},
              {"ahead", ahead},
              {"behind", behind},
              {"dirty", !dirty.empty()},
              {"dirty_files", files},
              {"unmerged_commits", unmerged},
              {"clean", dirty.empty() && unmerged.empty()}};
}

Status add_worktree(const std::string& repo, const std::string& path, const std::string& branch,
                    const std::string& base) {
  auto existing = resolve(repo, "refs/heads/" + branch);
  if (!existing) return tl::unexpected(existing.error());
  std::vector<std::string> args{"worktree", "add", "--quiet"};
  if (*existing) {
    args.insert(args.end(), {path, branch});
  } else {
    args.insert(args.end(), {"-b", branch, path, base});
  }
  auto r = run(repo, args);
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<TreeStatus> status(const std::string& repo, const std::string& path,
                          const std::string& branch, const std::string& base) {
  TreeStatus st;
  std::error_code ec;
  st.exists = fs::is_directory(path, ec) && fs::exists(fs::path(path) / ".git", ec);
  auto counts = run(repo, {"rev-list", "--left-right", "--count", base + "..." + branch});
  if (!counts) return tl::unexpected(counts.error());
  if (std::sscanf(counts->c_str(), "%lld %lld", reinterpret_cast<long long*>(&st.behind),
                  reinterpret_cast<long long*>(&st.ahead)) != 2) {
    return internal("git_output", "unexpected output of git rev-list --count: " + *counts);
  }
  if (st.ahead > 0) {
    auto log = run(repo, {"log", "--format=%h %s", "--max-count=50", base + ".." + branch, "--"});
    if (!log) return tl::unexpected(log.error());
    st.unmerged = split_lines(*log);
  }
  if (st.exists) st.dirty = dirty_files(path);
  return st;
}

Result<Json> diff(const std::string& path, const std::string& base, size_t max_patch) {
  auto fork = run(path, {"merge-base", base, "HEAD"});
  if (!fork) return tl::unexpected(fork.error());
  std::string from = first_line(*fork);
  auto names = run(path, {"diff", "--no-renames", "--name-status", "-z", from, "HEAD", "--"});
  if (!names) return tl::unexpected(names.error());
  Json files = Json::array();
  auto fields = split_nul(*names);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    char c = fields[i].empty() ? 'M' : fields[i][0];
    files.push_back(Json{{"path", fields[i + 1]},
                         {"status", c == 'A'   ? "added"
                                    : c == 'D' ? "deleted"
                                               : "modified"},
                         {"committed", true}});
  }
  for (const auto& f : dirty_files(path)) {
    files.push_back(Json{{"path", f.path}, {"status", f.status}, {"committed", false}});
  }
  auto cut = [max_patch](std::string patch, Json& out, const char* key) {
    bool truncated = patch.size() > max_patch;
    if (truncated) patch.resize(max_patch);
    out[key] = std::move(patch);
    out[std::string(key) + "_truncated"] = truncated;
  };
  Json out{{"base", base}, {"fork_point", from}, {"files", files}};
  auto patch = run(path, {"diff", "--no-renames", from, "HEAD", "--"});
  if (!patch) return tl::unexpected(patch.error());
  cut(std::move(*patch), out, "patch");
  auto uncommitted = run(path, {"diff", "--no-renames", "HEAD", "--"});
  if (!uncommitted) return tl::unexpected(uncommitted.error());
  cut(std::move(*uncommitted), out, "uncommitted_patch");
  return out;
}

Result<std::string> snapshot(const std::string& path, const std::string& message) {
  auto head = run(path, {"rev-parse", "HEAD"});
  if (!head) return tl::unexpected(head.error());
  std::string head_id = first_line(*head);
  if (dirty_files(path).empty()) return head_id;
  // A private index: the worktree's own index and files stay as they are.
  auto git_dir = run(path, {"rev-parse", "--absolute-git-dir"});
  if (!git_dir) return tl::unexpected(git_dir.error());
  std::string index = first_line(*git_dir) + "/bosun-snapshot-index";
  std::error_code ec;
  fs::remove(index, ec);
  auto with_index = [&](std::vector<std::string> args) {
    ProcessSpec spec = command(path, std::move(args));
    spec.unset_env.erase(
        std::remove(spec.unset_env.begin(), spec.unset_env.end(), std::string("GIT_INDEX_FILE")),
        spec.unset_env.end());
    spec.env["GIT_INDEX_FILE"] = index;
    ensure_identity_env(path, spec.env);
    return run_process_blocking(spec);
  };
  ProcessResult steps[3];
  steps[0] = with_index({"read-tree", "HEAD"});
  if (steps[0].ok()) steps[1] = with_index({"add", "-A", "--", "."});
  if (steps[1].ok()) steps[2] = with_index({"write-tree"});
  fs::remove(index, ec);
  for (const auto& s : steps) {
    if (!s.ok()) {
      return internal("snapshot_failed", fmt::format("cannot snapshot {}: {}", path,
                                                     s.err.empty() ? s.summary() : s.err));
    }
  }
  ProcessSpec commit =
      command(path, {"commit-tree", first_line(steps[2].out), "-p", head_id, "-m", message});
  ensure_identity_env(path, commit.env);
  auto made = run_process_blocking(commit);
  if (!made.ok()) {
    return internal("snapshot_failed", fmt::format("cannot snapshot {}: {}", path, made.err));
  }
  return first_line(made.out);
}

Status write_ref(const std::string& repo, const std::string& ref, const std::string& commit,
                 const std::string& reason) {
  auto r = run(repo, {"update-ref", "-m", reason, ref, commit});
  if (!r) return tl::unexpected(r.error());
  return {};
}

Status remove_worktree(const std::string& repo, const std::string& path, bool force) {
  std::vector<std::string> args{"worktree", "remove"};
  if (force) args.insert(args.end(), {"--force", "--force"});
  args.push_back(path);
  auto r = run(repo, args);
  if (!r) {
    std::error_code ec;
    if (fs::exists(path, ec)) return tl::unexpected(r.error());
    // The directory was already gone: forget git's record of it.
    auto pruned = run(repo, {"worktree", "prune"});
    if (!pruned) return tl::unexpected(pruned.error());
  }
  return {};
}

Status delete_branch_if_merged(const std::string& repo, const std::string& branch,
                               const std::string& base) {
  auto tip = resolve(repo, "refs/heads/" + branch);
  if (!tip) return tl::unexpected(tip.error());
  if (!*tip) return {};
  if (!is_ancestor(repo, **tip, base)) return {};
  auto r = run(repo, {"branch", "-D", "--", branch});  // merged into base: checked just above
  if (!r) return tl::unexpected(r.error());
  return {};
}

int64_t disk_usage(const std::string& path) {
  int64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<int64_t>(st.st_blocks) * 512;
  }
  return total;
}

}  // namespace bosun::git
