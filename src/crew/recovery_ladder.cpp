// Supervisor, the recovery ladder: what happens to the task an agent holds when the agent gets
// stuck (nudge, interrupt, fresh restart with a handoff, take back), sits idle with it (remind,
// take back), or goes away (kept for a restart, or back to the board with its queued mail
// bounced). The rest of the supervisor is in supervisor.cpp.
#include <fmt/format.h>

#include "agent/registry.h"
#include "crew/supervisor.h"
#include "crew/task_board.h"
#include "store/store_runner.h"
#include "util/duration.h"
#include "util/text.h"

namespace bosun {

namespace {

// Reminders an idle agent gets of the task it holds before the task is taken back.
constexpr int kIdleReminders = 2;

}  // namespace

std::optional<Task> Supervisor::held_task(const std::string& agent_id) {
  TaskQuery held;
  held.assignee = agent_id;
  held.statuses = {TaskStatus::kAssigned, TaskStatus::kInProgress};
  auto tasks = store_.tasks().list(held);
  if (!tasks || tasks->empty()) return std::nullopt;
  return tasks->front();
}

void Supervisor::note_recovery(const std::string& task_id, const std::string& agent_name,
                               const std::string& step, const std::string& why) {
  runner_.submit(
      [&clock = clock_, task_id, agent_name, step, why](Store& store, EventBus& bus) {
        return TaskBoard(store, bus, clock).note_recovery(task_id, agent_name, step, why);
      },
      [this, life = lifetime_.guard(), task_id](const Status& st) {
        if (!st && life.alive()) {
          log_.warn("supervisor.recovery_note_failed",
                    {{"task", task_id}, {"error", st.error().message}});
        }
      });
  log_.info("supervisor.recovery", {{"task", task_id}, {"agent", agent_name}, {"step", step}});
}

void Supervisor::take_back(const AgentView& agent, const Task& task, const SupervisorConfig& cfg,
                           const std::string& why, const std::string& story, bool restart) {
  // What it returns: how many times the task was taken back once it is blocked, else nothing.
  auto work = [&clock = clock_, id = task.id, agent_id = agent.id(), why,
               reassigns = cfg.recover_reassigns](Store& store,
                                                  EventBus& bus) -> Result<std::optional<int64_t>> {
    TaskBoard board(store, bus, clock);
    auto taken = board.times_taken_back(id);
    bool block = taken && *taken + 1 >= reassigns;
    TRY_OK(board.take_back(id, agent_id, why, block));
    return block ? std::optional<int64_t>(*taken + 1) : std::nullopt;
  };
  auto then = [this, life = lifetime_.guard(), id = task.id, agent_id = agent.id(),
               name = agent.name(), why, story,
               restart](const Result<std::optional<int64_t>>& blocked) {
    if (!life.alive()) return;
    if (!blocked) {
      log_.warn("supervisor.take_back_failed", {{"task", id}, {"error", blocked.error().message}});
      return;
    }
    if (*blocked) {
      send(kUserMailbox, "system",
           fmt::format("Task {} is blocked: {} {} times (last: {}); see bosun task show {}", id,
                       story, **blocked, why, id));
    }
    schedule_dispatch();
    // The agent itself gets a fresh run, free for other work.
    if (!restart) return;
    if (auto st = agents_.restart(agent_id, /*fresh=*/true); !st) {
      log_.warn("supervisor.restart_failed", {{"agent", name}, {"error", st.error().message}});
    }
  };
  runner_.submit(std::move(work), std::move(then));
}

// An idle agent that holds a task it is not working on (its report was refused, the [TASK]
// never reached it, it just stopped): after recover_step it is reminded — the task sent again,
// with what a finished report needs and the last failed check — twice; then the task is taken
// back. Returns when it next needs a look.
std::optional<SteadyTime> Supervisor::watch_idle_holder(const AgentView& agent, Watch& w,
                                                        const SupervisorConfig& cfg) {
  if (cfg.recover_step.count() <= 0) return std::nullopt;
  auto now = clock_.steady_now();
  if (agent.state != AgentState::kIdle || w.resetting || w.redeliver) {
    if (w.idle_holding) w.idle_holding->since = now;  // counts from its next idle moment
    return std::nullopt;
  }
  auto held = held_task(agent.id());
  if (!held) {
    w.idle_holding.reset();
    return std::nullopt;
  }
  const Task& task = *held;
  if (!w.idle_holding || w.idle_holding->task != task.id) {
    w.idle_holding = Watch::IdleHolding{task.id, now, 0};
  }
  Watch::IdleHolding& h = *w.idle_holding;
  // Its [TASK] still on the way (typed, awaiting the agent) is no sign of anything.
  MessageQuery sent;
  sent.to = agent.name();
  sent.task_id = task.id;
  sent.type = "task";
  sent.state = "queued";
  auto pending = store_.messages().list(sent);
  if (pending && !pending->empty()) h.since = now;
  if (handing_back_.contains(task.id) || now - h.since < cfg.recover_step) {
    return h.since + cfg.recover_step;
  }
  const std::string& name = agent.name();
  std::string why = fmt::format("agent {} is idle holding {} ({}) for {}", name, task.id,
                                to_string(task.status), format_duration(cfg.recover_step));
  if (h.reminders < kIdleReminders) {
    ++h.reminders;
    h.since = now;
    note_recovery(task.id, name, "reminded", why);
    std::string body = fmt::format(
        "{} is still yours ({}), and you are idle. Finish it and report it done with proof "
        "(what_was_done, how_verified, verification_result), or report it blocked with the "
        "reason: bosun task update {} --status blocked --reason \"…\".",
        task.id, to_string(task.status), task.id);
    if (auto reports = store_.tasks().reports(task.id); reports && !reports->empty()) {
      const TaskReport& last = reports->back();
      if (last.verified == "failed") {
        body += "\nThe check of your last report failed:\n" + shorten(last.check_log, 2000);
      }
    }
    send_again(agent, task, task.title + " (still yours: finish it or report it blocked)", body);
    return now + cfg.recover_step;
  }
  w.idle_holding.reset();
  take_back(agent, task, cfg, fmt::format("{}, after {} reminders", why, kIdleReminders),
            "it was taken back from its agents", /*restart=*/false);
  return std::nullopt;
}

void Supervisor::keep_for_restart(const std::string& id, const std::string& name,
                                  const std::string& how) {
  Watch& w = watches_[id];
  if (w.redeliver) return;  // the ladder restarted it: its handoff says more
  auto held = held_task(id);
  if (!held) return;
  const Task& task = *held;
  w.redeliver = task.id;
  w.handoff = fmt::format(
      "Your previous run {} while on {}; this is a new run.{} Check what is already done, then "
      "go on from there.",
      how, task.id,
      task.branch ? fmt::format(" Its branch {} keeps every commit it made.", *task.branch) : "");
  note_recovery(task.id, name, "kept for the restart", how);
}

void Supervisor::bounce_queued(const std::string& name, const std::string& why) {
  if (name.empty()) return;
  Mailbox mailbox(store_, bus_, clock_, directory_);
  auto n = mailbox.bounce_queued(name, why);
  if (!n) {
    log_.warn("supervisor.bounce_failed", {{"agent", name}, {"error", n.error().message}});
  } else if (*n > 0) {
    log_.info("supervisor.bounced", {{"agent", name}, {"messages", *n}});
  }
}

void Supervisor::release_tasks(const std::string& id, const std::string& name,
                               const std::string& how) {
  std::string reason = fmt::format("agent {} {}: back to the board", name, how);
  runner_.submit(
      [&clock = clock_, id, reason](Store& store, EventBus& bus) {
        return TaskBoard(store, bus, clock).release(id, kSupervisorMailbox, reason);
      },
      [this, life = lifetime_.guard(), name, how](const Result<std::vector<Task>>& released) {
        if (!life.alive()) return;
        if (!released) {
          log_.error("supervisor.release_failed",
                     {{"agent", name}, {"error", released.error().message}});
          return;
        }
        for (const auto& t : *released)
          log_.info("supervisor.released", {{"task", t.id}, {"agent", name}, {"reason", how}});
        if (!released->empty()) schedule_dispatch();
      });
}

// One step of the ladder for the task a stuck agent holds, when its time has come: nudge, then
// interrupt, then a fresh restart (the task follows with a handoff), then the task is taken back
// — blocked once it was taken back recover_reassigns times. Each step is in the task's history.
void Supervisor::recover(const AgentView& agent, Watch& w, const SupervisorConfig& cfg,
                         const std::string& why) {
  if (cfg.recover_step.count() <= 0 || w.resetting) return;
  const std::string& id = agent.id();
  const std::string& name = agent.name();
  auto held = held_task(id);
  if (!held) return;
  const Task& task = *held;
  auto now = clock_.steady_now();
  if (!w.recovery || w.recovery->task != task.id) w.recovery = Watch::Recovery{task.id, 0, now};
  Watch::Recovery& r = *w.recovery;
  if (now < r.next) return;
  int step = r.step++;
  r.next = now + cfg.recover_step;
  auto note = [&](const std::string& what) { note_recovery(task.id, name, what, why); };
  if (step == 0) {
    note("nudged");
    send(name, "mail", "You look stuck on " + task.id,
         fmt::format("bosun noticed: {}. If something blocks you, say so: bosun task update {} "
                     "--status blocked --reason \"…\". Otherwise try another approach.",
                     why, task.id));
  } else if (step == 1) {
    note("interrupted");
    if (auto st = agents_.interrupt(id); !st) {
      log_.warn("supervisor.interrupt_failed", {{"agent", name}, {"error", st.error().message}});
    }
    send(name, "mail", "You were interrupted on " + task.id,
         fmt::format("bosun interrupted you because {}. Look at what you were doing, then go on "
                     "another way, or report the task blocked with the reason.",
                     why));
  } else if (step == 2) {
    note("restarted fresh");
    std::string last;
    if (auto screen = agents_.screen(id)) {
      for (const auto& line : (*screen)["lines"]) {
        std::string text = line.get<std::string>();
        if (text.find_first_not_of(' ') != std::string::npos) last += text + "\n";
      }
    }
    w.redeliver = task.id;
    w.handoff = fmt::format(
        "Your previous run on {} was restarted fresh because {}.{} Its screen when it stopped:\n{}"
        "Continue the task from where the work stands; do not repeat what failed.",
        task.id, why,
        task.branch ? fmt::format(" Its branch {} keeps every commit it made.", *task.branch) : "",
        shorten(last, 4000));
    if (auto st = agents_.restart(id, /*fresh=*/true); !st) {
      log_.warn("supervisor.restart_failed", {{"agent", name}, {"error", st.error().message}});
    }
  } else {
    w.recovery.reset();
    take_back(agent, task, cfg, why, "its agents got stuck on it", /*restart=*/true);
  }
}

}  // namespace bosun
