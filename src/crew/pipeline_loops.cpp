// PipelineRuns, loop prevention: the tool calls of each running attempt — a headless step's
// stream (headless.event), an agent's Claude Code hooks — are counted (crew/step_loops.h).
// An attempt that writes one file too often or runs a failing command again and again is
// stopped (its CLI cancelled, or its task cancelled and its agent interrupted) and the run
// waits for a person with the evidence: it never loops on.
#include <fmt/format.h>

#include "agent/registry.h"
#include "crew/pipeline_handoff.h"
#include "crew/pipeline_runs.h"

namespace bosun {

void PipelineRuns::watch(const std::string& key, const PipelineRun& run, const Step& step) {
  LoopLimits limits;
  if (auto p = pipeline_of(run)) {
    limits.max_rewrites = p->limits.max_rewrites;
    limits.max_failures = p->limits.max_failures;
  }
  watches_.insert_or_assign(
      key, Watch{run.id, step.id, step.mode == StepMode::kAgent, StepLoops(limits)});
}

void PipelineRuns::on_tool_event(const Event& event) {
  auto it = watches_.find(event.subject);
  if (it == watches_.end()) return;
  Json data = event_data(event);
  std::string type = string_field(data, "type");
  const Json& ev = data.contains("data") ? data["data"] : Json();
  if (!ev.is_object()) return;
  std::string id = string_field(ev, "id");
  std::optional<std::string> loop;
  if (type == "tool.call") {
    loop = it->second.loops.call(id, string_field(ev, "tool"), ev.value("input", Json()));
  } else if (type == "tool.result") {
    loop = it->second.loops.result(id, ev.value("is_error", Json()) == true);
  }
  if (loop) looped(event.subject, *loop);
}

void PipelineRuns::agent_tool_finished(const std::string& agent_id, const Json& hook) {
  std::string event = string_field(hook, "hook_event_name");
  if (event != "PostToolUse" && event != "PostToolUseFailure") return;
  // The step task the agent works on, if it works on one.
  auto held = held_step_task(agent_id);
  if (!held) return;
  auto at = step_at_work(*held);
  if (!at) return;
  if (!watches_.contains(*held)) {
    auto pipeline = pipeline_of(at->run);
    const Step* step = pipeline ? pipeline->step(*at->task.step) : nullptr;
    if (!step) return;
    watch(*held, at->run, *step);  // after a restart: counting starts again
  }
  if (auto loop = watches_.at(*held).loops.finished(string_field(hook, "tool_name"),
                                                    hook.value("tool_input", Json()),
                                                    event == "PostToolUseFailure")) {
    looped(*held, *loop);
  }
}

void PipelineRuns::looped(const std::string& key, const std::string& evidence) {
  auto node = watches_.extract(key);
  if (node.empty()) return;
  const Watch& w = node.mapped();
  auto found = load(w.run);
  if (!found || !*found) return;
  PipelineRun run = std::move(**found);
  StepRun* st = run.step(w.step);
  if (run.state != "running" || !st || st->state != "running") return;
  const int64_t now = to_unix_ms(clock_.now());
  GateResult loop{"loop", "failed", evidence, now};
  st->gates = {loop};
  st->state = "failed";
  st->ended_at_ms = now;
  st->evidence = "bosun stopped the last attempt: " + evidence;
  keep_handoff(*st, make_handoff(*st, now));
  runner_.publish("pipeline.gate.failed", run.id,
                  Json{{"run", run.id}, {"step", st->id}, {"gate", to_json(loop)}});
  runner_.publish(
      "pipeline.step.finished", run.id,
      Json{{"run", run.id}, {"step", st->id}, {"result", "failed"}, {"gate", to_json(loop)}});
  log_.warn("pipeline.step.looping", {{"run", run.id}, {"step", st->id}, {"evidence", evidence}});
  std::string why = fmt::format(
      "step {} went round in circles (attempt {}): {}; bosun stopped it — retry the step or "
      "cancel the run",
      st->id, st->attempts, evidence);
  if (w.agent) {
    // The step stored as failed first, so its task's end changes nothing; then the task is
    // taken from its agent, and only then does the run say it waits.
    (void)save(run);
    auto task = store_.tasks().find(key);
    if (task && task->assignee && agents_) (void)agents_->interrupt(*task->assignee);
    close_step_task(key, fmt::format("step {} of pipeline run {} went round in circles: {}", st->id,
                                     run.id, evidence));
  }
  wait_for_person(run, why);
  // A headless attempt's CLI stops: the step is no longer running, so its end changes nothing.
  if (!w.agent) (void)headless_.cancel(key);
}

}  // namespace bosun
