// Worktrees: each agent's worktree made with its copy list and setup, listed with its state on
// disk, and removed only when nothing unsaved is at stake.
#include "crew/worktrees.h"

#include <set>

#include <fmt/format.h>

#include "agent/agent_state.h"
#include "agent/registry.h"
#include "git/git.h"
#include "git/repo.h"
#include "git/worktree.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

// A worktree's row, inserted or updated, and its event when there is one: one transaction of
// store work.
struct WorktreeWrite {
  const Worktree& wt;
  bool insert;
  const char* event;  // nullptr: the row alone
  const Json& data;

  Status operator()(Store& store, EventBus& bus) const {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(insert ? store.projects().insert_worktree(wt) : store.projects().update_worktree(wt));
    if (event) TRY_OK(tx.publish(event, wt.id, data));
    return tx.commit();
  }
};

constexpr size_t kSetupTail = 4096;

// What the worker made: the worktree's base commit and what the copy list did.
struct Made {
  std::string base_commit;
  Json copies;
};

// Copies the untracked files a worktree needs (".env") from the main checkout; returns what
// happened to each.
Json copy_includes(const Project& p, const std::string& worktree) {
  Json out = Json::array();
  for (const auto& f : p.worktree_include) {
    fs::path from = fs::path(p.path) / f, to = fs::path(worktree) / f;
    std::error_code ec;
    std::string result;
    if (!fs::exists(from, ec)) {
      result = "missing";
    } else if (fs::exists(to, ec)) {
      result = "present";  // tracked, or already there: never overwritten
    } else {
      fs::create_directories(to.parent_path(), ec);
      fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
      result = ec ? "failed: " + ec.message() : "copied";
    }
    out.push_back(Json{{"path", f}, {"result", result}});
  }
  return out;
}

// On the git worker: creates (or re-creates, when its folder vanished) the worktree on disk,
// then applies the copy list (a recursive copy is no work for the loop).
Result<Made> make_on_disk(const Project& project, const Worktree& draft, bool fresh) {
  const std::string& repo = project.path;
  std::error_code ec;
  bool on_disk = fs::exists(fs::path(draft.path) / ".git", ec);
  if (on_disk && !fresh) return Made{draft.base_commit, copy_includes(project, draft.path)};
  if (fs::exists(draft.path, ec)) {
    return conflict("path_in_use",
                    fmt::format("{} already exists and is not a worktree bosun made; move "
                                "it away first",
                                draft.path));
  }
  if (!git::valid_branch_name(repo, draft.branch)) {
    return bad_request("invalid_branch", "not a valid branch name: " + draft.branch);
  }
  auto base = git::resolve(repo, "refs/heads/" + draft.base_branch);
  if (!base) return tl::unexpected(base.error());
  if (!*base) {
    return bad_request("base_branch_not_found",
                       fmt::format("{} has no branch {}", repo, draft.base_branch));
  }
  if (!fresh) (void)git::run(repo, {"worktree", "prune"});  // forget the vanished one
  fs::create_directories(fs::path(draft.path).parent_path(), ec);
  if (auto st = git::add_worktree(repo, draft.path, draft.branch, draft.base_branch); !st) {
    return tl::unexpected(st.error());
  }
  return Made{fresh ? **base : draft.base_commit, copy_includes(project, draft.path)};
}

// What a setup or cleanup command did, for the worktree record.
Json command_record(const std::string& command, const ProcessResult& r) {
  return Json{
      {"command", command},
      {"ok", r.ok()},
      {"result", r.summary()},
      {"exit_code", r.started && r.signal == 0 && !r.timed_out ? Json(r.exit_code) : Json()},
      {"timed_out", r.timed_out},
      {"elapsed_ms", r.elapsed.count()},
      {"output", tail(r.out + r.err, kSetupTail)}};
}

// Why a worktree may not be removed without force: its uncommitted changes and the commits its
// base lacks; nullopt when there are none.
std::optional<Refusal> unsaved_work(const Worktree& w, const git::TreeStatus& st) {
  if (st.dirty.empty() && st.unmerged.empty()) return std::nullopt;
  std::vector<std::string> why;
  if (!st.dirty.empty()) {
    std::vector<std::string> files;
    for (const auto& f : st.dirty)
      files.push_back(f.path + " (" + f.status + ")");
    why.push_back(fmt::format("{}: {}",
                              plural(files.size(), "uncommitted change", "uncommitted changes"),
                              list_text(files)));
  }
  if (!st.unmerged.empty()) {
    why.push_back(fmt::format("{} not merged into {}: {}",
                              plural(static_cast<size_t>(st.ahead), "commit", "commits"),
                              w.base_branch, list_text(st.unmerged, 3)));
  }
  return refuse(Error{ErrorKind::kConflict, "unsaved_work",
                      fmt::format("worktree {} of {} at {} holds {}. Merge or commit it first; "
                                  "`bosun worktree rm {} --force` (API: ?force=true) removes "
                                  "it anyway and keeps a backup ref",
                                  w.id, w.agent_name, w.path, w.id,
                                  why.size() == 2 ? why[0] + " and " + why[1] : why[0])},
                Json{{"worktree", to_json(w)}, {"status", st.to_json()}});
}

