// Merges: an agent's work back onto its base — diff, merge with the role's domains enforced,
// rebase, the verifier's landing and the catch-up before a new task.
#include "crew/merges.h"

#include <fmt/format.h>

#include "agent/registry.h"
#include "crew/task_board.h"
#include "git/branch.h"
#include "git/git.h"
#include "git/merge.h"
#include "git/repo.h"
#include "git/worktree.h"
#include "store/store_runner.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// Why a merge changed nothing, in words a person can act on, with the files.
Refusal merge_refusal(const git::MergeOutcome& outcome, const Worktree& w, const std::string& base,
                      const std::optional<Role>& role, const std::string& role_name,
                      const Json& data) {
  const auto& files = outcome.files;
  if (outcome.result == "conflict") {
    return refuse(
        Error{ErrorKind::kConflict, "merge_conflict",
              fmt::format("merging {} into {} conflicts in {}: {}; nothing was changed. Rebase "
                          "the agent's branch (bosun agent rebase {}) or resolve it in {}",
                          w.branch, base, plural(files.size(), "file", "files"),
                          list_text(files, 20), w.agent_name, w.path)},
        data);
  }
  if (outcome.result == "outside_domains") {
    std::string allowed = role ? list_text(role->domains, 20) : "";
    return refuse(Error{ErrorKind::kUnprocessable, "outside_domains",
                        fmt::format("role {} may change only {}; {} changes {} outside them: {}",
                                    role_name, allowed, w.branch,
                                    plural(files.size(), "file", "files"), list_text(files, 20))},
                  data);
  }
  return refuse(
      Error{ErrorKind::kConflict, "base_checkout_busy",
            fmt::format("{} is checked out at {}, and its local changes would be overwritten{}{}; "
                        "commit or stash them there, then merge again. Nothing was changed",
                        base, outcome.updated_checkout, files.empty() ? "" : ": ",
                        list_text(files, 20))},
      data);
}

// The agent's tasks in review whose last report passed and whose work `branch` held: done.
Result<Json> finish_reviewed(Store& store, EventBus& bus, const Clock& clock,
                             const std::string& agent_id, const std::string& branch,
                             const std::string& actor, const std::string& why) {
  TaskQuery q;
  q.assignee = agent_id;
  q.statuses = {TaskStatus::kReview};
  auto tasks = store.tasks().list(q);
  if (!tasks) return tl::unexpected(tasks.error());
  Json done = Json::array();
  for (const auto& t : *tasks) {
    auto reports = store.tasks().reports(t.id);
    if (!reports || reports->empty() || reports->back().verified != "passed") continue;
    if (t.branch && *t.branch != branch) continue;  // its own branch was not the one merged
    TaskChange change;
    change.status = TaskStatus::kDone;
    change.checked = true;
    change.reason = why;
    if (!TaskBoard(store, bus, clock).update(t.id, change, actor)) continue;
    done.push_back(t.id);
  }
  return done;
}

}  // namespace

Merges::Merges(Store& store, StoreRunner& runner, const Clock& clock, Log& log, ProcessRunner& git,
               Worktrees& worktrees, Projects& projects)
    : store_(store),
      runner_(runner),
      clock_(clock),
      log_(log),
      git_(git),
      worktrees_(worktrees),
      projects_(projects) {}

asio::awaitable<Outcome<Json>> Merges::diff(std::string agent) {
  auto wt = worktrees_.active_of(agent);
  if (!wt) co_return refused(wt.error());
  auto p = store_.projects().find(wt->project_id);
  if (!p) co_return refused(p.error());
  Worktree w = *wt;
  std::string repo = p->path;
  std::function<Result<Json>(int)> job = [w, repo](int) -> Result<Json> {
    auto st = git::status(repo, w.path, w.branch, w.base_branch);
    if (!st) return tl::unexpected(st.error());
    if (!st->exists) return conflict("worktree_missing", "the worktree folder is gone: " + w.path);
    auto d = git::diff(w.path, w.base_branch);
    if (!d) return tl::unexpected(d.error());
    (*d)["status"] = st->to_json();
    return d;
  };
  auto out = co_await git_.call<Result<Json>>(std::move(job));
  if (!out) co_return refused(out.error());
  (*out)["agent"] = w.agent_name;
  (*out)["worktree"] = to_json(w);
  (*out)["branch"] = w.branch;
  co_return *out;
}

