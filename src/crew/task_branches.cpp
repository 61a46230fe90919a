// TaskBranches: start, diff, approve-and-merge, rebase and land one task's branch.
#include "crew/task_branches.h"

#include <fmt/format.h>

#include "agent/registry.h"
#include "crew/mailbox.h"
#include "crew/task_board.h"
#include "git/git.h"
#include "git/merge.h"
#include "git/repo.h"
#include "store/store_runner.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// `bosun-task/<agent>/<task>`: apart from the agents' own `bosun/<agent>` branches (git cannot
// have both `bosun/kai` and `bosun/kai/…`), grouped by agent in `git branch`.
std::string branch_for(const std::string& agent_name, const std::string& task_id) {
  return "bosun-task/" + agent_name + "/" + task_id;
}

// Why a merge changed nothing, in words a person can act on, with the files.
Refusal merge_refusal(const git::MergeOutcome& outcome, const Task& task, const Json& data) {
  const auto& files = outcome.files;
  const std::string& branch = *task.branch;
  const std::string& base = *task.base_branch;
  if (outcome.result == "conflict") {
    return refuse(
        Error{ErrorKind::kConflict, "merge_conflict",
              fmt::format("merging {} into {} conflicts in {}: {}; nothing was changed and {} "
                          "stays in review. Rebase it (bosun task rebase {}) or send it back "
                          "(bosun task reject {} --reason …)",
                          branch, base, plural(files.size(), "file", "files"), list_text(files, 20),
                          task.id, task.id, task.id)},
        data);
  }
  if (outcome.result == "outside_domains") {
    return refuse(Error{ErrorKind::kUnprocessable, "outside_domains",
                        fmt::format("{} changes {} outside its role's domains: {}; nothing was "
                                    "changed and {} stays in review",
                                    branch, plural(files.size(), "file", "files"),
                                    list_text(files, 20), task.id)},
                  data);
  }
  return refuse(
      Error{ErrorKind::kConflict, "base_checkout_busy",
            fmt::format("{} is checked out at {}, and its local changes would be overwritten{}{}; "
                        "commit or stash them there, then approve again. Nothing was changed",
                        base, outcome.updated_checkout, files.empty() ? "" : ": ",
                        list_text(files, 20))},
      data);
}

}  // namespace

TaskBranches::TaskBranches(Store& store, StoreRunner& runner, const Clock& clock, Log& log,
                           ProcessRunner& git, Projects& projects)
    : store_(store), runner_(runner), clock_(clock), log_(log), git_(git), projects_(projects) {}

asio::awaitable<Outcome<std::optional<std::string>>> TaskBranches::begin(std::string task_id,
                                                                         std::string agent_id) {
  auto agent = store_.agents().find(agent_id);
  if (!agent) co_return refused(agent.error());
  auto wt = store_.projects().active_worktree(agent->name);
  if (!wt) co_return refused(wt.error());
  if (!*wt) co_return std::optional<std::string>();
  auto task = store_.tasks().find(task_id);
  if (!task) co_return refused(task.error());
  auto project = store_.projects().find((*wt)->project_id);
  if (!project) co_return refused(project.error());
  Worktree w = **wt;
  std::string own = branch_for(agent->name, task->id);
  std::string branch = task->branch.value_or(own);
  std::string base = task->base_branch.value_or(w.base_branch);
  // A task another agent started (and lost: taken back, or that agent is gone) continues on a
  // branch of this agent's own, from the other one's tip: its commits are the starting point,
  // and the other worktree may still have that branch checked out.
  std::string start = base;
  std::optional<std::string> inherited;
  if (task->branch && *task->branch != own) {
    inherited = *task->branch;
    start = *task->branch;
    branch = own;
  }
  std::vector<std::string> ignored = project->worktree_include;
  std::function<Result<git::BranchStart>(int)> job = [w, branch, start, ignored](int) {
    return git::start_branch(w.path, branch, start, ignored);
  };
  auto started = co_await git_.call<Result<git::BranchStart>>(std::move(job));
  if (!started) co_return refused(started.error());
  Json data{{"task", task->id},   {"agent", agent->name},      {"branch", branch},
            {"worktree", w.path}, {"result", started->result}, {"files", started->files}};
  if (started->result == "dirty") {
    co_return tl::unexpected(refuse(
        Error{ErrorKind::kConflict, "worktree_dirty",
              fmt::format("{}'s worktree {} has uncommitted changes ({}); commit or discard them "
                          "so that {} can start on its own branch",
                          agent->name, w.path, list_text(started->files, 20), task->id)},
        data));
  }
  if (started->result == "busy") {
    co_return tl::unexpected(
        refuse(Error{ErrorKind::kConflict, "branch_busy",
                     fmt::format("{}'s branch {} is checked out in {}; free it there first",
                                 task->id, branch, started->elsewhere)},
               data));
  }
  if (!task->branch || inherited) {
    const int64_t now = to_unix_ms(clock_.now());
    std::string reason =
        inherited ? fmt::format("{} goes on with it on {}, from {} (whose commits it keeps)",
                                agent->name, branch, *inherited)
                  : fmt::format("{} starts it on {} from {}", agent->name, branch, base);
    auto record = [&](Store& store, EventBus& bus) -> Status {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(store.tasks().set_branch(task->id, branch, base, project->id));
      TRY_OK(store.tasks().add_history(
          {0, task->id, now, kSupervisorMailbox, "branch", inherited, branch, reason}));
      TRY(moved, store.tasks().find(task->id));
      TRY_OK(tx.publish(
          "task.updated", task->id,
          task_updated_data(*moved, {{"branch", inherited, branch}}, kSupervisorMailbox, reason)));
      return tx.commit();
    };
    if (auto st = co_await runner_.run(record); !st) co_return refused(st.error());
  }
  log_.info("task.branch", data);
  co_return std::optional<std::string>(branch);
}

