// PipelineRuns: a run's life — start, one step after another, the gates, the person's word,
// the merge — each move stored before the next.
#include "crew/pipeline_runs.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "agent/launch_plan.h"
#include "agent/profile.h"
#include "agent/role.h"
#include "crew/instructions.h"
#include "crew/pipeline_gates.h"
#include "crew/pipeline_handoff.h"
#include "crew/task_board.h"
#include "git/merge.h"
#include "git/repo.h"
#include "git/run_branch.h"
#include "git/worktree.h"
#include "pipeline/prompt.h"
#include "util/duration.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr std::chrono::milliseconds kTestTimeout{10 * 60 * 1000};
constexpr std::chrono::milliseconds kStepTimeout{30 * 60 * 1000};
constexpr size_t kMaxOutput = 8000;                    // of a step's output handed to later steps
constexpr size_t kMaxHandoffText = size_t{16} * 1024;  // of the handoff ledger in a prompt

// What every headless step is told about the report it ends with.
std::string report_instructions(const Step& step) {
  bool review = std::any_of(step.gates.begin(), step.gates.end(),
                            [](const Gate& g) { return g.kind == GateKind::kReview; });
  std::string out =
      "When you are done, commit your work to the current branch, then end your answer with "
      "your report: a ```json block holding {\"status\": \"done\" | \"partial\" | \"blocked\", "
      "\"summary\": \"…\", \"proof\": {\"what_was_done\": \"…\", \"how_verified\": \"…\", "
      "\"verification_result\": \"…\"}, \"blocked_reason\": \"…\" (when blocked), "
      "\"handoff\": {\"done\": \"…\", \"state\": \"…\", \"next\": \"…\", \"questions\": \"…\"} "
      "(for the steps after you)";
  if (review) {
    out += ", \"review\": {\"verdict\": \"approve\" | \"request_changes\", \"comments\": \"…\"}";
  }
  return out + "}. bosun checks the work itself before the next step starts.";
}

bool is_test_file(const std::string& path, const Pipeline& p) {
  return git::path_in_domains(path, p.test_globs);
}

}  // namespace

PipelineRuns::PipelineRuns(asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
                           const Clock& clock, Log& log, ProcessRunner& git, ProcessRunner& tests,
                           Projects& projects, TaskBranches& branches, HeadlessRunner& headless,
                           StateDir state, std::string bosun_exe)
    : io_(io),
      store_(store),
      bus_(bus),
      runner_(runner),
      clock_(clock),
      log_(log),
      git_(git),
      tests_(tests),
      projects_(projects),
      branches_(branches),
      headless_(headless),
      state_(std::move(state)),
      bosun_exe_(std::move(bosun_exe)) {
  bus_.subscribe(this);  // agent steps move with their tasks
}

// ---- start ---------------------------------------------------------------------------------

// ---- driving -------------------------------------------------------------------------------

void PipelineRuns::advance(const std::string& run_id) {
  if (driving_.contains(run_id)) {
    again_.insert(run_id);
    return;
  }
  driving_.insert(run_id);
  asio::co_spawn(io_, drive(run_id), asio::detached);
}

asio::awaitable<void> PipelineRuns::drive(std::string run_id) {
  auto life = lifetime_.guard();
  do {
    again_.erase(run_id);
    while (co_await step_once(run_id)) {
      if (!life.alive()) co_return;
    }
    if (!life.alive()) co_return;
  } while (again_.contains(run_id));
  driving_.erase(run_id);
}

Result<Pipeline> PipelineRuns::pipeline_of(const PipelineRun& run) {
  return parse_pipeline(run.definition, run.file);
}