asio::awaitable<Outcome<Json>> Merges::merge(std::string agent, std::optional<std::string> into,
                                             std::string actor) {
  auto wt = worktrees_.active_of(agent);
  if (!wt) co_return refused(wt.error());
  auto p = store_.projects().find(wt->project_id);
  if (!p) co_return refused(p.error());
  std::string role_name;
  if (agents_) {
    if (auto shown = agents_->view(wt->agent_name)) role_name = shown->role();
  }
  // The branch the worktree has checked out: a task's own branch, or the agent's.
  std::string path = wt->path;
  std::function<std::optional<std::string>(int)> current = [path](int) {
    return git::current_branch(path);
  };
  auto on = co_await git_.call<std::optional<std::string>>(std::move(current));
  git::MergeRequest req;
  req.repo = p->path;
  req.branch = on.value_or(wt->branch);
  req.base = into.value_or(wt->base_branch);
  std::optional<Role> role = projects_.role_of(p->path, role_name);
  if (role) req.domains = role->domains;
  std::string repo = p->path;
  Worktree w = *wt;
  std::function<Result<git::MergeOutcome>(int)> job =
      [req, w](int) mutable -> Result<git::MergeOutcome> {
    if (!git::valid_branch_name(req.repo, req.base)) {
      return bad_request("invalid_branch", "not a branch name: " + req.base);
    }
    auto ahead = git::run(req.repo, {"rev-list", "--count", req.base + ".." + req.branch});
    int64_t n = ahead ? std::atoll(ahead->c_str()) : 0;
    req.message = fmt::format("Merge {} into {} ({})", req.branch, req.base,
                              plural(static_cast<size_t>(n), "commit", "commits"));
    auto out = git::merge(req);
    if (out && out->ok()) (void)git::catch_up(w.path, req.base);
    return out;
  };
  auto outcome = co_await git_.call<Result<git::MergeOutcome>>(std::move(job));
  if (!outcome) co_return refused(outcome.error());
  Json data = outcome->to_json();
  data["agent"] = w.agent_name;
  data["branch"] = req.branch;
  data["base"] = req.base;
  data["worktree"] = w.id;
  data["by"] = actor;
  if (outcome->ok()) {
    if (outcome->result != "already_merged") {
      w.merged_at_ms = to_unix_ms(clock_.now());
      w.merge_commit = outcome->commit;
    }
    const std::string why = fmt::format("{} merged {} into {} ({})", actor, req.branch, req.base,
                                        outcome->commit.substr(0, 12));
    // The merge's record, then (after a person's merge) the tasks it finished: tasks done is
    // none when finishing them failed, as the merge itself stands.
    auto record = [&clock = clock_, &w, &data, &req, &actor, &why](
                      Store& store, EventBus& bus) -> Result<std::optional<Json>> {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(store.projects().update_worktree(w));
      TRY_OK(tx.publish("worktree.merged", w.id, data));
      TRY_OK(tx.commit());
      auto owner = store.agents().find(w.agent_name);  // the worktree belongs to the name
      if (actor == kVerifierActor || !owner) return std::optional<Json>();
      auto finished = finish_reviewed(store, bus, clock, owner->id, req.branch, actor, why);
      return finished ? std::optional<Json>(*finished) : std::optional<Json>();
    };
    auto recorded = co_await runner_.run(record);
    if (!recorded) co_return refused(recorded.error());
    if (*recorded) data["tasks_done"] = **recorded;
    log_.info("worktree.merged",
              {{"worktree", w.id}, {"result", outcome->result}, {"commit", outcome->commit}});
    co_return data;
  }
  runner_.publish("worktree.merge_refused", w.id, data);
  Worktree merged = w;
  merged.branch = req.branch;  // the branch that was merged: a task's own, or the agent's
  co_return tl::unexpected(merge_refusal(*outcome, merged, req.base, role, role_name, data));
}

asio::awaitable<Outcome<Json>> Merges::rebase(std::string agent) {
  auto wt = worktrees_.active_of(agent);
  if (!wt) co_return refused(wt.error());
  Worktree w = *wt;
  std::function<Result<git::RebaseOutcome>(int)> job = [w](int) {
    return git::rebase(w.path, w.base_branch);
  };
  auto outcome = co_await git_.call<Result<git::RebaseOutcome>>(std::move(job));
  if (!outcome) co_return refused(outcome.error());
  Json data = outcome->to_json();
  data["agent"] = w.agent_name;
  data["branch"] = w.branch;
  data["base"] = w.base_branch;
  if (outcome->result == "dirty") {
    co_return tl::unexpected(
        refuse(Error{ErrorKind::kConflict, "uncommitted_changes",
                     fmt::format("{} has uncommitted changes ({}); commit them before a rebase",
                                 w.path, list_text(outcome->files))},
               data));
  }
  if (outcome->result == "conflict") {
    co_return tl::unexpected(refuse(
        Error{ErrorKind::kConflict, "rebase_conflict",
              fmt::format("rebasing {} onto {} conflicts in {}; the rebase was aborted and the "
                          "branch is as it was",
                          w.branch, w.base_branch, list_text(outcome->files, 20))},
        data));
  }
  runner_.publish("worktree.rebased", w.id, data);
  co_return data;
}

asio::awaitable<Verifier::Landing> Merges::land(Task task, std::string agent_id) {
  Verifier::Landing landing;
  auto agent = store_.agents().find(agent_id);
  if (!agent) co_return landing;
  auto wt = store_.projects().active_worktree(agent->name);
  if (!wt || !*wt) co_return landing;
  auto p = store_.projects().find((*wt)->project_id);
  if (!p) co_return landing;
  landing.applies = true;
  if (p->execution_mode != "auto") {
    landing.awaiting_person = true;
    landing.log = fmt::format(
        "merge: waiting for a person (project {} is in review mode): bosun agent merge {}", p->name,
        agent->name);
    co_return landing;
  }
  auto merged = co_await merge(agent->name, std::nullopt, kVerifierActor);
  if (merged) {
    landing.log = fmt::format("merge: {} {} into {} ({})", merged->value("result", ""),
                              merged->value("branch", ""), merged->value("base", ""),
                              merged->value("commit", "").substr(0, 12));
    co_return landing;
  }
  landing.passed = false;
  landing.problem = "merge refused (" + merged.error().error.code + ")";
  landing.log = "merge: FAILED, " + merged.error().error.message;
  (void)task;
  co_return landing;
}

asio::awaitable<void> Merges::catch_up(std::string agent) {
  auto wt = worktrees_.active_of(agent);
  if (!wt) co_return;
  Worktree w = *wt;
  std::function<Result<bool>(int)> job = [w](int) { return git::catch_up(w.path, w.base_branch); };
  auto moved = co_await git_.call<Result<bool>>(std::move(job));
  if (moved && *moved) {
    log_.info("worktree.caught_up", {{"worktree", w.id}, {"base", w.base_branch}});
  }
}

}  // namespace bosun
