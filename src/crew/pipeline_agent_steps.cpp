// PipelineRuns, agent steps: a step whose mode is `agent` is a task on the board for the
// step's role in the run's project — the step's prompt its description, the run's branch its
// base — which the supervisor hands to a permanent agent of that role like any other task. The
// agent works it on a branch of its own from the run's, commits and reports; the verifier checks
// the proof and the task is done; the run merges that branch into its own as it checks the
// step (one step at a time) and checks the step's gates as for a headless step. A restart
// finds the step where its task is.
#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "crew/pipeline_handoff.h"
#include "crew/pipeline_runs.h"
#include "crew/task_board.h"
#include "git/merge.h"
#include "git/run_branch.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {
namespace {

namespace asio = boost::asio;

constexpr size_t kMaxStepTitle = 200;
constexpr size_t kMaxResetHandoff = size_t{16} * 1024;  // of the ledger in a reset's comment

// What an agent working a step is told about the branch, the report and the gates.
std::string agent_report_instructions(const PipelineRun& run, const Step& step,
                                      const std::string& task_id) {
  std::vector<std::string> gates;
  for (const auto& g : step.gates)
    gates.emplace_back(to_string(g.kind));
  bool review = step.gate(GateKind::kReview) != nullptr;
  std::string out = fmt::format(
      "This task is step {} of pipeline run {}. Your worktree is on a branch of its own from the "
      "run's branch, which holds what the steps before you did. Commit your work there, then "
      "submit your report on {} (the `report` tool of bosun's MCP server, or `bosun report "
      "submit FILE`): status done | partial | blocked, summary, proof {{what_was_done, "
      "how_verified, verification_result}}, blocked_reason when blocked, and handoff {{done, "
      "state, next, questions}} for the steps after you",
      step.id, run.id, task_id);
  if (review) {
    out += ", and review {verdict: approve | request_changes, comments} — your verdict";
  }
  out += ". bosun merges your branch into the run's and checks the step itself";
  if (!gates.empty()) out += " (" + join(gates, ", ") + ")";
  return out + " before the next step starts.";
}

// The agent stopped working it: the step moves on.
bool task_ended(TaskStatus status) {
  return status == TaskStatus::kDone || status == TaskStatus::kBlocked ||
         status == TaskStatus::kCancelled || status == TaskStatus::kFailed;
}

bool task_closed(TaskStatus status) {
  return status == TaskStatus::kDone || status == TaskStatus::kCancelled ||
         status == TaskStatus::kFailed;
}

}  // namespace

PipelineRuns::~PipelineRuns() {
  bus_.unsubscribe(this);
}

asio::awaitable<Result<Task>> PipelineRuns::create_step_task(PipelineRun& run, const Step& step,
                                                             const std::string& prompt) {
  StepRun& s = *run.step(step.id);
  CO_TRY(main, store_.tasks().find(run.task_id));
  NewTask t;
  t.title = first_line(
      fmt::format("{} — step {} of {} (attempt {})", main->title, step.id, run.id, s.attempts),
      kMaxStepTitle);
  t.role = step.role;
  t.priority = main->priority;
  t.parent_id = run.task_id;
  t.project_id = run.project_id;
  t.id = new_id("t_");
  t.description = prompt + "\n\n" + agent_report_instructions(run, step, t.id);
  const int64_t now = to_unix_ms(clock_.now());
  run.updated_at_ms = now;
  s.tasks.push_back(t.id);
  // The task, its place in the run and the run's record of it land together: a daemon stopped
  // in between leaves neither a step without its task nor a task no run knows.
  auto create = [&t, &written = run, &step, now, attempts = s.attempts](
                    Store& store, EventBus& bus) -> Result<Task> {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY(created, store.tasks().create(t, kPipelineActor, now));
    TRY_OK(store.tasks().set_step(created->id, written.id, step.id, written.branch));
    TRY(task, store.tasks().find(created->id));
    TRY_OK(store.pipeline_runs().update(written));
    TRY_OK(tx.publish("task.created", task->id,
                      Json{{"id", task->id}, {"task", to_json(*task)}, {"by", kPipelineActor}}));
    TRY_OK(tx.publish("pipeline.step.started", written.id,
                      Json{{"run", written.id},
                           {"step", step.id},
                           {"role", step.role},
                           {"attempt", attempts},
                           {"resumed", false},
                           {"task", task->id}}));
    TRY_OK(tx.commit());
    return *task;
  };
  begin_write(run);
  auto life = lifetime_.guard();
  auto task = co_await runner_.run(create);
  if (!life.alive()) co_return task;
  end_write(run.id);
  if (!task) run.step(step.id)->tasks.pop_back();  // it was never made
  co_return task;
}