// On the git worker: removes the worktree and its branch (when merged); with force and work at
// stake, first snapshots everything under refs/bosun/backup/<agent>/<now>, which it returns.
Result<std::optional<std::string>> take_away(const std::string& repo, const Worktree& w, bool force,
                                             bool has_work, int64_t now) {
  std::optional<std::string> backup;
  std::error_code ec;
  if (force && has_work) {
    std::string commit = w.branch;
    if (fs::exists(fs::path(w.path) / ".git", ec)) {
      auto snap =
          git::snapshot(w.path, "bosun: everything in " + w.path + " before a forced removal");
      if (!snap) return tl::unexpected(snap.error());
      commit = *snap;
    }
    std::string ref = fmt::format("refs/bosun/backup/{}/{}", w.agent_name, now);
    if (auto s = git::write_ref(repo, ref, commit, "bosun: backup before removing " + w.id); !s) {
      return tl::unexpected(s.error());
    }
    backup = ref;
  }
  if (auto s = git::remove_worktree(repo, w.path, force); !s) return tl::unexpected(s.error());
  if (force && has_work) {
    (void)git::run(repo, {"branch", "-D", "--", w.branch});  // the backup ref holds it
  } else {
    (void)git::delete_branch_if_merged(repo, w.branch, w.base_branch);
  }
  return backup;
}

}  // namespace

Worktrees::Worktrees(Store& store, StoreRunner& runner, const Clock& clock, Log& log,
                     ProcessRunner& commands, ProcessRunner& git, StateDir state)
    : store_(store),
      runner_(runner),
      clock_(clock),
      log_(log),
      commands_(commands),
      git_(git),
      state_(std::move(state)) {}

asio::awaitable<Outcome<Worktree>> Worktrees::prepare(Project project, std::string agent) {
  auto existing = store_.projects().active_worktree(agent);
  if (!existing) co_return refused(existing.error());
  bool fresh = !*existing;
  Worktree wt = fresh ? new_worktree(project, agent) : **existing;
  if (wt.project_id != project.id) {
    co_return refused(
        Error{ErrorKind::kConflict, "worktree_in_other_project",
              fmt::format("agent {} already has worktree {} in another project; remove it first",
                          agent, wt.id)});
  }
  std::function<Result<Made>(int)> job = [project, wt, fresh](int) {
    return make_on_disk(project, wt, fresh);
  };
  auto made = co_await git_.call<Result<Made>>(std::move(job));
  if (!made) co_return refused(made.error());
  wt.base_commit = made->base_commit;
  if (fresh) {
    Json data = to_json(wt);
    data["copied"] = made->copies;
    WorktreeWrite write{wt, /*insert=*/true, "worktree.created", data};
    if (auto st = co_await runner_.run(write); !st) co_return refused(st.error());
    log_.info("worktree.created", {{"worktree", wt.id}, {"path", wt.path}, {"branch", wt.branch}});
  }
  bool setup_done = wt.setup.is_object() && wt.setup.value("ok", false);
  if (project.setup_command && !setup_done) {
    if (auto st = co_await run_setup(project, wt, agent); !st) co_return tl::unexpected(st.error());
  }
  co_return wt;
}

Worktree Worktrees::new_worktree(const Project& project, const std::string& agent) const {
  Worktree wt;
  wt.id = new_id("wt_");
  wt.project_id = project.id;
  wt.agent_name = agent;
  wt.path = (state_.worktrees() / project.name / agent).string();
  wt.branch = "bosun/" + agent;
  wt.base_branch = project.base_branch;
  wt.created_at_ms = to_unix_ms(clock_.now());
  return wt;
}