Result<TaskBranches::Place> TaskBranches::place_of(const std::string& task_id) {
  TRY(task, store_.tasks().find(task_id));
  if (!task->branch || !task->base_branch || !task->project_id) {
    return not_found("no_branch", fmt::format("{} has no branch of its own: no agent in a "
                                              "worktree has started it",
                                              task_id));
  }
  TRY(project, store_.projects().find(*task->project_id));
  Place place{*task, *project, {}};
  if (agents_ && task->assignee) {
    if (auto shown = agents_->view(*task->assignee)) {
      if (auto role = projects_.role_of(project->path, shown->role())) {
        place.domains = role->domains;
      }
    }
  }
  return place;
}

asio::awaitable<Outcome<Json>> TaskBranches::diff(std::string task_id,
                                                  git::BranchDiffOptions options) {
  auto place = place_of(task_id);
  if (!place) co_return refused(place.error());
  git::MergeRequest req;
  req.repo = place->project.path;
  req.branch = *place->task.branch;
  req.base = *place->task.base_branch;
  req.domains = place->domains;
  req.dry_run = true;
  std::function<Result<Json>(int)> job = [req, options](int) -> Result<Json> {
    TRY(out, git::branch_diff(req.repo, req.branch, req.base, options));
    TRY(preview, git::merge(req));
    (*out)["merge"] = preview->to_json();
    auto where = git::checked_out_at(req.repo, req.branch);
    (*out)["checked_out_at"] = where && *where ? Json(**where) : Json();
    return out;
  };
  auto out = co_await git_.call<Result<Json>>(std::move(job));
  if (!out) co_return refused(out.error());
  (*out)["task"] = task_id;
  if (place->task.merged_commit) (*out)["merged_commit"] = *place->task.merged_commit;
  co_return *out;
}

asio::awaitable<Outcome<Json>> TaskBranches::merge(const Place& place, const std::string& actor) {
  const Task& task = place.task;
  git::MergeRequest req;
  req.repo = place.project.path;
  req.branch = *task.branch;
  req.base = *task.base_branch;
  req.domains = place.domains;
  req.message = fmt::format("Merge {} into {}: {} ({})", req.branch, req.base, task.title, task.id);
  std::function<Result<git::MergeOutcome>(int)> job = [req](int) { return git::merge(req); };
  auto outcome = co_await git_.call<Result<git::MergeOutcome>>(std::move(job));
  if (!outcome) co_return refused(outcome.error());
  Json data = outcome->to_json();
  data["task"] = task.id;
  data["branch"] = req.branch;
  data["base"] = req.base;
  data["by"] = actor;
  if (!outcome->ok()) {
    runner_.publish("task.merge_refused", task.id, data);
    co_return tl::unexpected(merge_refusal(*outcome, task, data));
  }
  auto record = [&](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.tasks().set_merged_commit(task.id, outcome->commit));
    TRY_OK(tx.publish("task.merged", task.id, data));
    return tx.commit();
  };
  if (auto st = co_await runner_.run(record); !st) co_return refused(st.error());
  log_.info("task.merged",
            {{"task", task.id}, {"result", outcome->result}, {"commit", outcome->commit}});
  co_return data;
}