asio::awaitable<bool> PipelineRuns::step_once(std::string run_id) {
  auto found = load(run_id);
  if (!found || !*found) co_return false;
  PipelineRun run = std::move(**found);
  if (run.state != "running") co_return false;
  auto pipeline = pipeline_of(run);
  if (!pipeline) {
    end(run, "failed", "the run's pipeline no longer reads: " + pipeline.error().message);
    co_return false;
  }
  // Steps under way: one a stopped daemon interrupted starts again (or finds its task), one
  // that ended is checked — one at a time, so no two land on the run's branch at once.
  bool running = false;    // a step is at work
  bool exclusive = false;  // a headless one, in the run's own worktree
  for (const auto& step : pipeline->steps) {
    StepRun* st = run.step(step.id);
    if (!st) continue;
    if (st->state == "running") {
      if (st->resumed) {
        co_await start_attempt(run, step);
        co_return true;
      }
      running = true;
      exclusive = exclusive || step.mode == StepMode::kHeadless;
    } else if (st->state == "checking") {
      co_await check_step(run, *pipeline, step);
      co_return true;
    }
  }
  if (!running) {
    if (auto over = over_budget(run, *pipeline)) {
      wait_for_person(run, *over);
      co_return false;
    }
  }
  // Every step whose needs have passed starts: agent steps side by side (each agent on a
  // branch of its own), a headless step alone.
  bool all_passed = true;
  for (const auto& step : pipeline->steps) {
    StepRun* st = run.step(step.id);
    if (!st || st->state == "passed") continue;
    all_passed = false;
    if (st->state != "pending") continue;
    bool ready = std::all_of(step.needs.begin(), step.needs.end(), [&](const std::string& n) {
      const StepRun* need = run.step(n);
      return need && need->state == "passed";
    });
    bool alone = step.mode == StepMode::kHeadless;
    if (ready && !exclusive && !(alone && running)) {
      co_await start_attempt(run, step);
      co_return true;
    }
  }
  if (running) co_return false;  // the steps at work move it on
  if (all_passed) {
    co_await finish(run);
    co_return false;
  }
  wait_for_person(run, "no step can start: the steps left wait for steps that did not pass");
  co_return false;
}

std::map<std::string, std::string> PipelineRuns::prompt_values(const PipelineRun& run,
                                                               const Step& step) {
  std::map<std::string, std::string> v;
  if (auto task = store_.tasks().find(run.task_id)) {
    v["task.id"] = task->id;
    v["task.title"] = task->title;
    v["task.description"] = task->description;
  }
  if (auto project = store_.projects().find(run.project_id)) {
    v["project.name"] = project->name;
    v["project.tech_stack"] = project->tech_stack;
  }
  if (auto decisions = store_.projects().decisions(run.project_id, step.role)) {
    v["decisions"] = decisions->empty() ? "(none yet)" : decisions_text(*decisions);
  }
  v["handoff"] = handoff_text(run, kMaxHandoffText);
  for (const auto& s : run.steps) {
    v["steps." + s.id + ".output"] = shorten(s.output, kMaxOutput);
    v["steps." + s.id + ".report"] = s.report.is_null() ? "" : s.report.dump(2);
  }
  if (const StepRun* st = run.step(step.id)) {
    if (!st->comments.empty()) v["review.comments"] = "The reviewer's comments: " + st->comments;
    if (!st->evidence.empty()) v["gate.evidence"] = "Why this is asked again: " + st->evidence;
  }
  return v;
}

