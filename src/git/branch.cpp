// Branch: start or resume a task's branch, and its diff against the base.
#include "git/branch.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "git/git.h"
#include "git/merge.h"
#include "git/repo.h"

namespace bosun::git {

namespace {

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec1;
  std::error_code ec2;
  auto ca = std::filesystem::weakly_canonical(a, ec1);
  auto cb = std::filesystem::weakly_canonical(b, ec2);
  return !ec1 && !ec2 ? ca == cb : a == b;
}

// Uncommitted changes and untracked files, but not those the copy list put there.
Result<std::vector<std::string>> unsaved_files(const std::string& worktree,
                                               const std::vector<std::string>& ignored) {
  TRY(out, run(worktree, {"status", "--porcelain=v1", "-z", "--untracked-files=all"}));
  std::vector<std::string> files;
  auto fields = split_nul(*out);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& f = fields[i];
    if (f.size() < 4) continue;
    if (f[0] == 'R' || f[0] == 'C') ++i;  // the original name follows
    std::string path = f.substr(3);
    if (f[0] == '?' && !ignored.empty() && path_in_domains(path, ignored)) continue;
    files.push_back(std::move(path));
  }
  return files;
}

const char* status_name(char c) {
  switch (c) {
    case 'A':
      return "added";
    case 'D':
      return "deleted";
    default:
      return "modified";
  }
}

}  // namespace

std::optional<std::string> current_branch(const std::string& worktree) {
  auto r = call(worktree, {"symbolic-ref", "--quiet", "--short", "HEAD"});
  if (!r.ok()) return std::nullopt;
  std::string name = first_line(r.out);
  if (name.empty()) return std::nullopt;
  return name;
}

Result<BranchStart> start_branch(const std::string& worktree, const std::string& branch,
                                 const std::string& base, const std::vector<std::string>& ignored) {
  BranchStart out;
  if (current_branch(worktree) == branch) {
    out.result = "already";
    return out;
  }
  TRY(unsaved, unsaved_files(worktree, ignored));
  if (!unsaved->empty()) {
    out.result = "dirty";
    out.files = std::move(*unsaved);
    return out;
  }
  TRY(existing, resolve(worktree, "refs/heads/" + branch));
  if (*existing) {
    TRY(where, checked_out_at(worktree, branch));
    if (*where && !same_path(**where, worktree)) {
      out.result = "busy";
      out.elsewhere = **where;
      return out;
    }
    TRY_OK(run(worktree, {"switch", "--quiet", branch}));
    out.result = "switched";
    return out;
  }
  TRY_OK(run(worktree, {"switch", "--quiet", "--no-track", "-c", branch, base}));
  out.result = "created";
  return out;
}

Result<Json> branch_diff(const std::string& repo, const std::string& branch,
                         const std::string& base, const BranchDiffOptions& options) {
  TRY(branch_id, resolve(repo, "refs/heads/" + branch));
  if (!*branch_id) return not_found("branch_not_found", "no branch " + branch + " in " + repo);
  TRY(base_id, resolve(repo, "refs/heads/" + base));
  if (!*base_id) return not_found("branch_not_found", "no branch " + base + " in " + repo);
  TRY(fork_out, run(repo, {"merge-base", **base_id, **branch_id}));
  std::string fork = first_line(*fork_out);
  auto count = [&](const std::string& range) -> int64_t {
    auto r = run(repo, {"rev-list", "--count", range});
    return r ? std::atoll(r->c_str()) : 0;
  };
  Json out{{"base", base},
           {"branch", branch},
           {"fork_point", fork},
           {"head", **branch_id},
           {"ahead", count(**base_id + ".." + **branch_id)},
           {"behind", count(**branch_id + ".." + **base_id)}};

  TRY(log, run(repo, {"log", "--max-count=200", "--format=%H%x1f%an%x1f%cI%x1f%s",
                      fork + ".." + **branch_id, "--"}));
  Json commits = Json::array();
  for (const auto& line : split_lines(*log)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t at = line.find('\x1f'); at != std::string::npos; at = line.find('\x1f', start)) {
      f.push_back(line.substr(start, at - start));
      start = at + 1;
    }
    f.push_back(line.substr(start));
    if (f.size() != 4) continue;
    commits.push_back(Json{{"id", f[0]}, {"author", f[1]}, {"at", f[2]}, {"subject", f[3]}});
  }
  out["commits"] = commits;

  std::vector<std::string> ws;
  if (options.ignore_whitespace) ws.push_back("--ignore-all-space");
  std::vector<std::string> names_args{
      "diff", "--no-renames", "--name-status", "-z", fork, **branch_id, "--"};
  TRY(names, run(repo, names_args));
  std::vector<std::string> num_args{"diff", "--no-renames", "--numstat", "-z"};
  num_args.insert(num_args.end(), ws.begin(), ws.end());
  num_args.insert(num_args.end(), {fork, **branch_id, "--"});
  TRY(nums, run(repo, num_args));
  std::map<std::string, std::pair<std::string, std::string>> counts;  // path → (added, removed)
  for (const auto& rec : split_nul(*nums)) {
    auto t1 = rec.find('\t');
    auto t2 = t1 == std::string::npos ? t1 : rec.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    counts[rec.substr(t2 + 1)] = {rec.substr(0, t1), rec.substr(t1 + 1, t2 - t1 - 1)};
  }
  Json files = Json::array();
  int64_t added = 0;
  int64_t removed = 0;
  auto fields = split_nul(*names);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& path = fields[i + 1];
    Json file{{"path", path}, {"status", status_name(fields[i].empty() ? 'M' : fields[i][0])}};
    auto c = counts.find(path);
    bool binary = c != counts.end() && c->second.first == "-";
    int64_t a = c == counts.end() || binary ? 0 : std::atoll(c->second.first.c_str());
    int64_t r = c == counts.end() || binary ? 0 : std::atoll(c->second.second.c_str());
    file["added"] = a;
    file["removed"] = r;
    file["binary"] = binary;
    added += a;
    removed += r;
    files.push_back(std::move(file));
  }
  out["files"] = files;
  out["stats"] = Json{{"files", files.size()}, {"added", added}, {"removed", removed}};

  std::vector<std::string> patch_args{"diff", "--no-renames", "--no-color"};
  patch_args.insert(patch_args.end(), ws.begin(), ws.end());
  patch_args.insert(patch_args.end(), {fork, **branch_id, "--"});
  if (options.file) {
    patch_args.push_back(":(literal)" + *options.file);  // a path, never pathspec magic
    out["file"] = *options.file;
  }
  TRY(patch, run(repo, patch_args));
  bool truncated = patch->size() > options.max_patch;
  if (truncated) {
    size_t full = patch->size();
    patch->resize(options.max_patch);
    auto nl = patch->rfind('\n');
    if (nl != std::string::npos) patch->resize(nl + 1);
    *patch += fmt::format(
        "[bosun: the diff is cut here, after {} of {} bytes; ask for one file with ?file=PATH]\n",
        patch->size(), full);
  }
  out["patch"] = std::move(*patch);
  out["truncated"] = truncated;
  return out;
}

}  // namespace bosun::git
