// Supervisor: keeps the crew working — dispatches ready tasks to idle agents, sends
// heartbeats, resets agents' context on schedule, reports stuck agents and restarts permanent
// ones that exit. Event-driven; one timer armed for the earliest deadline.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/agent_view.h"
#include "crew/agent_watch.h"
#include "crew/mailbox.h"
#include "crew/refusal.h"
#include "crew/supervisor_config.h"
#include "store/event_bus.h"
#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

class AgentRegistry;
class DeliveryEngine;
class StoreRunner;

class Supervisor final : public EventSubscriber {
 public:
  Supervisor(boost::asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
             const Clock& clock, Log& log, AgentRegistry& agents,
             DeliveryEngine* delivery = nullptr);
  ~Supervisor() override;
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Loads the saved configuration, subscribes and looks for work.
  void start();

  // Runs before a dispatched task's [TASK] is sent: puts the agent's worktree on the task's
  // branch. A refusal (uncommitted changes) sends the task back to the board with the reason,
  // tells the agent, and keeps the agent out of dispatch until its state next changes.
  using BeforeTask = std::function<boost::asio::awaitable<Outcome<std::optional<std::string>>>(
      std::string agent_id, std::string task_id)>;
  void set_before_task(BeforeTask hook) { before_task_ = std::move(hook); }
  // Saves and applies a new configuration.
  boost::asio::awaitable<Status> configure(SupervisorConfig config);
  const SupervisorConfig& config() const { return config_; }
  // The configuration and what the supervisor watches per agent.
  Json status_json() const;

  void on_event(const Event& event) override;

 private:
  struct ProviderLimit {
    int64_t until_ms = 0;  // Unix ms
    std::string agent;     // whose limit said so
    std::string text;      // the CLI's words
    bool reset_known = false;
    bool agent_only = false;  // one agent's word: it holds that agent alone
  };