asio::awaitable<Outcome<Json>> TaskBranches::approve(std::string task_id, std::string actor,
                                                     std::optional<std::string> note) {
  auto place = place_of(task_id);
  if (!place) co_return refused(place.error());
  if (place->task.status != TaskStatus::kReview) {
    co_return refused(Error{ErrorKind::kConflict, "invalid_transition",
                            fmt::format("cannot move {} from {} to done: only a task in review "
                                        "can be approved",
                                        task_id, to_string(place->task.status))});
  }
  auto merged = co_await merge(*place, actor);
  if (!merged) co_return tl::unexpected(merged.error());
  std::string why = fmt::format("merged {} into {} ({})", (*merged)["branch"].get<std::string>(),
                                (*merged)["base"].get<std::string>(),
                                merged->value("commit", std::string()).substr(0, 12));
  if (note && !note->empty()) why += "; " + *note;
  auto approve = [&clock = clock_, &task_id, &actor, &why](Store& store, EventBus& bus) {
    return TaskBoard(store, bus, clock).approve(task_id, actor, why);
  };
  auto done = co_await runner_.run(approve);
  if (!done) co_return refused(done.error());
  co_return Json{{"task", to_json(*done)}, {"merge", *merged}};
}

asio::awaitable<Outcome<Json>> TaskBranches::rebase(std::string task_id) {
  auto place = place_of(task_id);
  if (!place) co_return refused(place.error());
  std::string repo = place->project.path;
  std::string branch = *place->task.branch;
  std::string base = *place->task.base_branch;
  std::function<Result<Json>(int)> job = [repo, branch, base](int) -> Result<Json> {
    TRY(where, git::checked_out_at(repo, branch));
    if (!*where) {
      return conflict("branch_not_checked_out",
                      fmt::format("{} is not checked out in any worktree; an agent's worktree "
                                  "must hold it to rebase it",
                                  branch));
    }
    TRY(out, git::rebase(**where, base));
    Json j = out->to_json();
    j["worktree"] = **where;
    return j;
  };
  auto out = co_await git_.call<Result<Json>>(std::move(job));
  if (!out) co_return refused(out.error());
  (*out)["task"] = task_id;
  (*out)["branch"] = branch;
  (*out)["base"] = base;
  std::string result = out->value("result", "");
  std::vector<std::string> files = out->value("files", std::vector<std::string>());
  if (result == "dirty") {
    co_return tl::unexpected(
        refuse(Error{ErrorKind::kConflict, "uncommitted_changes",
                     fmt::format("{}'s worktree has uncommitted changes ({}); commit them before "
                                 "a rebase",
                                 branch, list_text(files))},
               *out));
  }
  if (result == "conflict") {
    co_return tl::unexpected(
        refuse(Error{ErrorKind::kConflict, "rebase_conflict",
                     fmt::format("rebasing {} onto {} conflicts in {}; the rebase was aborted "
                                 "and the branch is as it was",
                                 branch, base, list_text(files, 20))},
               *out));
  }
  runner_.publish("task.rebased", task_id, *out);
  co_return *out;
}

asio::awaitable<Verifier::Landing> TaskBranches::land(Task task, std::string agent_id) {
  Verifier::Landing landing;
  auto place = place_of(task.id);
  if (!place) {
    if (task.is_step()) {
      // Its run goes on from its branch: work that is on none never reaches the run.
      landing.applies = true;
      landing.passed = false;
      landing.problem = "no branch";
      landing.log = fmt::format(
          "merge: FAILED, step {} of run {} was worked outside a worktree of its project, so "
          "its work cannot reach the run's branch",
          *task.step, *task.pipeline_run_id);
    }
    co_return landing;
  }
  landing.applies = true;
  // A pipeline step's branch goes into its run's branch whatever the project's mode, by the
  // run as it checks the step (one step at a time); a person approves the run's merge.
  if (task.is_step()) {
    landing.log = fmt::format("merge: pipeline run {} merges {} into {} as it checks step {}",
                              *task.pipeline_run_id, *place->task.branch,
                              place->task.base_branch.value_or("its branch"), *task.step);
    co_return landing;
  }
  if (place->project.execution_mode != "auto") {
    landing.awaiting_person = true;
    landing.log = fmt::format(
        "merge: waiting for a person (project {} is in review mode): bosun task approve {} "
        "merges {}",
        place->project.name, task.id, *place->task.branch);
    co_return landing;
  }
  auto merged = co_await merge(*place, kVerifierActor);
  if (merged) {
    landing.log = fmt::format("merge: {} {} into {} ({})", merged->value("result", ""),
                              merged->value("branch", ""), merged->value("base", ""),
                              merged->value("commit", "").substr(0, 12));
    co_return landing;
  }
  landing.passed = false;
  landing.problem = "merge refused (" + merged.error().error.code + ")";
  landing.log = "merge: FAILED, " + merged.error().error.message;
  (void)agent_id;
  co_return landing;
}

}  // namespace bosun