asio::awaitable<void> PipelineRuns::start_attempt(PipelineRun& run, const Step& step) {
  StepRun& st = *run.step(step.id);
  bool resumed = st.resumed;
  // An agent's step survives a restart: its task is still the agent's, or has moved on.
  if (resumed && step.mode == StepMode::kAgent) {
    reattach(run, step);
    co_return;
  }
  auto project = store_.projects().find(run.project_id);
  if (!project) {
    end(run, "failed", "the run's project is gone: " + project.error().message);
    co_return;
  }
  auto role = projects_.role_of(project->path, step.role);
  if (!role) {
    wait_for_person(run, fmt::format("step {}: the project has no role file for {} any more",
                                     step.id, step.role));
    co_return;
  }
  std::optional<HeadlessCli> cli;
  if (step.mode == StepMode::kHeadless) {
    cli = headless_cli(run, step, *role, project->path);
    if (!cli) co_return;
  }
  // A refused attempt leaves nothing on the branch for the next one: it starts where the
  // refused one did, which is kept at a ref of its own.
  std::string worktree = run.worktree;
  std::string back_to = st.discard && !resumed ? st.start_commit : std::string();
  std::string keep_at = fmt::format("refs/bosun/attempts/{}/{}/{}", run.id, step.id, st.attempts);
  std::function<Result<std::string>(int)> job = [worktree, back_to,
                                                 keep_at](int) -> Result<std::string> {
    if (!back_to.empty()) TRY_OK(git::set_back(worktree, back_to, keep_at));
    return git::head(worktree);
  };
  auto head = co_await git_.call<Result<std::string>>(std::move(job));
  if (!head) {
    wait_for_person(run, fmt::format("step {}: the run's worktree {} cannot be read: {}", step.id,
                                     worktree, head.error().message));
    co_return;
  }
  // Re-read: a person may have moved the run while git ran.
  auto again = load(run.id);
  if (!again || !*again || (*again)->state != "running") co_return;
  run = std::move(**again);
  StepRun& s = *run.step(step.id);
  s.resumed = false;
  s.discard = false;
  if (!resumed) {
    ++s.attempts;
    s.start_commit = *head;
  }
  s.state = "running";
  s.report = Json();
  s.gates.clear();
  s.started_at_ms = to_unix_ms(clock_.now());
  s.ended_at_ms.reset();
  std::string prompt = render_prompt(step.prompt, prompt_values(run, step));
  if (step.mode == StepMode::kAgent) {
    co_await hand_to_agent(run, step, prompt);
  } else {
    co_await launch_headless(run, step, *cli, role->body, prompt, resumed);
  }
}

std::optional<PipelineRuns::HeadlessCli> PipelineRuns::headless_cli(
    PipelineRun& run, const Step& step, const Role& role, const std::string& project_path) {
  std::string name = role.profile.value_or("claude");
  auto profile = load_profile(name, project_path);
  std::optional<StreamFormat> format;
  if (profile) format = parse_stream_format(profile->stream);
  if (!profile || profile->headless.empty() || !format) {
    wait_for_person(
        run, fmt::format(
                 "step {}: role {} uses profile {}, which {}", step.id, step.role, name,
                 profile ? "has no headless command with a JSON stream" : profile.error().message));
    return std::nullopt;
  }
  return HeadlessCli{name, std::move(profile->headless), *format};
}

asio::awaitable<void> PipelineRuns::launch_headless(PipelineRun& run, const Step& step,
                                                    const HeadlessCli& cli,
                                                    const std::string& role_body,
                                                    const std::string& prompt, bool resumed) {
  StepRun& s = *run.step(step.id);
  std::string full = role_body.empty() ? std::string() : role_body + "\n\n---\n\n";
  full += prompt + "\n\n" + report_instructions(step);
  auto argv =
      expand_argv(cli.argv, {{"prompt", full}, {"shell", default_shell()}, {"bosun", bosun_exe_}});
  if (!argv) {
    wait_for_person(run, fmt::format("step {}: {}", step.id, argv.error().message));
    co_return;
  }
  HeadlessLaunch launch;
  launch.profile = cli.profile;
  launch.argv = std::move(*argv);
  launch.format = cli.format;
  launch.cwd = run.worktree;
  launch.task_id = run.task_id;
  launch.timeout = step.timeout.value_or(kStepTimeout);
  launch.env = {{"BOSUN_RUN", run.id},
                {"BOSUN_STEP", step.id},
                {"BOSUN_ROLE", step.role},
                {"BOSUN_ATTEMPT", std::to_string(s.attempts)}};
  git::ensure_identity_env(run.worktree, launch.env);
  std::string run_id = run.id;
  std::string step_id = step.id;
  HeadlessRunner::Finished ended = [this, life = lifetime_.guard(), run_id,
                                    step_id](const HeadlessRunRecord& r) {
    if (life.alive()) attempt_ended(run_id, step_id, r);
  };
  auto life = lifetime_.guard();
  auto record = co_await headless_.launch(launch, ended);
  if (!life.alive()) co_return;
  if (!record) {
    wait_for_person(
        run, fmt::format("step {}: the CLI could not start: {}", step.id, record.error().message));
    co_return;
  }
  s.headless_runs.push_back(record->id);
  watch(record->id, run, step);
  (void)save(run, "pipeline.step.started",
             Json{{"run", run.id},
                  {"step", step.id},
                  {"role", step.role},
                  {"attempt", s.attempts},
                  {"resumed", resumed},
                  {"headless_run", record->id}});
  log_.info("pipeline.step.started",
            {{"run", run.id}, {"step", step.id}, {"attempt", s.attempts}, {"resumed", resumed}});
}