  void apply_delivery();
  void schedule_dispatch();
  // One dispatch at a time: a dispatch asked for while one waits on the store runs after it.
  void start_dispatch();
  boost::asio::awaitable<void> dispatch(Lifetime::Guard life);
  void request_tick();
  void arm_tick_at(std::chrono::steady_clock::time_point when);
  void tick();
  // Acts on what is due for one agent; returns when it next needs a look.
  // The configuration with the agent's own overrides (from its role) applied.
  SupervisorConfig config_for(const std::string& agent_name);
  std::optional<std::chrono::steady_clock::time_point> check_agent(const AgentView& agent,
                                                                   Watch& w);
  void send(const std::string& to, const std::string& type, const std::string& subject,
            const std::optional<std::string>& task = std::nullopt, const std::string& body = "");
  // Sends `draft` through the runner, its recipient looked up on the loop first.
  void send(MessageDraft draft);
  // Writes a setting through the runner; a failure is logged.
  void put_setting(std::string key, Json value);
  void on_task_updated(const Json& data);
  // The reactions to one kind of event each (supervisor_events.cpp).
  void on_agent_state(const Event& event);
  void on_headless_finished(const Json& data);
  void on_run_ended(const Event& event);  // agent.exited, agent.lost
  void on_message(const Event& event);    // message.failed, .delivered, .created
  // A provider hit a usage limit: no dispatch to its agents until `reset_at_ms` (or
  // rate_limit_wait from now). Said by one agent (`agent_only`: its own screen or hooks,
  // which it could forge), it holds that agent alone until a second agent of the provider
  // says so too; a headless run bosun started limits the provider at once.
  void limit_provider(const std::string& provider, std::optional<int64_t> reset_at_ms,
                      const std::string& agent, const std::string& text, bool agent_only);
  // Records one limit under `key` (the provider, or provider@agent) and publishes it.
  void record_limit(const std::string& key, const std::string& provider,
                    const ProviderLimit& limit);
  // Lifts limits whose time has come; returns when the next one ends.
  std::optional<std::chrono::steady_clock::time_point> lift_limits();
  bool provider_limited(const std::string& provider) const;
  // An API error of an agent (its state, or a headless run): repeated ones raise
  // agent.failing once, instead of anything being restarted.
  void count_error(const std::string& id, const std::string& name, const std::string& detail);
  // A permanent agent's run ended without being asked to: schedules its restart (true), or
  // gives up on it (false) — as it does for one a person stopped.
  bool on_agent_exit(const std::string& id, const std::string& name, const std::string& why);
  // A run that is coming back (restarted): the task it held stays its own and is sent again,
  // with a handoff saying how the last run ended, once the new one is idle.
  void keep_for_restart(const std::string& id, const std::string& name, const std::string& how);
  // Reminds an idle agent of the task it holds, then takes it back (see watch_idle_holder in
  // recovery_ladder.cpp); returns when it next needs a look.
  std::optional<std::chrono::steady_clock::time_point> watch_idle_holder(
      const AgentView& agent, Watch& w, const SupervisorConfig& cfg);
  // The task an agent holds (assigned or in progress), if any.
  std::optional<Task> held_task(const std::string& agent_id);
  // A recovery step in the task's history (TaskBoard::note_recovery), and the log.
  void note_recovery(const std::string& task_id, const std::string& agent_name,
                     const std::string& step, const std::string& why);
  // Takes `task` back from `agent` through the runner — blocked, and the person told "Task …
  // is blocked: <story> N times", once it was taken back recover_reassigns times — then looks
  // for work for it and, with `restart`, gives the agent a fresh run; a take-back that failed
  // is logged and does neither.
  void take_back(const AgentView& agent, const Task& task, const SupervisorConfig& cfg,
                 const std::string& why, const std::string& story, bool restart);
  // Mail still queued for an agent that is gone bounces back to its senders with `why`.
  void bounce_queued(const std::string& name, const std::string& why);
  // The tasks an agent held go back to the board when its run ends for good (not a restart)
  // or it is removed; `how` says why, in each task's history.
  void release_tasks(const std::string& id, const std::string& name, const std::string& how);
  // Sends a task a person sent back to its agent again, after putting its worktree back on the
  // task's branch.
  void hand_back(const AgentView& agent, const Task& task);
  // Sends task `task` (which `agent` holds) to it again as a [TASK] with `subject`, and `body`
  // as the message, after putting its worktree back on the task's branch.
  void send_again(const AgentView& agent, const Task& task, const std::string& subject,
                  const std::string& body);
  // The next step of the recovery ladder for the task a stuck agent holds (see
  // SupervisorConfig::recover_step), when its time has come.
  void recover(const AgentView& agent, Watch& w, const SupervisorConfig& cfg,
               const std::string& why);
  // A dispatched task whose branch could not start goes back to the board (see BeforeTask).
  boost::asio::awaitable<void> not_started(Lifetime::Guard life, std::string agent_id,
                                           std::string name, std::string task_id, std::string why);
  boost::asio::awaitable<void> restart_later(std::string id, Millis delay);
  void reset_agent(const AgentView& agent, Watch& w, const std::string& why);
  void deliver_reset(const AgentView& agent);
  std::string waiting_summary(const AgentView& agent);
  std::optional<std::string> repeated_line(const AgentView& agent);

  boost::asio::io_context& io_;
  Store& store_;
  EventBus& bus_;
  StoreRunner& runner_;  // where the dispatch's claims are written
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  DeliveryEngine* delivery_;  // gets the delivery settings of the configuration
  RegistryDirectory directory_;
  SupervisorConfig config_;
  std::unique_ptr<Timer> timer_;          // on the clock: tests drive it with a ManualClock
  TimerSet restart_timers_;               // restart_later's waits
  std::map<std::string, Watch> watches_;  // by agent id
  // By provider ("claude": all its agents) or provider@agent ("claude@kai": that agent).
  std::map<std::string, ProviderLimit> limits_;
  bool dispatch_posted_ = false;
  bool dispatching_ = false;     // a dispatch is under way (it may wait on the store)
  bool dispatch_again_ = false;  // and another was asked for meanwhile
  BeforeTask before_task_;
  // Agents whose worktree could not start a task (uncommitted changes) and when: dispatch
  // passes them by for kUncleanRetry, then tries again.
  std::map<std::string, std::chrono::steady_clock::time_point> unclean_;
  std::set<std::string> handing_back_;  // tasks whose [TASK] is being prepared (branch switch)
  Lifetime lifetime_;  // timers, posts and coroutines check it before touching the supervisor
};

}  // namespace bosun
