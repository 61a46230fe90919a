// Supervisor: what each event it hears makes it do — dispatch, limits, errors, restarts,
// released tasks, bounced mail, acknowledged [TASK]s.
#include <algorithm>

#include <fmt/format.h>

#include "agent/registry.h"
#include "crew/agent_watch.h"
#include "crew/mailbox.h"
#include "crew/supervisor.h"

namespace bosun {

namespace {

// How an agent's run ended, for a task's history: "exited (code 3)", "was stopped",
// "was lost: …".
std::string ended_how(const std::string& type, const Json& data) {
  if (type == "agent.lost") return "was lost: " + string_field(data, "reason");
  std::string then = string_field(data, "then");
  if (then == "stop") return "was stopped";
  if (then == "remove") return "was removed";
  if (data.contains("exit_code") && data["exit_code"].is_number_integer()) {
    return fmt::format("exited (code {})", data["exit_code"].get<int64_t>());
  }
  if (data.contains("signal") && data["signal"].is_number_integer()) {
    return fmt::format("exited (signal {})", data["signal"].get<int64_t>());
  }
  return "exited";
}

}  // namespace

void Supervisor::on_event(const Event& event) {
  const std::string& type = event.type;
  // On a shared store another host's agents are its supervisor's: its events about them, and
  // about their messages, are not this one's to act on, nor are the agents a reaper declared
  // lost with their host (it gave their tasks back itself). The board is everyone's.
  bool foreign = !bus_.local(event) ||
                 (type == "agent.lost" && !string_field(event_data(event), "host").empty());
  if (foreign && !type.starts_with("task.") && type != "report.checked" &&
      type != "headless.finished") {
    return;
  }
  if (type == "task.created" || type == "report.checked" || type == "agent.created") {
    schedule_dispatch();
    if (type == "agent.created") request_tick();
  } else if (type == "agent.context") {
    request_tick();  // a fuller context may make a reset due
  } else if (type == "task.updated") {
    on_task_updated(event_data(event));
    schedule_dispatch();
    request_tick();  // a finished task may make a reset due
  } else if (type == "agent.state") {
    on_agent_state(event);
  } else if (type == "headless.finished") {
    on_headless_finished(event_data(event));
  } else if (type == "agent.exited" || type == "agent.lost") {
    on_run_ended(event);
  } else if (type == "agent.removed") {
    std::string name = string_field(event_data(event), "name");
    release_tasks(event.subject, name, "was removed");
    bounce_queued(name, fmt::format("agent {} was removed", name));
    watches_.erase(event.subject);
  } else if (type == "message.failed" || type == "message.delivered" || type == "message.created") {
    on_message(event);
  }
}

void Supervisor::on_agent_state(const Event& event) {
  Json data = event_data(event);
  // The state the event moved to (the registry's view may have moved on since).
  AgentState state = parse_agent_state(data.value("state", "")).value_or(AgentState::kLost);
  Watch& w = watches_[event.subject];
  if (state == AgentState::kStopping) w.stopping = true;
  if (state == AgentState::kRunning) w.stopping = false;
  if (state == AgentState::kRateLimited || state == AgentState::kErrored) {
    auto agent = agents_.view(event.subject);
    std::string name = agent ? agent->name() : string_field(data, "name");
    if (state == AgentState::kRateLimited && agent) {
      std::optional<int64_t> reset;
      if (data.contains("reset_at_ms") && data["reset_at_ms"].is_number_integer()) {
        reset = data["reset_at_ms"].get<int64_t>();
      }
      // The agent's own word (its screen or its hooks) holds it alone until another agent
      // of the provider says the same.
      limit_provider(agent->profile(), reset, name, string_field(data, "detail"), true);
    } else if (state == AgentState::kErrored) {
      count_error(event.subject, name, string_field(data, "detail"));
    }
  }
  if (state == AgentState::kWorking) w.failing_reported = false;  // it got going again
  request_tick();
  if (state == AgentState::kIdle) {
    // The heartbeat interval counts from when the agent became idle.
    w.last_heartbeat = std::max(w.last_heartbeat, clock_.steady_now());
    if (w.resetting) {
      w.resetting = false;
      if (auto agent = agents_.view(event.subject)) deliver_reset(*agent);
    }
    schedule_dispatch();
  }
}

void Supervisor::on_headless_finished(const Json& data) {
  const Json& run = data.contains("run") ? data["run"] : Json::object();
  const Json& outcome = data.contains("outcome") ? data["outcome"] : Json::object();
  std::string reason = string_field(run, "reason");
  std::string agent = string_field(run, "agent");
  if (reason == "rate_limited") {
    std::optional<int64_t> reset;
    if (outcome.contains("reset_at_ms") && outcome["reset_at_ms"].is_number_integer()) {
      reset = outcome["reset_at_ms"].get<int64_t>();
    }
    limit_provider(string_field(run, "profile"), reset, agent, string_field(run, "text"), false);
  } else if (reason == "is_error" || reason == "turn.failed" || reason == "api_error") {
    if (auto a = agents_.view(agent)) count_error(a->id(), agent, string_field(run, "text"));
  }
}

void Supervisor::on_run_ended(const Event& event) {
  const std::string& type = event.type;
  Json data = event_data(event);
  std::string name = string_field(data, "name");
  std::string then = string_field(data, "then");
  std::string how = ended_how(type, data);
  bool back =
      then == "restart" ||
      on_agent_exit(event.subject, name,
                    type == "agent.lost" ? "was lost: " + string_field(data, "reason") : "exited");
  if (back) {
    // Its task waits for the new run, which gets it again with a handoff.
    keep_for_restart(event.subject, name, how);
  } else {
    release_tasks(event.subject, name, how);
    // (A removed agent's mail bounces on agent.removed, which says so.)
    if (then != "remove") {
      bounce_queued(name, fmt::format("agent {} {} and is not coming back", name, how));
    }
  }
}

void Supervisor::on_message(const Event& event) {
  const std::string& type = event.type;
  Json data = event_data(event);
  std::string task_id = string_field(data, "task_id");
  bool task_message = string_field(data, "type") == "task" && !task_id.empty();
  if (type == "message.failed" && task_message) {
    // A [TASK] that could not be typed into its agent is a reminder spent: the idle-holding
    // watch acts now instead of after recover_step.
    auto agent = agents_.view(string_field(data, "to"));
    if (!agent) return;
    Watch& w = watches_[agent->id()];
    auto at = clock_.steady_now() - config_for(agent->name()).recover_step;
    if (!w.idle_holding || w.idle_holding->task != task_id) {
      w.idle_holding = Watch::IdleHolding{task_id, at, 0};
    } else {
      w.idle_holding->since = at;
    }
    request_tick();
  } else if (type == "message.delivered" && task_message) {
    // A task the agent took up before its [TASK] was marked delivered is acknowledged too.
    auto task = store_.tasks().find(task_id);
    if (task && task->status != TaskStatus::kPending && task->status != TaskStatus::kAssigned) {
      Mailbox mailbox(store_, bus_, clock_, directory_);
      (void)mailbox.mark_acked(event.subject);
    }
  } else if (type == "message.created" && string_field(data, "to") == kSupervisorMailbox &&
             string_field(data, "type") == "status" &&
             string_field(data, "subject").rfind("[SYS] Idle", 0) == 0) {
    // An agent answered its heartbeat.
    if (auto agent = agents_.view(string_field(data, "from"))) {
      watches_[agent->id()].heartbeat_pending = false;
    }
  }
}

}  // namespace bosun
