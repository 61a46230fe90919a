// PipelineRuns: runs of a pipeline on a task. A run has its own branch and worktree, which
// every step works in; a step is a headless run of its role's CLI (the step's prompt in, a
// report out) or a task for a permanent agent of its role, worked on a branch from the run's
// and merged into it (crew/pipeline_agent_steps.cpp). After each step bosun checks the step's
// gates itself (crew/pipeline_gates.h) and moves on, goes back, retries, or asks a person. The
// run's state is in the store after every move, so a daemon killed mid-step continues the run when
// it starts again. At the end the run's branch is merged into the base with the safe merge (auto
// mode), or waits for a person's approval (review mode). Events: pipeline.run.*, pipeline.step.*,
// pipeline.gate.*.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "crew/headless.h"
#include "crew/pipeline_gates.h"
#include "crew/projects.h"
#include "crew/refusal.h"
#include "crew/step_loops.h"
#include "crew/task_board.h"
#include "crew/task_branches.h"
#include "pipeline/pipeline.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun {

class AgentRegistry;

// The name a run's own moves are written under in task history and events.
inline constexpr const char* kPipelineActor = "pipeline";

struct RunRequest {
  std::string pipeline;
  std::optional<std::string> task_id;  // the task the run works on…
  std::optional<std::string> brief;    // …or a new task with this title/description
  std::optional<std::string> project;  // id or name; default: the task's, or the only one
  std::string by;
};

class PipelineRuns : public EventSubscriber {
 public:
  // `git`: the git worker; `tests`: where test commands run; `bosun_exe` fills `{bosun}` in a
  // profile's headless command.
  PipelineRuns(boost::asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
               const Clock& clock, Log& log, ProcessRunner& git, ProcessRunner& tests,
               Projects& projects, TaskBranches& branches, HeadlessRunner& headless, StateDir state,
               std::string bosun_exe);
  ~PipelineRuns() override;
  PipelineRuns(const PipelineRuns&) = delete;
  PipelineRuns& operator=(const PipelineRuns&) = delete;

  // An agent step's task that ended (done, blocked, cancelled) moves its step; a headless
  // step's tool calls are counted for loop prevention.
  void on_event(const Event& event) override;
  // A Claude Code hook of an agent (PostToolUse, PostToolUseFailure): a finished tool call,
  // counted against the step the agent works on, if any.
  void agent_tool_finished(const std::string& agent_id, const Json& hook);
  // Where loop prevention interrupts an agent whose step went round in circles.
  void set_agents(AgentRegistry* agents) { agents_ = agents; }

  // Reads and checks the pipeline against the project's roles, makes the run's branch and
  // worktree and starts the first steps. 404 unknown pipeline, task or project; 400/422 a bad
  // pipeline or a role the project lacks; 409 a task that is done, or already in a run.
  boost::asio::awaitable<Outcome<Json>> start(RunRequest request);
  // A person's word on a run: approve a waiting human gate, or the merge of a run in review;
  // reject a waiting human gate (its on_fail follows) or send a run in review back to its last
  // step, with the reason; retry a step of a run that waits or failed (from its first
  // attempt); cancel a run that has not finished (its task goes back to the board).
  boost::asio::awaitable<Outcome<Json>> approve(std::string run_id, std::string by,
                                                std::optional<std::string> note);
  Outcome<Json> reject(const std::string& run_id, const std::string& by, const std::string& reason);
  Outcome<Json> retry(const std::string& run_id, const std::optional<std::string>& step,
                      const std::string& by);
  Outcome<Json> cancel(const std::string& run_id, const std::string& by, const std::string& reason);

  // After a restart: a step that was running starts again from its start (once; its commits
  // kept), a step whose gates were being checked is checked again, and every run goes on.
  void resume();

  // The run with its pipeline's limits and usage so far.
  Result<Json> show(const std::string& run_id);
  // Its requirements traced to tests, commits and gates (crew/pipeline_trace.h); 404 unknown
  // run, 409 a run whose branch is gone and never merged.
  boost::asio::awaitable<Result<Json>> trace(std::string run_id);

