// PipelineRuns, a person's view and word: show a run; approve a step waiting for a person or a
// run's merge, reject it with a reason, retry a step, cancel a run.
#include <algorithm>

#include <fmt/format.h>

#include "crew/pipeline_runs.h"
#include "crew/pipeline_trace.h"
#include "crew/task_board.h"
#include "git/git.h"
#include "git/run_branch.h"
#include "git/worktree.h"
#include "util/text.h"

namespace bosun {
namespace {

namespace asio = boost::asio;

tl::unexpected<Refusal> no_run(const std::string& id) {
  return tl::unexpected(refuse(ErrorKind::kNotFound, "run_not_found", "no pipeline run " + id));
}

}  // namespace

asio::awaitable<Outcome<Json>> PipelineRuns::approve(std::string run_id, std::string by,
                                                     std::optional<std::string> note) {
  auto found = load(run_id);
  if (!found) co_return refused(found.error());
  if (!*found) co_return no_run(run_id);
  PipelineRun run = std::move(**found);
  auto pipeline = pipeline_of(run);
  if (!pipeline) co_return refused(pipeline.error());
  if (run.state == "waiting") {
    for (const auto& step : pipeline->steps) {
      StepRun* st = run.step(step.id);
      if (!st || st->state != "waiting") continue;
      const Gate* gate = step.gate(GateKind::kHuman);
      if (gate && !gate->who.empty() &&
          std::find(gate->who.begin(), gate->who.end(), by) == gate->who.end()) {
        co_return tl::unexpected(refuse(ErrorKind::kForbidden, "not_an_approver",
                                        fmt::format("step {}'s approval is for {}, not {}", step.id,
                                                    join(gate->who, ", "), by)));
      }
      for (auto& g : st->gates) {
        if (g.result != "waiting") continue;
        g.result = "passed";
        g.evidence =
            fmt::format("approved by {}{}", by, note && !note->empty() ? ": " + *note : "");
        g.at_ms = to_unix_ms(clock_.now());
        runner_.publish("pipeline.gate.passed", run.id,
                        Json{{"run", run.id}, {"step", step.id}, {"gate", to_json(g)}});
      }
      st->state = "passed";
      run.state = "running";
      run.reason.clear();
      if (auto st2 =
              save(run, "pipeline.step.finished",
                   Json{{"run", run.id}, {"step", step.id}, {"result", "passed"}, {"by", by}});
          !st2) {
        co_return refused(st2.error());
      }
      advance(run.id);
      co_return to_json(run);
    }
  }
  if (run.state != "review") {
    co_return tl::unexpected(refuse(
        ErrorKind::kConflict, "nothing_to_approve",
        fmt::format("run {} is {}{}: approve moves a step waiting for a person, or the merge of "
                    "a run in review",
                    run.id, run.state, run.reason.empty() ? "" : " (" + run.reason + ")")));
  }
  // Named, never temporaries: g++ 12 mishandles non-trivial coroutine arguments made in the call.
  std::string task_id = run.task_id;
  std::optional<std::string> why =
      note ? note : std::optional<std::string>("pipeline run " + run.id);
  auto merged = co_await branches_.approve(task_id, by, why);
  auto again = load(run_id);
  if (again && *again) run = std::move(**again);
  if (!merged) {
    run.reason = "the merge was refused: " + merged.error().error.message;
    (void)save(run, "pipeline.run.waiting", Json{{"run", run.id}, {"reason", run.reason}});
    co_return tl::unexpected(merged.error());
  }
  auto task = store_.tasks().find(run.task_id);
  if (task && task->merged_commit) run.merged_commit = *task->merged_commit;
  // The worktree and the merged branch go before the run ends, so whoever hears it ended
  // finds them gone.
  std::string worktree = run.worktree;
  std::string branch = run.branch;
  std::string base = run.base_branch;
  auto project = store_.projects().find(run.project_id);
  if (project) {
    std::string repo = project->path;
    std::function<Status(int)> job = [repo, worktree, branch, base](int) -> Status {
      TRY_OK(git::remove_worktree(repo, worktree, false));
      return git::delete_branch_if_merged(repo, branch, base);
    };
    if (auto st = co_await git_.call<Status>(std::move(job)); !st) {
      log_.warn("pipeline.worktree_kept", {{"worktree", worktree}, {"error", st.error().message}});
    }
  }
  end(run, "merged",
      fmt::format("merged into {} ({}) by {}", run.base_branch, run.merged_commit.substr(0, 12),
                  by));
  Json out = to_json(run);
  out["merge"] = *merged;
  co_return out;
}

Outcome<Json> PipelineRuns::reject(const std::string& run_id, const std::string& by,
                                   const std::string& reason) {
  if (reason.empty()) {
    return refused(Error{ErrorKind::kInvalid, "missing_field", "a rejection needs a reason"});
  }
  auto found = load(run_id);
  if (!found) return refused(found.error());
  if (!*found) return no_run(run_id);
  PipelineRun run = std::move(**found);
  auto pipeline = pipeline_of(run);
  if (!pipeline) return refused(pipeline.error());
  std::string why = fmt::format("rejected by {}: {}", by, reason);
  if (run.state == "waiting") {
    for (const auto& step : pipeline->steps) {
      StepRun* st = run.step(step.id);
      if (!st || st->state != "waiting") continue;
      const Gate* gate = step.gate(GateKind::kHuman);
      GateResult result{"human", "failed", why, to_unix_ms(clock_.now())};
      for (auto& g : st->gates) {
        if (g.result == "waiting") g = result;
      }
      runner_.publish("pipeline.gate.failed", run.id,
                      Json{{"run", run.id}, {"step", step.id}, {"gate", to_json(result)}});
      run.state = "running";
      run.reason.clear();
      on_gate_failed(run, *pipeline, step, gate ? *gate : Gate{}, result);
      if (run.state == "running") (void)save(run);
      advance(run.id);
      return to_json(run);
    }
  }
  if (run.state == "review") {
    // Back to the last step, with the reason.
    StepRun& last = run.steps.back();
    last.state = "pending";
    last.attempts = 0;
    last.evidence = why;
    run.state = "running";
    run.reason.clear();
    TaskChange change;
    change.status = TaskStatus::kInProgress;
    change.by_run = true;
    change.reason = why;
    on_board("pipeline.task_not_moved", run.task_id,
             [id = run.task_id, change, by](TaskBoard& board, Store&) -> Status {
               TRY_OK(board.update(id, change, by));
               return {};
             });
    if (auto st = save(run, "pipeline.run.rejected",
                       Json{{"run", run.id}, {"by", by}, {"reason", reason}});
        !st) {
      return refused(st.error());
    }
    advance(run.id);
    return to_json(run);
  }
  return tl::unexpected(refuse(
      ErrorKind::kConflict, "nothing_to_reject",
      fmt::format("run {} is {}: reject answers a step waiting for a person, or a run in review",
                  run.id, run.state)));
}

Outcome<Json> PipelineRuns::retry(const std::string& run_id, const std::optional<std::string>& step,
                                  const std::string& by) {
  auto found = load(run_id);
  if (!found) return refused(found.error());
  if (!*found) return no_run(run_id);
  PipelineRun run = std::move(**found);
  if (run.state != "waiting" && run.state != "failed") {
    return tl::unexpected(
        refuse(ErrorKind::kConflict, "run_not_waiting",
               fmt::format("run {} is {}: only a run that waits for a person or failed is retried",
                           run.id, run.state)));
  }
  StepRun* target = nullptr;
  if (step) {
    target = run.step(*step);
    if (!target) {
      return tl::unexpected(refuse(ErrorKind::kNotFound, "step_not_found",
                                   fmt::format("run {} has no step {}", run.id, *step)));
    }
  } else {
    for (auto& s : run.steps) {
      if (s.state == "failed" || s.state == "waiting" || s.state == "pending") {
        target = &s;
        break;
      }
    }
    if (!target) target = &run.steps.back();
  }
  auto pipeline = pipeline_of(run);
  if (!pipeline) return refused(pipeline.error());
  // The step and what comes after it run again; a fresh count of attempts and loops.
  std::set<std::string> again{target->id};
  for (const auto& s : pipeline->steps) {
    for (const auto& n : s.needs) {
      if (again.contains(n)) again.insert(s.id);
    }
  }
  for (auto& s : run.steps) {
    if (again.contains(s.id) && s.state != "pending") s.state = "pending";
  }
  target->attempts = 0;
  if (!run.reason.empty()) target->evidence = "a person retried the step after: " + run.reason;
  run.loops = 0;
  bool was_failed = run.state == "failed";
  run.state = "running";
  run.reason.clear();
  run.ended_at_ms.reset();
  if (was_failed) {
    TaskChange change;
    change.status = TaskStatus::kInProgress;
    change.by_run = true;
    change.reason = fmt::format("pipeline run {} retried by {}", run.id, by);
    on_board(
        "pipeline.task_not_moved", run.task_id,
        [id = run.task_id, run_id = run.id, change, by](TaskBoard& board, Store& store) -> Status {
          (void)store.tasks().set_pipeline_run(id, run_id);
          TRY_OK(board.update(id, change, by));
          return {};
        });
  }
  if (auto st = save(run, "pipeline.run.retried",
                     Json{{"run", run.id}, {"step", target->id}, {"by", by}});
      !st) {
    return refused(st.error());
  }
  advance(run.id);
  return to_json(run);
}

Outcome<Json> PipelineRuns::cancel(const std::string& run_id, const std::string& by,
                                   const std::string& reason) {
  auto found = load(run_id);
  if (!found) return refused(found.error());
  if (!*found) return no_run(run_id);
  PipelineRun run = std::move(**found);
  if (run.finished()) {
    return tl::unexpected(refuse(ErrorKind::kConflict, "run_finished",
                                 fmt::format("run {} is {} already", run.id, run.state)));
  }
  // A step's CLI at work is stopped first (its whole process group), so nothing writes in
  // the worktree while the run ends.
  for (const auto& st : run.steps) {
    if (st.state == "running" && !st.headless_runs.empty()) {
      (void)headless_.cancel(st.headless_runs.back());  // 409: it ended meanwhile
    }
  }
  end(run, "cancelled", fmt::format("cancelled by {}{}", by, reason.empty() ? "" : ": " + reason));
  return to_json(run);
}

Result<Json> PipelineRuns::show(const std::string& run_id) {
  auto found = load(run_id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return not_found("run_not_found", "no pipeline run " + run_id);
  Json out = to_json(**found);
  UsageTotals t = usage(**found);
  out["usage"] = to_json(t);
  if (auto p = pipeline_of(**found)) {
    out["limits"] = to_json(*p)["limits"];
    Json roles = Json::object();
    for (const auto& s : p->steps)
      roles[s.id] = s.role;
    for (auto& s : out["steps"])
      s["role"] = roles.value(s["id"].get<std::string>(), "");
  }
  if (auto task = store_.tasks().find((*found)->task_id)) {
    out["task"] =
        Json{{"id", task->id}, {"title", task->title}, {"status", to_string(task->status)}};
  }
  return out;
}

asio::awaitable<Result<Json>> PipelineRuns::trace(std::string run_id) {
  auto found = load(run_id);
  if (!found) co_return tl::unexpected(found.error());
  if (!*found) co_return not_found("run_not_found", "no pipeline run " + run_id);
  auto project = store_.projects().find((*found)->project_id);
  if (!project) co_return tl::unexpected(project.error());
  auto run = std::make_shared<PipelineRun>(std::move(**found));
  TraceInput in;
  in.repo = project->path;
  in.run = run.get();
  if (auto task = store_.tasks().find(run->task_id)) {
    in.brief = task->title + "\n" + task->description;
  }
  if (auto p = pipeline_of(*run)) in.test_globs = p->test_globs;
  // Once the branch is gone (merged), its tip was where the step that ended last left it.
  std::string last_end;
  int64_t last_at = -1;
  for (const auto& st : run->steps) {
    if (!st.end_commit.empty() && st.ended_at_ms.value_or(0) > last_at) {
      last_at = st.ended_at_ms.value_or(0);
      last_end = st.end_commit;
    }
  }
  std::function<Result<Json>(int)> job = [in, run, last_end](int) mutable -> Result<Json> {
    auto tip = git::run(in.repo, {"rev-parse", "--verify", "-q", "refs/heads/" + run->branch});
    if (tip) {
      in.head = git::first_line(*tip);
    } else if (!last_end.empty()) {
      in.head = last_end;
    } else {
      return conflict("branch_gone", "the run's branch " + run->branch + " is gone");
    }
    return trace_requirements(in);
  };
  co_return co_await git_.call<Result<Json>>(std::move(job));
}

}  // namespace bosun