asio::awaitable<void> PipelineRuns::hand_to_agent(PipelineRun& run, const Step& step,
                                                  const std::string& prompt) {
  auto life = lifetime_.guard();
  auto task = co_await create_step_task(run, step, prompt);
  if (!life.alive()) co_return;
  if (!task) {
    wait_for_person(
        run, fmt::format("step {}: its task could not be made: {}", step.id, task.error().message));
    co_return;
  }
  watch(task->id, run, step);
  log_.info("pipeline.step.started", {{"run", run.id},
                                      {"step", step.id},
                                      {"attempt", run.step(step.id)->attempts},
                                      {"task", task->id}});
}

void PipelineRuns::reattach(PipelineRun& run, const Step& step) {
  StepRun& s = *run.step(step.id);
  s.resumed = false;
  std::optional<Task> task;
  if (!s.tasks.empty()) {
    if (auto t = store_.tasks().find(s.tasks.back())) task = std::move(*t);
  }
  if (!task) {
    // Stopped before its task was made: the attempt starts over.
    s.state = "pending";
    if (s.attempts > 0) --s.attempts;
    (void)save(run);
    advance(run.id);
    return;
  }
  (void)save(run, "pipeline.step.reattached",
             Json{{"run", run.id},
                  {"step", step.id},
                  {"task", task->id},
                  {"status", to_string(task->status)},
                  {"agent", task->assignee_name ? Json(*task->assignee_name) : Json()}});
  // It ended while the daemon was down (or as it stopped): take it from there.
  if (task_ended(task->status)) step_task_moved(task->id);
}

void PipelineRuns::on_event(const Event& event) {
  // Another host's headless runs and resets are its own; a step task's move is looked at by
  // whichever host drives the run (step_at_work).
  if (!bus_.local(event) && event.type != "task.updated") return;
  if (event.type == "headless.event") {
    on_tool_event(event);
    return;
  }
  // An agent working a step restarted with a fresh context (the recovery ladder), or reset.
  if (event.type == "task.recovery" || event.type == "agent.reset") {
    Json data = event_data(event);
    if (event.type == "task.recovery" && string_field(data, "step") != "restarted fresh") return;
    std::string reason = string_field(data, "reason");
    std::string task = event.type == "task.recovery" ? event.subject : std::string();
    std::string agent = event.type == "agent.reset" ? event.subject : std::string();
    asio::post(io_, [this, life = lifetime_.guard(), task, agent, reason] {
      if (life.alive()) context_reset(task, agent, reason);
    });
    return;
  }
  if (event.type != "task.updated") return;
  Json data = event_data(event);
  auto to = data.find("to");
  if (to == data.end() || !to->is_string() || data["task"].value("step", Json()).is_null()) {
    return;
  }
  auto status = parse_task_status(to->get<std::string>());
  if (!status || !task_ended(*status)) return;
  asio::post(io_, [this, life = lifetime_.guard(), id = event.subject] {
    if (life.alive()) step_task_moved(id);
  });
}

std::optional<PipelineRuns::StepTask> PipelineRuns::step_at_work(const std::string& task_id) {
  auto task = store_.tasks().find(task_id);
  if (!task || !task->is_step()) return std::nullopt;
  // On a shared store the host that started a run drives it, whoever's agent did the step.
  if (auto here = store_.pipeline_runs().here(*task->pipeline_run_id); !here || !*here) {
    return std::nullopt;
  }
  auto found = load(*task->pipeline_run_id);
  if (!found || !*found) return std::nullopt;
  const StepRun* st = (*found)->step(*task->step);
  // A run that ended or waits, or an attempt that another replaced, is past it.
  if ((*found)->state != "running" || !st || st->state != "running" || st->tasks.empty() ||
      st->tasks.back() != task->id) {
    return std::nullopt;
  }
  return StepTask{std::move(*task), std::move(**found)};
}

std::optional<std::string> PipelineRuns::held_step_task(const std::string& agent_id) {
  TaskQuery q;
  q.assignee = agent_id;
  q.statuses = {TaskStatus::kAssigned, TaskStatus::kInProgress};
  auto held = store_.tasks().list(q);
  if (!held) return std::nullopt;
  for (const auto& t : *held) {
    if (t.is_step()) return t.id;
  }
  return std::nullopt;
}

void PipelineRuns::step_task_moved(const std::string& task_id) {
  auto at = step_at_work(task_id);
  if (!at) return;
  const Task* task = &at->task;
  PipelineRun& run = at->run;
  StepRun* st = run.step(*task->step);
  st->resumed = false;
  watches_.erase(task->id);
  if (task->status == TaskStatus::kDone || task->status == TaskStatus::kBlocked) {
    st->state = "checking";
    st->ended_at_ms = to_unix_ms(clock_.now());
    (void)save(run);
    if (task->status == TaskStatus::kBlocked) {
      // The run has its report and decides (its gates, then a retry or a person); the agent is
      // free of it.
      close_step_tasks(run, fmt::format("step {} of pipeline run {} ended blocked; the run "
                                        "decides what comes next",
                                        st->id, run.id));
    }
    advance(run.id);
    return;
  }
  if (!task_ended(task->status)) return;
  st->state = "failed";
  st->ended_at_ms = to_unix_ms(clock_.now());
  wait_for_person(run, fmt::format("step {}: its task {} was {}; retry the step or cancel the run",
                                   st->id, task->id, to_string(task->status)));
}