 private:
  // Drives run `id` until it waits for something (a step's CLI, a person) or ends. At most one
  // driver per run; a call while one drives makes it look again.
  void advance(const std::string& run_id);
  boost::asio::awaitable<void> drive(std::string run_id);
  // One look at the run: starts a step, checks one, or finishes; false when nothing more can
  // happen until something outside (a CLI, a person) moves it.
  boost::asio::awaitable<bool> step_once(std::string run_id);
  boost::asio::awaitable<void> start_attempt(PipelineRun& run, const Step& step);
  // Headless steps: the role's CLI, then one run of it on the step's prompt.
  struct HeadlessCli {
    std::string profile;
    std::vector<std::string> argv;  // the profile's headless template
    StreamFormat format;
  };
  std::optional<HeadlessCli> headless_cli(PipelineRun& run, const Step& step, const Role& role,
                                          const std::string& project_path);
  boost::asio::awaitable<void> launch_headless(PipelineRun& run, const Step& step,
                                               const HeadlessCli& cli, const std::string& role_body,
                                               const std::string& prompt, bool resumed);
  // Agent steps (crew/pipeline_agent_steps.cpp): the step's task on the board for its role,
  // made with the run's record of it in one transaction.
  boost::asio::awaitable<void> hand_to_agent(PipelineRun& run, const Step& step,
                                             const std::string& prompt);
  boost::asio::awaitable<Result<Task>> create_step_task(PipelineRun& run, const Step& step,
                                                        const std::string& prompt);
  // After a restart: the step waits on its task again, or moves if the task ended meanwhile.
  void reattach(PipelineRun& run, const Step& step);
  void step_task_moved(const std::string& task_id);
  // A step task with its run, when the run is going and the task is its step's current one.
  struct StepTask {
    Task task;
    PipelineRun run;
  };
  std::optional<StepTask> step_at_work(const std::string& task_id);
  // The step task agent `agent_id` holds (assigned or in progress), if any.
  std::optional<std::string> held_step_task(const std::string& agent_id);
  // An agent working a step got a fresh context (its task, or the step task agent `agent_id`
  // holds): a "context reset" handoff in the step's ledger, and the ledger on its task.
  void context_reset(std::string task_id, const std::string& agent_id, const std::string& why);
  // The report the agent submitted on the step's latest task, or null.
  Json step_task_report(const StepRun& step);
  // Cancels the run's step tasks that are still open; one of them.
  void close_step_tasks(const PipelineRun& run, const std::string& reason);
  void close_step_task(const std::string& task_id, const std::string& reason);
  // Loop prevention (crew/pipeline_loops.cpp): the running attempts' tool calls, by headless
  // run id or step task id; a loop stops the attempt and the run waits for a person.
  struct Watch {
    std::string run;
    std::string step;
    bool agent = false;  // an agent step's task (else a headless run)
    StepLoops loops;
  };
  void watch(const std::string& key, const PipelineRun& run, const Step& step);
  void on_tool_event(const Event& event);
  void looped(const std::string& key, const std::string& evidence);
  void attempt_ended(const std::string& run_id, const std::string& step_id,
                     const HeadlessRunRecord& record);
  boost::asio::awaitable<void> check_step(PipelineRun& run, const Pipeline& pipeline,
                                          const Step& step);
  // An agent step's branch into the run's branch (crew/pipeline_agent_steps.cpp): its start
  // becomes the run's commit before it, so what it changed is its own; a failed `merge` gate
  // when it cannot land (a conflict with a step beside it, no branch).
  boost::asio::awaitable<std::optional<GateResult>> land_step_branch(PipelineRun& run,
                                                                     const Step& step);
  // Moves the run's branch back to where a refused attempt started (st.discard), its commits
  // kept at refs/bosun/attempts/RUN/STEP/N.
  boost::asio::awaitable<void> set_aside(PipelineRun& run, const Step& step);
  // What the attempt did: its commits and files (read with git, its leftovers committed), its
  // report and output. False when it could not be read (the run then waits for a person).
  boost::asio::awaitable<bool> read_attempt(PipelineRun& run, const Pipeline& pipeline,
                                            const Step& step);
  std::optional<HeadlessRunRecord> last_headless_run(const StepRun& step);
  // What the step's gates are checked against: the run, its domains, earlier steps' tests.
  GateContext gate_context(PipelineRun& run, const Pipeline& pipeline, const Step& step,
                           const Project& project);
  boost::asio::awaitable<void> finish(PipelineRun& run);
  // What a failed gate does: retry, back to a step, ask; and the limits.
  void on_gate_failed(PipelineRun& run, const Pipeline& pipeline, const Step& step,
                      const Gate& gate, const GateResult& result);
  // The run waits for a person, with why; pipeline.run.waiting.
  void wait_for_person(PipelineRun& run, const std::string& reason);
  // Ends the run; its task goes back to the board (failed, cancelled) or is done (merged).
  void end(PipelineRun& run, const std::string& state, const std::string& reason);
  // Stores the run (updated_at) with `event` when given, in one transaction, through the
  // runner (load reads this version until the write is back); 409 for a run that ended
  // meanwhile at another state, which stays ended.
  Status save(PipelineRun& run, const char* event = nullptr, const Json& data = Json());
  // The run as last written or on its way to be: the version handed to the runner and not yet
  // back, else the store's.
  Result<std::optional<PipelineRun>> load(const std::string& run_id);
  // A write of `run` handed to the runner (begin) and back (end): until then load reads it.
  void begin_write(const PipelineRun& run);
  void end_write(const std::string& run_id);
  // Task board work that nobody waits for (a step task closed, a comment, the run's task back
  // on the board), through the runner after what was handed in before; a failure is logged
  // as `what`.
  using BoardWork = std::function<Status(TaskBoard& board, Store& store)>;
  void on_board(const char* what, const std::string& task_id, BoardWork work);
  Result<Pipeline> pipeline_of(const PipelineRun& run);
  // Whether a run may take `task`: open, in no other run, held by no agent (409 otherwise).
  Status may_take(const Task& task);
  // Whether the task is still free once git made the run's worktree (an agent may have taken
  // it meanwhile); if not, the worktree goes again.
  boost::asio::awaitable<Status> still_free(std::string task_id, std::string repo,
                                            std::string worktree);
  // The project a run works in: the one named, the task's, or the only one (422 otherwise).
  Result<Project> project_for(const RunRequest& req, const std::optional<Task>& task);
  // A new run of `pipeline` (its file's `text`) on `task`: ids, branch and worktree names, every
  // step pending.
  PipelineRun new_run(const Pipeline& pipeline, const std::string& text, const Task& task,
                      const Project& project, const std::string& by);
  std::map<std::string, std::string> prompt_values(const PipelineRun& run, const Step& step);
  // Token and cost totals of the run's headless runs so far.
  UsageTotals usage(const PipelineRun& run);
  // Why the run may not start another step: past its time limit or its budget.
  std::optional<std::string> over_budget(const PipelineRun& run, const Pipeline& pipeline);

  boost::asio::io_context& io_;
  Store& store_;  // read on the loop; every write goes through runner_
  EventBus& bus_;
  StoreRunner& runner_;
  const Clock& clock_;
  Log& log_;
  ProcessRunner& git_;
  ProcessRunner& tests_;
  Projects& projects_;
  TaskBranches& branches_;
  HeadlessRunner& headless_;
  StateDir state_;
  std::string bosun_exe_;
  std::set<std::string> driving_;  // runs a driver is on
  std::set<std::string> again_;    // runs moved while driven: look once more
  std::map<std::string, Watch> watches_;
  // Runs with writes on their way to the store: the latest version, and how many writes.
  struct Unsaved {
    PipelineRun run;
    int writes = 0;
  };
  std::map<std::string, Unsaved> unsaved_;
  AgentRegistry* agents_ = nullptr;
  Lifetime lifetime_;
};

}  // namespace bosun