void PipelineRuns::attempt_ended(const std::string& run_id, const std::string& step_id,
                                 const HeadlessRunRecord& record) {
  watches_.erase(record.id);
  auto found = load(run_id);
  if (!found || !*found) return;
  PipelineRun run = std::move(**found);
  StepRun* st = run.step(step_id);
  // A run cancelled meanwhile, or an attempt a retry replaced, is over already.
  if (run.state != "running" || !st || st->state != "running" || st->headless_runs.empty() ||
      st->headless_runs.back() != record.id) {
    return;
  }
  st->state = "checking";
  st->ended_at_ms = to_unix_ms(clock_.now());
  (void)save(run);
  advance(run_id);
}

// ---- gates ---------------------------------------------------------------------------------

asio::awaitable<bool> PipelineRuns::read_attempt(PipelineRun& run, const Pipeline& pipeline,
                                                 const Step& step) {
  StepRun& st = *run.step(step.id);
  std::string worktree = run.worktree;
  std::string from = st.start_commit;
  std::string message = fmt::format("{}: what step {} left uncommitted", run.id, step.id);
  struct Changed {
    std::string head;
    std::vector<std::string> files;
    std::vector<std::string> commits;
  };
  std::function<Result<Changed>(int)> job = [worktree, from, message](int) -> Result<Changed> {
    TRY(head, git::commit_leftovers(worktree, message));
    TRY(files, git::changed_between(worktree, from, *head));
    TRY(made, git::commits_between(worktree, from, *head));
    return Changed{*head, *files, *made};
  };
  auto changed = co_await git_.call<Result<Changed>>(std::move(job));
  if (!changed) {
    wait_for_person(
        run, fmt::format("step {}: reading what it changed: {}", step.id, changed.error().message));
    co_return false;
  }
  st.end_commit = changed->head;
  st.changed = changed->files;
  st.commits.insert(st.commits.begin(), changed->commits.begin(), changed->commits.end());
  st.test_files.clear();
  for (const auto& f : st.changed) {
    if (is_test_file(f, pipeline)) st.test_files.push_back(f);
  }
  if (step.mode == StepMode::kAgent) {
    // The agent's report on the step's task, as it submitted it.
    st.report = step_task_report(st);
    st.output = st.report.is_object() ? report_output(st.report) : std::string();
  } else {
    std::string text;
    if (auto record = last_headless_run(st)) text = record->result_text;
    auto report = extract_report(text);
    st.report = report ? *report : Json();
    st.output = report ? report_output(*report) : shorten(text, kMaxOutput);
  }
  st.gates.clear();
  co_return true;
}

std::optional<HeadlessRunRecord> PipelineRuns::last_headless_run(const StepRun& st) {
  if (st.headless_runs.empty()) return std::nullopt;
  auto r = store_.headless_runs().find(st.headless_runs.back());
  if (!r || !*r) return std::nullopt;
  return **r;
}

GateContext PipelineRuns::gate_context(PipelineRun& run, const Pipeline& pipeline, const Step& step,
                                       const Project& project) {
  GateContext ctx;
  ctx.run = &run;
  ctx.pipeline = &pipeline;
  ctx.step = run.step(step.id);
  ctx.project = &project;
  if (auto role = projects_.role_of(project.path, step.role)) ctx.domains = role->domains;
  for (const auto& other : run.steps) {
    if (other.id == step.id || other.state != "passed") continue;
    if (!other.test_files.empty() && !other.end_commit.empty()) {
      ctx.test_writers.emplace_back(other.end_commit, other.test_files);
    }
    for (const auto& f : other.test_files) {
      if (std::find(ctx.earlier_tests.begin(), ctx.earlier_tests.end(), f) ==
          ctx.earlier_tests.end()) {
        ctx.earlier_tests.push_back(f);
      }
    }
  }
  return ctx;
}