Json PipelineRuns::step_task_report(const StepRun& st) {
  if (st.tasks.empty()) return Json();
  auto reports = store_.tasks().reports(st.tasks.back());
  if (!reports || reports->empty()) return Json();
  return reports->back().body;
}

void PipelineRuns::close_step_tasks(const PipelineRun& run, const std::string& reason) {
  for (const auto& s : run.steps) {
    for (const auto& id : s.tasks)
      close_step_task(id, reason);
  }
}

void PipelineRuns::close_step_task(const std::string& id, const std::string& reason) {
  watches_.erase(id);
  auto task = store_.tasks().find(id);
  if (!task || task_closed(task->status)) return;
  TaskChange change;
  change.status = TaskStatus::kCancelled;
  change.reason = reason;
  on_board("pipeline.step_task_not_closed", id, [id, change](TaskBoard& board, Store&) -> Status {
    TRY_OK(board.update(id, change, kPipelineActor));
    return {};
  });
}

asio::awaitable<std::optional<GateResult>> PipelineRuns::land_step_branch(PipelineRun& run,
                                                                          const Step& step) {
  StepRun& st = *run.step(step.id);
  auto refused = [&](std::string why) {
    return GateResult{"merge", "failed", std::move(why), to_unix_ms(clock_.now())};
  };
  std::optional<Task> task;
  if (!st.tasks.empty()) {
    if (auto t = store_.tasks().find(st.tasks.back())) task = std::move(*t);
  }
  if (!task || !task->branch) {
    co_return refused(
        "the step's task has no branch: its agent worked outside a worktree of "
        "the project, so its work cannot reach the run's branch");
  }
  auto project = store_.projects().find(run.project_id);
  if (!project) co_return refused("the run's project is gone: " + project.error().message);
  git::MergeRequest req;
  req.repo = project->path;
  req.branch = *task->branch;
  req.base = run.branch;
  req.message = fmt::format("Merge step {} (attempt {}) of {}: {}", step.id, st.attempts, run.id,
                            task->title);
  struct Landed {
    std::string before;
    git::MergeOutcome merge;
  };
  std::string worktree = run.worktree;
  std::function<Result<Landed>(int)> job = [req, worktree](int) -> Result<Landed> {
    TRY(before, git::head(worktree));
    TRY(merged, git::merge(req));
    return Landed{*before, *merged};
  };
  auto landed = co_await git_.call<Result<Landed>>(std::move(job));
  if (!landed) co_return refused("merging " + req.branch + ": " + landed.error().message);
  if (!landed->merge.ok()) {
    co_return refused(fmt::format("{} cannot come into {}: {} ({})", req.branch, req.base,
                                  landed->merge.result, join(landed->merge.files, ", ")));
  }
  // What it changed is measured from the run's commit just before it came in, so the work of
  // a step beside it that landed first is not counted as its own.
  st.start_commit = landed->before;
  log_.info("pipeline.step.landed", {{"run", run.id},
                                     {"step", step.id},
                                     {"branch", req.branch},
                                     {"result", landed->merge.result}});
  co_return std::nullopt;
}

void PipelineRuns::context_reset(std::string task_id, const std::string& agent_id,
                                 const std::string& why) {
  if (task_id.empty()) task_id = held_step_task(agent_id).value_or("");
  auto at = step_at_work(task_id);
  if (!at) return;
  const Task* task = &at->task;
  PipelineRun& run = at->run;
  StepRun* st = run.step(*task->step);
  // The ledger records where the step stood; the fresh context finds it on its task.
  const int64_t now = to_unix_ms(clock_.now());
  Json handoff = make_handoff(*st, now);
  handoff["result"] = "context reset";
  handoff["state"] = why;
  if (handoff.value("done", "").empty()) {
    handoff["done"] =
        fmt::format("{} had its context reset mid-step; its commits so far are on {}",
                    task->assignee_name.value_or("its agent"), task->branch.value_or("its branch"));
  }
  keep_handoff(*st, handoff);
  std::string text = fmt::format(
      "Your context was reset ({}). Step {} of pipeline run {} goes on from here; what the run "
      "has handed on so far:\n\n{}",
      why, st->id, run.id, handoff_text(run, kMaxResetHandoff));
  on_board("pipeline.handoff_not_written", task->id,
           [id = task->id, text](TaskBoard& board, Store&) -> Status {
             TRY_OK(board.comment(id, kPipelineActor, text));
             return {};
           });
  // The comment first: whoever sees pipeline.step.handoff finds it on the task.
  (void)save(run, "pipeline.step.handoff",
             Json{{"run", run.id}, {"step", st->id}, {"task", task->id}, {"handoff", handoff}});
}

}  // namespace bosun
