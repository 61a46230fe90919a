// PipelineRuns::start: a run checked, made (its branch and worktree, the task held) and set
// going.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "agent/role.h"
#include "crew/pipeline_runs.h"
#include "crew/task_board.h"
#include "git/run_branch.h"
#include "git/worktree.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// The text the pipeline was read from, kept with the run so a restart continues the same one.
Result<std::string> source_text(const Pipeline& p) {
  for (const auto& b : builtin_pipelines()) {
    if (b.path == p.file) return std::string(b.text);
  }
  std::ifstream in(p.file, std::ios::binary);
  if (!in) return not_found("pipeline_not_found", "cannot read pipeline file " + p.file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The pipeline against the project: every role it names has a role file.
Status runnable_in(const Pipeline& pipeline, const Project& project) {
  std::vector<std::string> roles;
  for (const auto& e : list_roles(project.path)) {
    if (e.role) roles.push_back(e.name);
  }
  return check_roles(pipeline, roles);
}

}  // namespace

Status PipelineRuns::may_take(const Task& task) {
  if (task.status == TaskStatus::kDone || task.status == TaskStatus::kCancelled) {
    return conflict("invalid_transition", fmt::format("{} is {}: a pipeline runs on open tasks",
                                                      task.id, to_string(task.status)));
  }
  if (task.is_step()) {
    return conflict("task_in_run", fmt::format("{} is step {} of pipeline run {}", task.id,
                                               *task.step, *task.pipeline_run_id));
  }
  if (task.pipeline_run_id) {
    auto other = load(*task.pipeline_run_id);
    if (other && *other && !(*other)->finished()) {
      return conflict(
          "task_in_run",
          fmt::format("{} is already worked on by pipeline run {} ({}); cancel it first", task.id,
                      (*other)->id, (*other)->state));
    }
  }
  if (task.assignee) {
    return conflict(
        "task_claimed",
        fmt::format("{} is held by {} ({}); release it before a pipeline takes it", task.id,
                    task.assignee_name.value_or(*task.assignee), to_string(task.status)));
  }
  return {};
}

asio::awaitable<Status> PipelineRuns::still_free(std::string task_id, std::string repo,
                                                 std::string worktree) {
  auto now = store_.tasks().find(task_id);
  Status free = now ? may_take(*now) : Status(tl::unexpected(now.error()));
  if (free) co_return free;
  std::function<Status(int)> undo = [repo, worktree](int) {
    return git::remove_worktree(repo, worktree, true);
  };
  (void)co_await git_.call<Status>(std::move(undo));
  co_return free;
}

Result<Project> PipelineRuns::project_for(const RunRequest& req, const std::optional<Task>& task) {
  std::optional<std::string> ref = req.project;
  if (!ref && task && task->project_id) ref = task->project_id;
  if (ref) return projects_.find(*ref);
  auto all = store_.projects().list();
  if (!all) return tl::unexpected(all.error());
  if (all->size() != 1) {
    return unprocessable("project_required",
                         all->empty() ? "a pipeline runs in a project's repository; add one "
                                        "first (bosun project add PATH)"
                                      : "name the project the run works in (--project)");
  }
  return all->front();
}

PipelineRun PipelineRuns::new_run(const Pipeline& pipeline, const std::string& text,
                                  const Task& task, const Project& project, const std::string& by) {
  PipelineRun run;
  run.id = new_id("run_");
  run.pipeline = pipeline.name;
  run.definition = text;
  run.file = pipeline.file;
  run.task_id = task.id;
  run.project_id = project.id;
  run.branch = "bosun-run/" + run.id;
  run.worktree = (state_.worktrees() / ("run-" + run.id)).string();
  run.base_branch = project.base_branch;
  run.mode = project.execution_mode;
  run.created_by = by;
  run.created_at_ms = run.updated_at_ms = to_unix_ms(clock_.now());
  for (const auto& s : pipeline.steps)
    run.steps.push_back(StepRun{.id = s.id});
  return run;
}

asio::awaitable<Outcome<Json>> PipelineRuns::start(RunRequest req) {
  auto life = lifetime_.guard();
  std::optional<Task> task;
  if (req.task_id) {
    auto found = store_.tasks().find(*req.task_id);
    if (!found) co_return refused(found.error());
    task = *found;
    if (auto st = may_take(*task); !st) co_return refused(st.error());
  } else if (!req.brief || req.brief->empty()) {
    co_return refused(Error{ErrorKind::kInvalid, "missing_field", "a task or a brief is required"});
  }
  auto found_project = project_for(req, task);
  if (!found_project) co_return refused(found_project.error());
  Project project = std::move(*found_project);
  auto pipeline = load_pipeline(req.pipeline, project.path);
  if (!pipeline) co_return refused(pipeline.error());
  if (auto st = runnable_in(*pipeline, project); !st) co_return refused(st.error());
  auto text = source_text(*pipeline);
  if (!text) co_return refused(text.error());

  if (!task) {
    std::string title = req.brief->substr(0, req.brief->find('\n'));
    NewTask n;
    n.title = shorten(title, kMaxTaskTitle);
    n.description = *req.brief;
    n.project_id = project.id;
    // In the backlog until the run holds it: never ready, so never handed to an agent first.
    n.status = TaskStatus::kBacklog;
    auto create = [&](Store& store, EventBus& bus) {
      return TaskBoard(store, bus, clock_).create(n, req.by);
    };
    auto created = co_await runner_.run(create);
    if (!life.alive())
      co_return refused(Error{ErrorKind::kInternal, "stopping", "the daemon is stopping"});
    if (!created) co_return refused(created.error());
    task = *created;
  }

  PipelineRun run = new_run(*pipeline, *text, *task, project, req.by);

  std::string repo = project.path;
  std::string path = run.worktree;
  std::string branch = run.branch;
  std::string base = run.base_branch;
  std::function<Result<std::string>(int)> job = [repo, path, branch,
                                                 base](int) -> Result<std::string> {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    TRY_OK(git::add_worktree(repo, path, branch, base));
    return git::head(path);
  };
  auto made = co_await git_.call<Result<std::string>>(std::move(job));
  if (!made) co_return refused(made.error());
  run.base_commit = *made;
  if (auto free = co_await still_free(task->id, repo, path); !free) {
    co_return refused(free.error());
  }

  TaskChange change;
  change.status = TaskStatus::kInProgress;
  change.by_run = true;
  change.reason = fmt::format("pipeline {} run {} works on it", run.pipeline, run.id);
  // The run and its task's place in it land together; then the task moves to in progress.
  std::string moved_error;
  auto record = [&](Store& store, EventBus& bus) -> Status {
    {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(store.pipeline_runs().insert(run));
      TRY_OK(store.tasks().set_pipeline_run(task->id, run.id));
      TRY_OK(store.tasks().set_branch(task->id, run.branch, run.base_branch, project.id));
      TRY_OK(tx.publish("pipeline.run.started", run.id, Json{{"run", to_json(run)}}));
      TRY_OK(tx.commit());
    }
    if (task->status != TaskStatus::kInProgress) {
      if (auto moved = TaskBoard(store, bus, clock_).update(task->id, change, kPipelineActor);
          !moved) {
        moved_error = moved.error().message;
      }
    }
    return {};
  };
  auto recorded = co_await runner_.run(record);
  if (!life.alive())
    co_return refused(Error{ErrorKind::kInternal, "stopping", "the daemon is stopping"});
  if (!recorded) co_return refused(recorded.error());
  if (!moved_error.empty()) {
    log_.warn("pipeline.task_not_moved", {{"run", run.id}, {"error", moved_error}});
  }
  log_.info("pipeline.run.started",
            {{"run", run.id}, {"pipeline", run.pipeline}, {"task", run.task_id}});
  advance(run.id);
  co_return to_json(run);
}

}  // namespace bosun