asio::awaitable<void> PipelineRuns::check_step(PipelineRun& run, const Pipeline& pipeline,
                                               const Step& step) {
  auto project = store_.projects().find(run.project_id);
  if (!project) {
    end(run, "failed", "the run's project is gone: " + project.error().message);
    co_return;
  }
  StepRun& st = *run.step(step.id);
  if (step.mode == StepMode::kAgent) {
    if (auto refused = co_await land_step_branch(run, step)) {
      st.gates = {*refused};
      on_gate_failed(run, pipeline, step, Gate{}, *refused);
      // Nothing came in, so nothing is set aside: the run's branch may hold a sibling's work
      // since this attempt began.
      if (run.step(step.id)->discard) {
        run.step(step.id)->discard = false;
        (void)save(run);
      }
      co_return;
    }
  }
  if (!co_await read_attempt(run, pipeline, step)) co_return;
  // The CLI itself failed (crashed, timed out, refused): the attempt failed, whatever it said.
  if (step.mode == StepMode::kHeadless) {
    auto record = last_headless_run(st);
    if (record && record->success != true) {
      GateResult failed{"run", "failed",
                        fmt::format("the CLI run {} did not succeed ({}): {}", record->id,
                                    record->reason, shorten(record->result_text, 2000)),
                        to_unix_ms(clock_.now())};
      st.gates.push_back(failed);
      on_gate_failed(run, pipeline, step, Gate{}, failed);
      co_await set_aside(run, step);
      co_return;
    }
  }
  GateContext ctx = gate_context(run, pipeline, step, *project);
  PipelineGates gates(git_, tests_, clock_, kTestTimeout);
  bool waiting = false;
  for (const auto& gate : step.gates) {
    GateResult r = co_await gates.check(gate.kind, ctx);
    st.gates.push_back(r);
    std::string event = "pipeline.gate." + r.result;
    runner_.publish(event, run.id, Json{{"run", run.id}, {"step", step.id}, {"gate", to_json(r)}});
    if (r.result == "failed") {
      on_gate_failed(run, pipeline, step, gate, r);
      co_await set_aside(run, step);
      co_return;
    }
    if (r.result == "waiting") waiting = true;
  }
  keep_handoff(st, make_handoff(st, to_unix_ms(clock_.now())));
  if (waiting) {
    st.state = "waiting";
    wait_for_person(run, fmt::format("step {} waits for a person's approval (bosun pipeline "
                                     "approve {} | reject {} --reason …)",
                                     step.id, run.id, run.id));
    co_return;
  }
  st.state = "passed";
  st.evidence.clear();
  (void)save(
      run, "pipeline.step.finished",
      Json{{"run", run.id}, {"step", step.id}, {"result", "passed"}, {"step_run", to_json(st)}});
  log_.info("pipeline.step.passed", {{"run", run.id}, {"step", step.id}});
}

// A refused attempt's commits leave the run's branch now (kept at a ref of their own), before
// a step beside it lands on top of them.
asio::awaitable<void> PipelineRuns::set_aside(PipelineRun& run, const Step& step) {
  StepRun& st = *run.step(step.id);
  if (!st.discard) co_return;
  std::string worktree = run.worktree;
  std::string back_to = st.start_commit;
  std::string keep_at = fmt::format("refs/bosun/attempts/{}/{}/{}", run.id, step.id, st.attempts);
  std::function<Status(int)> job = [worktree, back_to, keep_at](int) -> Status {
    TRY_OK(git::set_back(worktree, back_to, keep_at));
    return {};
  };
  auto done = co_await git_.call<Status>(std::move(job));
  if (!done) {
    wait_for_person(run, fmt::format("step {}: setting its refused attempt aside: {}", step.id,
                                     done.error().message));
    co_return;
  }
  st.discard = false;
  (void)save(run);
}