asio::awaitable<Outcome<bool>> Worktrees::run_setup(const Project& project, Worktree& wt,
                                                    const std::string& agent) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", *project.setup_command};
  spec.cwd = wt.path;
  spec.env = {{"BOSUN_WORKTREE", wt.path},
              {"BOSUN_BRANCH", wt.branch},
              {"BOSUN_AGENT", agent},
              {"BOSUN_PROJECT", project.id}};
  spec.timeout = Millis(project.setup_timeout_ms);
  ProcessResult r = co_await commands_.run(spec);
  wt.setup = command_record(*project.setup_command, r);
  Json failed{{"worktree", wt.id}, {"agent", agent}, {"setup", wt.setup}};
  WorktreeWrite write{wt, /*insert=*/false, r.ok() ? nullptr : "worktree.setup_failed", failed};
  if (auto st = co_await runner_.run(write); !st) co_return refused(st.error());
  if (r.ok()) co_return true;
  log_.warn("worktree.setup_failed", {{"worktree", wt.id}, {"result", r.summary()}});
  co_return tl::unexpected(refuse(
      Error{ErrorKind::kUnprocessable, "setup_failed",
            fmt::format("the setup command of project {} {} in {} ({}); the worktree is "
                        "kept and the next spawn runs the setup again",
                        project.name, r.timed_out ? "timed out" : "failed", wt.path, r.summary())},
      Json{{"worktree", to_json(wt)}, {"setup", wt.setup}}));
}

Result<Worktree> Worktrees::active_of(const std::string& agent) {
  std::string name = agent;
  if (agents_) {
    if (auto shown = agents_->view(agent)) name = shown->name();
  }
  auto wt = store_.projects().active_worktree(name);
  if (!wt) return tl::unexpected(wt.error());
  if (!*wt) {
    return not_found("no_worktree",
                     fmt::format("agent {} has no worktree (spawn it with a project and "
                                 "worktree: true)",
                                 agent));
  }
  return **wt;
}

