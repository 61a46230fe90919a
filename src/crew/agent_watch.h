// AgentWatch: what the supervisor keeps per agent and what is due for it — a heartbeat and its
// answer deadline, the stuck watch (no output for stuck_after), the loop check and a context
// reset by task count or age — decided from the agent's view, the configuration and the time
// alone, so each rule is tested on a manual clock in milliseconds. The supervisor carries the
// decisions out (events, mail, restarts).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "agent/agent_view.h"
#include "crew/supervisor_config.h"
#include "store/agents.h"

namespace bosun {

using SteadyTime = std::chrono::steady_clock::time_point;

// One agent as the supervisor watches it.
struct Watch {
  SteadyTime seen{};            // when first watched
  SteadyTime last_heartbeat{};  // sent, or first seen idle
  bool heartbeat_pending = false;
  SteadyTime heartbeat_deadline{};
  int64_t heartbeats = 0;
  int64_t missed = 0;
  std::optional<int64_t> stuck_since_output;  // the last output's mark when reported stuck
  std::string loop_reported;                  // the repeated line last reported
  bool stopping = false;  // a stop or restart was asked for: an exit is not a crash
  std::deque<SteadyTime> restarts;
  bool restart_scheduled = false;
  bool gave_up = false;
  bool resetting = false;         // restarted for a context reset; [RESET] follows when idle
  std::deque<SteadyTime> errors;  // API errors, recent ones
  bool failing_reported = false;
  // The recovery ladder for the task it holds while stuck: the next step (0 nudge, 1 interrupt,
  // 2 fresh restart, 3 take the task back) and not before when.
  struct Recovery {
    std::string task;
    int step = 0;
    SteadyTime next{};
  };
  std::optional<Recovery> recovery;
  // An idle agent holding a task: since when (counting again from each idle moment), and how
  // often it was reminded of it.
  struct IdleHolding {
    std::string task;
    SteadyTime since{};
    int reminders = 0;
  };
  std::optional<IdleHolding> idle_holding;
  // A task to send again, with `handoff` as its message, once the restarted run is idle.
  std::optional<std::string> redeliver;
  std::string handoff;
};

// What the watch needs to know besides the agent.
struct WatchInput {
  SteadyTime now{};
  int64_t now_ms = 0;                     // wall clock, Unix ms
  std::optional<SteadyTime> last_output;  // when the current run last printed
  AgentCounters counters;                 // tasks since the last reset, when it was
};

// What is due now, and when to look again.
struct WatchDue {
  bool heartbeat_missed = false;     // the pending heartbeat went unanswered
  bool send_heartbeat = false;       // ask the idle agent (a heartbeat is now pending)
  std::optional<Millis> stuck_for;   // report it stuck: no output for this long
  bool check_loop = false;           // look for a line printed again and again
  std::optional<std::string> reset;  // reset its context, for this reason
  std::optional<SteadyTime> next;    // the earliest time something may be due
};

// Advances `w` by what is due for `agent` at `in.now` under `config`; an agent whose program
// does not run has nothing due.
WatchDue watch_agent(const AgentView& agent, Watch& w, const SupervisorConfig& config,
                     const WatchInput& in);

}  // namespace bosun