void PipelineRuns::on_gate_failed(PipelineRun& run, const Pipeline& pipeline, const Step& step,
                                  const Gate& gate, const GateResult& result) {
  StepRun& st = *run.step(step.id);
  st.state = "failed";
  keep_handoff(st, make_handoff(st, to_unix_ms(clock_.now())));
  runner_.publish(
      "pipeline.step.finished", run.id,
      Json{{"run", run.id}, {"step", step.id}, {"result", "failed"}, {"gate", to_json(result)}});
  bool blocked = result.gate == "report" && st.report.is_object() &&
                 st.report.value("status", Json()) == "blocked";
  std::string what = fmt::format("step {} failed the {} gate (attempt {}): {}", step.id,
                                 result.gate, st.attempts, result.evidence);
  if (blocked || gate.on_fail.action == OnFail::Action::kAsk) {
    wait_for_person(run, what);
    return;
  }
  if (gate.on_fail.action == OnFail::Action::kRetry) {
    if (st.attempts >= step.max_attempts) {
      wait_for_person(run, fmt::format("{} — {} of {} attempts used; retry it or cancel the run",
                                       what, st.attempts, step.max_attempts));
      return;
    }
    st.state = "pending";
    st.discard = true;
    st.evidence = fmt::format(
        "attempt {} failed the {} gate: {} (its commits are kept at "
        "refs/bosun/attempts/{}/{}/{}; this attempt starts without them)",
        st.attempts, result.gate, result.evidence, run.id, step.id, st.attempts);
    (void)save(run);
    return;
  }
  // Back to an earlier step, with this one's evidence (a reviewer's comments).
  ++run.loops;
  if (run.loops > pipeline.limits.max_loops) {
    wait_for_person(run, fmt::format("{} — the work was sent back {} times (max_loops {}); a "
                                     "person decides: retry a step or cancel the run",
                                     what, run.loops, pipeline.limits.max_loops));
    return;
  }
  const std::string& target = gate.on_fail.step;
  // The target and every step that needs it, directly or not, run again.
  std::set<std::string> again{target};
  for (const auto& s : pipeline.steps) {
    for (const auto& n : s.needs) {
      if (again.contains(n)) again.insert(s.id);
    }
  }
  for (auto& s : run.steps) {
    if (!again.contains(s.id)) continue;
    // A step beside this one that is at work and comes after the target stops: it runs again.
    if (s.state == "running" && !s.tasks.empty()) {
      close_step_task(s.tasks.back(), fmt::format("step {} sent the work back to {}; step {} runs "
                                                  "again after it",
                                                  step.id, target, s.id));
    }
    s.state = "pending";
    if (s.id == target) {
      s.attempts = 0;
      s.evidence = fmt::format("step {} sent the work back (loop {} of {})", step.id, run.loops,
                               pipeline.limits.max_loops);
      s.comments = result.gate == "review" ? result.evidence : std::string();
      if (result.gate != "review") s.evidence += ": " + result.evidence;
    }
  }
  (void)save(run, "pipeline.run.looped",
             Json{{"run", run.id},
                  {"from", step.id},
                  {"to", target},
                  {"loops", run.loops},
                  {"evidence", result.evidence}});
}

// ---- the end -------------------------------------------------------------------------------