asio::awaitable<Result<Json>> Worktrees::list(std::optional<std::string> project_id,
                                              bool include_removed) {
  if (project_id) {
    auto p = store_.projects().find(*project_id);
    if (!p) co_return tl::unexpected(p.error());
    project_id = p->id;
  }
  auto wts = store_.projects().worktrees(project_id, include_removed);
  if (!wts) co_return tl::unexpected(wts.error());
  std::map<std::string, std::string> repos;
  for (const auto& w : *wts) {
    if (auto p = store_.projects().find(w.project_id)) repos[w.project_id] = p->path;
  }
  std::vector<Worktree> items = *wts;
  std::function<Json(int)> job = [items, repos](int) {
    Json out = Json::array();
    for (const auto& w : items) {
      Json j = to_json(w);
      if (w.state == "active") {
        auto repo = repos.find(w.project_id);
        auto st = repo == repos.end() ? Result<git::TreeStatus>(tl::unexpected(
                                            Error{ErrorKind::kNotFound, "project_not_found", ""}))
                                      : git::status(repo->second, w.path, w.branch, w.base_branch);
        j["status"] = st ? st->to_json() : Json{{"error", st.error().message}};
        j["size_bytes"] = git::disk_usage(w.path);
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  auto measured = co_await git_.call<Json>(std::move(job));
  for (auto& j : measured) {
    std::string state;
    bool live = agent_live(
        j["agent_id"].is_string() ? std::optional(string_field(j, "agent_id")) : std::nullopt,
        string_field(j, "agent"), &state);
    j["agent_state"] = state.empty() ? Json() : Json(state);
    j["agent_running"] = live;
  }
  co_return Json{{"worktrees", measured}};
}

asio::awaitable<Outcome<Json>> Worktrees::remove(std::string id, bool force, std::string actor) {
  auto found = store_.projects().worktree(id);
  if (!found) {
    // An agent's name or id also names its worktree.
    auto by_agent = active_of(id);
    if (!by_agent) co_return refused(found.error());
    found = *by_agent;
  }
  Worktree w = *found;
  if (w.state != "active") {
    co_return refused(Error{ErrorKind::kConflict, "worktree_removed",
                            "worktree " + w.id + " was already removed"});
  }
  std::string agent_state;
  if (agent_live(w.agent_id, w.agent_name, &agent_state)) {
    co_return tl::unexpected(refuse(
        Error{ErrorKind::kConflict, "agent_running",
              fmt::format("agent {} is {} in this worktree; stop it first (bosun agent kill {})",
                          w.agent_name, agent_state, w.agent_name)},
        Json{{"worktree", w.id}, {"agent", w.agent_name}, {"agent_state", agent_state}}));
  }
  auto p = store_.projects().find(w.project_id);
  if (!p) co_return refused(p.error());
  std::string repo = p->path;
  std::function<Result<git::TreeStatus>(int)> job = [repo, w](int) {
    return git::status(repo, w.path, w.branch, w.base_branch);
  };
  auto st = co_await git_.call<Result<git::TreeStatus>>(std::move(job));
  if (!st) co_return refused(st.error());
  if (!force) {
    if (auto unsaved = unsaved_work(w, *st)) co_return tl::unexpected(std::move(*unsaved));
  }
  Json cleanup;
  if (p->cleanup_command && st->exists) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", *p->cleanup_command};
    spec.cwd = w.path;
    spec.env = {{"BOSUN_WORKTREE", w.path}, {"BOSUN_BRANCH", w.branch}};
    spec.timeout = Millis(p->setup_timeout_ms);
    ProcessResult r = co_await commands_.run(spec);
    cleanup = command_record(*p->cleanup_command, r);
  }
  int64_t now = to_unix_ms(clock_.now());
  bool has_work = !st->dirty.empty() || !st->unmerged.empty();
  std::function<Result<std::optional<std::string>>(int)> removal =
      [repo, w, force, has_work, now](int) { return take_away(repo, w, force, has_work, now); };
  auto removed = co_await git_.call<Result<std::optional<std::string>>>(std::move(removal));
  if (!removed) co_return refused(removed.error());
  w.state = "removed";
  w.removed_at_ms = now;
  w.backup_ref = *removed;
  Json data{{"worktree", to_json(w)}, {"forced", force}, {"by", actor}};
  if (!cleanup.is_null()) data["cleanup"] = cleanup;
  if (*removed) data["backup_ref"] = **removed;
  WorktreeWrite write{w, /*insert=*/false, "worktree.removed", data};
  if (auto s = co_await runner_.run(write); !s) co_return refused(s.error());
  log_.info("worktree.removed", {{"worktree", w.id}, {"forced", force}});
  co_return data;
}

asio::awaitable<Result<Json>> Worktrees::prune(std::string actor) {
  auto listed = co_await list(std::nullopt, false);
  if (!listed) co_return tl::unexpected(listed.error());
  Json removed = Json::array(), kept = Json::array();
  std::set<std::string> known;
  for (const auto& j : (*listed)["worktrees"]) {
    known.insert(string_field(j, "path"));
    std::string why;
    const Json& st = j.contains("status") ? j["status"] : Json();
    if (j.value("agent_running", false)) {
      why = fmt::format("agent {} is {}", string_field(j, "agent"), string_field(j, "agent_state"));
    } else if (!st.is_object() || st.contains("error")) {
      why = "its state could not be read" +
            (st.is_object() ? ": " + string_field(st, "error") : std::string());
    } else if (st.value("dirty", false)) {
      why = plural(st["dirty_files"].size(), "uncommitted change", "uncommitted changes");
    } else if (!st["unmerged_commits"].empty()) {
      why = fmt::format("{} not merged into {}",
                        plural(static_cast<size_t>(st.value("ahead", 0)), "commit", "commits"),
                        string_field(j, "base_branch"));
    }
    Json entry{{"id", string_field(j, "id")},
               {"agent", string_field(j, "agent")},
               {"path", string_field(j, "path")},
               {"size_bytes", j.value("size_bytes", 0)}};
    if (!why.empty()) {
      entry["why"] = why;
      kept.push_back(entry);
      continue;
    }
    auto gone = co_await remove(string_field(j, "id"), false, actor);
    if (!gone) {
      entry["why"] = gone.error().error.message;
      kept.push_back(entry);
    } else {
      removed.push_back(entry);
    }
  }
  // Folders under worktrees/ that no record owns: not bosun's to judge.
  // Folders no record owns, found on the worker: a directory walk is no work for the loop.
  fs::path root = state_.worktrees();
  std::function<Json(int)> walk = [root, known](int) {
    Json strays = Json::array();
    std::error_code ec;
    for (fs::directory_iterator pit(root, ec); !ec && pit != fs::directory_iterator();
         pit.increment(ec)) {
      std::error_code ec2;
      for (fs::directory_iterator it(pit->path(), ec2); !ec2 && it != fs::directory_iterator();
           it.increment(ec2)) {
        if (known.count(it->path().string())) continue;  // every active record is in `known`
        strays.push_back(Json{{"path", it->path().string()},
                              {"why", "no worktree record owns it; left for a person to judge"}});
      }
    }
    return strays;
  };
  for (auto& stray : co_await git_.call<Json>(std::move(walk)))
    kept.push_back(std::move(stray));
  co_return Json{{"removed", removed}, {"kept", kept}};
}

bool Worktrees::agent_live(const std::optional<std::string>& agent_id, const std::string& name,
                           std::string* state) {
  if (!agents_) return false;
  auto shown = agents_->view(agent_id.value_or(name));
  if (!shown) return false;
  if (shown->name() != name) return false;  // the id now names someone else
  if (state) *state = std::string(to_string(shown->state));
  return has_process(shown->state);
}

}  // namespace bosun
