// AgentWatch: heartbeats, the stuck watch and resets, as rules over time.
#include "crew/agent_watch.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "util/duration.h"

namespace bosun {

namespace {

void heartbeat(const AgentView& agent, Watch& w, const SupervisorConfig& cfg, SteadyTime now,
               WatchDue& due) {
  // An idle agent is asked, and must answer within heartbeat_answer.
  if (w.heartbeat_pending && now >= w.heartbeat_deadline) {
    w.heartbeat_pending = false;
    w.missed += 1;
    due.heartbeat_missed = true;
  }
  bool idle = agent.state == AgentState::kIdle;
  // A heartbeat is typed: only into an agent CLI.
  if (cfg.heartbeat.count() > 0 && idle && agent.takes_tasks && !w.heartbeat_pending &&
      now - w.last_heartbeat >= cfg.heartbeat) {
    w.last_heartbeat = now;
    w.heartbeat_pending = true;
    w.heartbeat_deadline = now + cfg.heartbeat_answer;
    w.heartbeats += 1;
    due.send_heartbeat = true;
  }
}

void stuck(const AgentView& agent, Watch& w, const SupervisorConfig& cfg, const WatchInput& in,
           WatchDue& due, const std::function<void(SteadyTime)>& at) {
  // Working (or waiting for an answer) without output for stuck_after, or printing the same
  // line over and over.
  bool waiting = agent.state == AgentState::kWaitingInput;
  if (!(agent.state == AgentState::kWorking || waiting) || cfg.stuck_after.count() <= 0) return;
  if (in.last_output) {
    SteadyTime last = *in.last_output;
    auto quiet = std::chrono::duration_cast<Millis>(in.now - last);
    int64_t mark = std::chrono::duration_cast<Millis>(last.time_since_epoch()).count();
    if (w.stuck_since_output != mark) at(last + cfg.stuck_after);
    if (quiet >= cfg.stuck_after && w.stuck_since_output != mark) {
      w.stuck_since_output = mark;
      due.stuck_for = quiet;
    }
  }
  // While it works, the loop check comes back now and then.
  at(in.now + std::clamp(cfg.stuck_after / 4, Millis(50), Millis(5000)));
  due.check_loop = !waiting;
}

void reset(const AgentView& agent, const Watch& w, const SupervisorConfig& cfg,
           const WatchInput& in, WatchDue& due, const std::function<void(SteadyTime)>& at) {
  // After N finished tasks, H hours or a context this full, when idle.
  // A reset is a fresh run briefed by a typed [RESET]: only for an agent CLI.
  if (agent.state != AgentState::kIdle || w.resetting || !agent.takes_tasks) return;
  const AgentCounters& c = in.counters;
  bool by_count = cfg.reset_after_tasks > 0 && c.tasks_since_reset >= cfg.reset_after_tasks;
  int64_t since = c.last_reset_ms.value_or(0);
  if (since == 0) since = agent.record.created_at_ms;
  bool by_age = cfg.reset_after.count() > 0 && in.now_ms - since >= cfg.reset_after.count();
  bool by_context =
      cfg.reset_at_context > 0 && agent.context && agent.context->percent >= cfg.reset_at_context;
  if (by_count) {
    due.reset = fmt::format("{} tasks finished since the last reset", c.tasks_since_reset);
  } else if (by_age) {
    due.reset = fmt::format("{} since the last reset", format_duration(cfg.reset_after));
  } else if (by_context) {
    due.reset = fmt::format("its context is {}% full (reset_at_context {}%)",
                            agent.context->percent, cfg.reset_at_context);
  } else if (cfg.reset_after.count() > 0) {
    at(in.now + Millis(since + cfg.reset_after.count() - in.now_ms));
  }
}

}  // namespace

WatchDue watch_agent(const AgentView& agent, Watch& w, const SupervisorConfig& cfg,
                     const WatchInput& in) {
  WatchDue due;
  auto at = [&due](SteadyTime t) {
    if (!due.next || t < *due.next) due.next = t;
  };
  if (!agent.live()) return due;
  w.gave_up = false;
  heartbeat(agent, w, cfg, in.now, due);
  if (w.heartbeat_pending) at(w.heartbeat_deadline);
  if (cfg.heartbeat.count() > 0 && agent.state == AgentState::kIdle && agent.takes_tasks &&
      !w.heartbeat_pending) {
    at(w.last_heartbeat + cfg.heartbeat);
  }
  stuck(agent, w, cfg, in, due, at);
  reset(agent, w, cfg, in, due, at);
  return due;
}

}  // namespace bosun