asio::awaitable<void> PipelineRuns::finish(PipelineRun& run) {
  TaskChange change;
  change.status = TaskStatus::kReview;
  change.by_run = true;
  change.reason = fmt::format("pipeline run {}: every step passed its gates", run.id);
  auto to_review = [&](Store& store, EventBus& bus) -> Status {
    TRY(task, store.tasks().find(run.task_id));
    if (task->status == TaskStatus::kReview) return {};
    TRY_OK(TaskBoard(store, bus, clock_).update(run.task_id, change, kPipelineActor));
    return {};
  };
  auto life = lifetime_.guard();
  if (auto moved = co_await runner_.run(to_review); !moved) {
    log_.warn("pipeline.task_not_moved", {{"run", run.id}, {"error", moved.error().message}});
  }
  if (!life.alive()) co_return;
  run.state = "review";
  run.reason = run.mode == "auto" ? "merging"
                                  : "every gate passed; waits for a person to approve "
                                    "the merge (bosun pipeline approve " +
                                        run.id + ")";
  if (run.mode != "auto") {
    (void)save(run, "pipeline.run.review", Json{{"run", run.id}, {"mode", run.mode}});
    co_return;
  }
  (void)save(run);
  std::string run_id = run.id;
  std::string actor = kPipelineActor;
  std::optional<std::string> note;
  auto merged = co_await approve(run_id, actor, note);
  if (!merged) {
    log_.warn("pipeline.merge_refused", {{"run", run_id}, {"error", merged.error().error.message}});
  }
}

void PipelineRuns::wait_for_person(PipelineRun& run, const std::string& reason) {
  run.state = "waiting";
  run.reason = reason;
  (void)save(run, "pipeline.run.waiting", Json{{"run", run.id}, {"reason", reason}});
  log_.info("pipeline.run.waiting", {{"run", run.id}, {"reason", reason}});
}

void PipelineRuns::end(PipelineRun& run, const std::string& state, const std::string& reason) {
  run.state = state;
  run.reason = reason;
  run.ended_at_ms = to_unix_ms(clock_.now());
  // Stored as ended first (its step tasks' ends then change nothing), then the step tasks and
  // the run's task move, and only then is it told: pipeline.run.finished finds them moved.
  if (!save(run)) return;
  close_step_tasks(run, fmt::format("pipeline run {} {}", run.id, state));
  if (state != "merged") {
    // The task goes back to the board; the run's branch keeps its work.
    TaskChange change;
    change.status = TaskStatus::kPending;
    change.by_run = true;
    change.reason = fmt::format("pipeline run {} {}: {}", run.id, state, reason);
    on_board("pipeline.task_not_moved", run.task_id,
             [id = run.task_id, change](TaskBoard& board, Store& store) -> Status {
               (void)store.tasks().set_pipeline_run(id, std::nullopt);
               TRY_OK(board.update(id, change, kPipelineActor));
               return {};
             });
  }
  (void)save(run, "pipeline.run.finished",
             Json{{"run", run.id}, {"state", state}, {"reason", reason}});
  log_.info("pipeline.run.finished", {{"run", run.id}, {"state", state}, {"reason", reason}});
  if (state == "merged") return;
  std::string worktree = run.worktree;
  std::string message = fmt::format("{}: left uncommitted when the run ended", run.id);
  auto project = store_.projects().find(run.project_id);
  if (!project) return;
  std::string repo = project->path;
  asio::co_spawn(
      io_,
      [this, life = lifetime_.guard(), worktree, message, repo]() -> asio::awaitable<void> {
        std::function<Status(int)> job = [worktree, message, repo](int) -> Status {
          TRY_OK(git::commit_leftovers(worktree, message));
          return git::remove_worktree(repo, worktree, false);
        };
        auto st = co_await git_.call<Status>(std::move(job));
        if (!life.alive()) co_return;
        if (!st) {
          log_.warn("pipeline.worktree_kept",
                    {{"worktree", worktree}, {"error", st.error().message}});
        }
      },
      asio::detached);
}

Status PipelineRuns::save(PipelineRun& run, const char* event, const Json& data) {
  // A run a person ended meanwhile stays ended.
  if (auto cur = load(run.id); cur && *cur && (*cur)->finished() && (*cur)->state != run.state) {
    return conflict("run_finished", fmt::format("run {} is {}", run.id, (*cur)->state));
  }
  run.updated_at_ms = to_unix_ms(clock_.now());
  std::optional<std::string> type = event ? std::optional<std::string>(event) : std::nullopt;
  auto write = [run, type = std::move(type), data](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.pipeline_runs().update(run));
    if (type) TRY_OK(tx.publish(*type, run.id, data));
    return tx.commit();
  };
  begin_write(run);
  runner_.submit(std::move(write), [this, life = lifetime_.guard(), id = run.id](const Status& st) {
    if (!life.alive()) return;
    if (!st) log_.error("pipeline.save_failed", {{"run", id}, {"error", st.error().message}});
    end_write(id);
  });
  return {};
}

Result<std::optional<PipelineRun>> PipelineRuns::load(const std::string& run_id) {
  if (auto it = unsaved_.find(run_id); it != unsaved_.end()) return it->second.run;
  return store_.pipeline_runs().find(run_id);
}

void PipelineRuns::begin_write(const PipelineRun& run) {
  Unsaved& u = unsaved_[run.id];
  u.run = run;
  ++u.writes;
}

void PipelineRuns::end_write(const std::string& run_id) {
  auto it = unsaved_.find(run_id);
  if (it != unsaved_.end() && --it->second.writes <= 0) unsaved_.erase(it);
}

void PipelineRuns::on_board(const char* what, const std::string& task_id, BoardWork work) {
  auto run = [&clock = clock_, work = std::move(work)](Store& store, EventBus& bus) {
    TaskBoard board(store, bus, clock);
    return work(board, store);
  };
  runner_.submit(std::move(run), [this, life = lifetime_.guard(), what, task_id](const Status& st) {
    if (!st && life.alive()) {
      log_.warn(what, {{"task", task_id}, {"error", st.error().message}});
    }
  });
}

// ---- restart, usage ------------------------------------------------------------------------

void PipelineRuns::resume() {
  auto runs = store_.pipeline_runs().unfinished();
  if (!runs) {
    log_.warn("pipeline.resume_failed", {{"error", runs.error().message}});
    return;
  }
  for (auto& run : *runs) {
    if (run.state != "running") continue;
    bool interrupted = false;
    for (auto& s : run.steps) {
      if (s.state == "running") {
        s.resumed = true;
        interrupted = true;
      }
    }
    if (interrupted) {
      (void)save(run, "pipeline.run.resumed", Json{{"run", run.id}});
      log_.info("pipeline.run.resumed", {{"run", run.id}});
    }
    advance(run.id);
  }
}

UsageTotals PipelineRuns::usage(const PipelineRun& run) {
  UsageTotals t;
  for (const auto& s : run.steps) {
    for (const auto& id : s.headless_runs) {
      auto r = store_.headless_runs().find(id);
      if (!r || !*r) continue;
      ++t.runs;
      t.input_tokens += (*r)->input_tokens;
      t.output_tokens += (*r)->output_tokens;
      t.cache_read_tokens += (*r)->cache_read_tokens;
      t.cache_write_tokens += (*r)->cache_write_tokens;
      t.cost_usd += (*r)->cost_usd.value_or(0);
    }
  }
  return t;
}

std::optional<std::string> PipelineRuns::over_budget(const PipelineRun& run,
                                                     const Pipeline& pipeline) {
  const auto& l = pipeline.limits;
  if (l.timeout && to_unix_ms(clock_.now()) - run.created_at_ms > l.timeout->count()) {
    return fmt::format("the run passed its time limit ({}); retry a step to go on, or cancel it",
                       format_duration(*l.timeout));
  }
  if (!l.budget_tokens && !l.budget_usd) return std::nullopt;
  UsageTotals t = usage(run);
  int64_t tokens = t.input_tokens + t.output_tokens;
  if (l.budget_tokens && tokens > *l.budget_tokens) {
    return fmt::format(
        "the run used {} tokens, over its budget of {}; raise the budget and "
        "retry, or cancel the run",
        tokens, *l.budget_tokens);
  }
  if (l.budget_usd && t.cost_usd > *l.budget_usd) {
    return fmt::format(
        "the run cost ${:.2f}, over its budget of ${:.2f}; raise the budget and "
        "retry, or cancel the run",
        t.cost_usd, *l.budget_usd);
  }
  return std::nullopt;
}

}  // namespace bosun
