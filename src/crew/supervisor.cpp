// Supervisor: dispatch on events; heartbeats, stuck watch, resets and restarts on one timer.
#include "crew/supervisor.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/registry.h"
#include "crew/agent_watch.h"
#include "crew/delivery.h"
#include "crew/dispatch_policy.h"
#include "crew/loop_detector.h"
#include "crew/task_board.h"
#include "store/store_runner.h"
#include "util/duration.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// How long an agent whose worktree had uncommitted changes is passed by before trying again.
constexpr std::chrono::seconds kUncleanRetry{60};
// Ready tasks read per dispatch, of the roles the free agents have.
constexpr int64_t kDispatchPage = 200;

constexpr const char* kConfigKey = "supervisor";

}  // namespace

Supervisor::Supervisor(asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
                       const Clock& clock, Log& log, AgentRegistry& agents,
                       DeliveryEngine* delivery)
    : io_(io),
      store_(store),
      bus_(bus),
      runner_(runner),
      clock_(clock),
      log_(log),
      agents_(agents),
      delivery_(delivery),
      directory_(agents),
      timer_(clock.timer(io)),
      restart_timers_(clock, io) {}

Supervisor::~Supervisor() {
  lifetime_.end();
  bus_.unsubscribe(this);
  timer_->cancel();
  restart_timers_.cancel_all();
}

void Supervisor::apply_delivery() {
  if (!delivery_) return;
  DeliveryOptions options = delivery_->options();
  options.verify_timeout = config_.delivery_timeout;
  options.max_attempts = static_cast<int>(config_.delivery_attempts);
  delivery_->set_options(options);
}

void Supervisor::start() {
  if (auto saved = store_.settings().get(kConfigKey); saved && *saved) {
    if (auto c = supervisor_config_from_json(**saved)) config_ = *c;
  }
  apply_delivery();
  // Usage limits a stopped daemon knew of still hold.
  if (auto saved = store_.settings().with_prefix(kProviderLimitPrefix)) {
    for (const auto& [provider, j] : *saved) {
      if (!j.is_object()) continue;  // lifted
      ProviderLimit limit{j.value("until_ms", int64_t{0}), j.value("agent", ""),
                          j.value("text", ""), j.value("reset_known", false),
                          j.value("scope", "provider") == "agent"};
      if (limit.until_ms > 0) limits_[provider] = limit;
    }
  }
  bus_.subscribe(this);
  schedule_dispatch();
  request_tick();
}

bool Supervisor::provider_limited(const std::string& provider) const {
  auto it = limits_.find(provider);
  return it != limits_.end() && it->second.until_ms > to_unix_ms(clock_.now());
}

void Supervisor::limit_provider(const std::string& provider, std::optional<int64_t> reset_at_ms,
                                const std::string& agent, const std::string& text,
                                bool agent_only) {
  if (provider.empty() || provider == "shell" || provider == "sim") return;
  int64_t now = to_unix_ms(clock_.now());
  ProviderLimit limit;
  limit.reset_known = reset_at_ms && *reset_at_ms > now;
  limit.until_ms = limit.reset_known ? *reset_at_ms : now + config_.rate_limit_wait.count();
  limit.agent = agent;
  limit.text = text;
  limit.agent_only = agent_only;
  if (agent_only) {
    // Corroborated when another agent of the provider is held by a limit of its own.
    bool corroborated = false;
    for (const auto& [key, l] : limits_) {
      if (l.agent_only && l.agent != agent && l.until_ms > now &&
          key.rfind(provider + "@", 0) == 0) {
        corroborated = true;
      }
    }
    record_limit(provider + "@" + agent, provider, limit);
    if (!corroborated) return;
    limit.agent_only = false;
  }
  record_limit(provider, provider, limit);
}

void Supervisor::record_limit(const std::string& key, const std::string& provider,
                              const ProviderLimit& limit) {
  // A later report of the same limit does not shorten it.
  if (auto it = limits_.find(key); it != limits_.end() && it->second.until_ms >= limit.until_ms) {
    return;
  }
  limits_[key] = limit;
  Json j{{"until_ms", limit.until_ms},
         {"agent", limit.agent},
         {"text", limit.text},
         {"reset_known", limit.reset_known},
         {"scope", limit.agent_only ? "agent" : "provider"}};
  put_setting(std::string(kProviderLimitPrefix) + key, j);
  j["provider"] = provider;
  j["until"] = format_time(from_unix_ms(limit.until_ms));
  log_.warn("supervisor.provider_limited", {{"provider", provider},
                                            {"scope", j["scope"]},
                                            {"agent", limit.agent},
                                            {"until", j["until"]}});
  runner_.publish("provider.rate_limited", provider, j);
  request_tick();
}

std::optional<std::chrono::steady_clock::time_point> Supervisor::lift_limits() {
  int64_t now = to_unix_ms(clock_.now());
  std::optional<std::chrono::steady_clock::time_point> next;
  for (auto it = limits_.begin(); it != limits_.end();) {
    if (it->second.until_ms > now) {
      auto at = clock_.steady_now() + Millis(it->second.until_ms - now);
      if (!next || at < *next) next = at;
      ++it;
      continue;
    }
    std::string key = it->first;
    std::string only = it->second.agent_only ? it->second.agent : "";
    std::string provider = key.substr(0, key.find('@'));
    it = limits_.erase(it);
    put_setting(std::string(kProviderLimitPrefix) + key, Json());
    log_.info("supervisor.provider_resumed", {{"provider", provider}, {"agent", only}});
    runner_.publish("provider.resumed", provider,
                    Json{{"provider", provider},
                         {"scope", only.empty() ? "provider" : "agent"},
                         {"agent", only}});
    // Agents the limit stopped mid-task are told to go on (typed even though they are not
    // idle: a limited CLI waits at its composer).
    for (const auto& a : agents_.views()) {
      if (a.profile() != provider || a.state != AgentState::kRateLimited) continue;
      if (!only.empty() && a.name() != only) continue;
      MessageDraft draft;
      draft.from = kSupervisorMailbox;
      draft.to = a.name();
      draft.type = "system";
      draft.subject = "[RESUME] The usage limit has lifted: continue where you stopped.";
      draft.urgent = true;
      send(std::move(draft));
    }
    schedule_dispatch();
  }
  return next;
}

void Supervisor::count_error(const std::string& id, const std::string& name,
                             const std::string& detail) {
  Watch& w = watches_[id];
  auto now = clock_.steady_now();
  SupervisorConfig cfg = config_for(name);
  w.errors.push_back(now);
  while (!w.errors.empty() && now - w.errors.front() > cfg.restart_window) {
    w.errors.pop_front();
  }
  if (static_cast<int64_t>(w.errors.size()) < cfg.error_limit || w.failing_reported) return;
  w.failing_reported = true;
  std::string message =
      fmt::format("agent {} hit {} API errors within {}; it needs a person (last: {})", name,
                  w.errors.size(), format_duration(cfg.restart_window), detail);
  log_.warn("supervisor.agent_failing", {{"agent", name}, {"errors", w.errors.size()}});
  // The person's mail first: whoever sees agent.failing finds it in the inbox.
  send(kUserMailbox, "system", message);
  runner_.publish("agent.failing", id,
                  Json{{"name", name},
                       {"errors", w.errors.size()},
                       {"window", format_duration(cfg.restart_window)},
                       {"detail", detail}});
}

asio::awaitable<Status> Supervisor::configure(SupervisorConfig config) {
  auto life = lifetime_.guard();
  auto save = [value = to_json(config)](Store& store, EventBus&) {
    return store.settings().set(kConfigKey, value);
  };
  CO_TRY_OK(co_await runner_.run(save));
  if (!life.alive()) co_return Status{};
  config_ = config;
  apply_delivery();
  runner_.publish("supervisor.configured", "", to_json(config));
  request_tick();
  schedule_dispatch();
  co_return Status{};
}

void Supervisor::put_setting(std::string key, Json value) {
  auto save = [key, value = std::move(value)](Store& store, EventBus&) {
    return store.settings().set(key, value);
  };
  runner_.submit(std::move(save), [this, life = lifetime_.guard(), key](const Status& st) {
    if (!st && life.alive()) {
      log_.warn("supervisor.setting_failed", {{"key", key}, {"error", st.error().message}});
    }
  });
}

Json Supervisor::status_json() const {
  Json agents = Json::array();
  auto now = clock_.steady_now();
  for (const auto& [id, w] : watches_) {
    Json a{{"id", id},
           {"heartbeats", w.heartbeats},
           {"heartbeats_missed", w.missed},
           {"heartbeat_pending", w.heartbeat_pending},
           {"restarts_recent", w.restarts.size()},
           {"gave_up", w.gave_up},
           {"resetting", w.resetting}};
    if (w.heartbeat_pending) {
      a["heartbeat_due_in_ms"] =
          std::chrono::duration_cast<Millis>(w.heartbeat_deadline - now).count();
    }
    agents.push_back(std::move(a));
  }
  Json limits = Json::array();
  for (const auto& [key, l] : limits_) {
    limits.push_back(Json{{"provider", key.substr(0, key.find('@'))},
                          {"scope", l.agent_only ? "agent" : "provider"},
                          {"until", format_time(from_unix_ms(l.until_ms))},
                          {"agent", l.agent},
                          {"text", l.text},
                          {"reset_known", l.reset_known}});
  }
  return Json{{"config", to_json(config_)},
              {"agents", std::move(agents)},
              {"provider_limits", std::move(limits)}};
}

// The timer is armed for the earliest deadline any agent has (a heartbeat due or unanswered,
// a working agent's stuck deadline or next loop check, a reset by age); with none, it sleeps
// until an event asks for a look (request_tick). An idle crew costs no wake-ups.
void Supervisor::request_tick() {
  arm_tick_at(clock_.steady_now());
}

void Supervisor::arm_tick_at(std::chrono::steady_clock::time_point when) {
  if (lifetime_.ended()) return;
  timer_->wait_until(when, [this, life = lifetime_.guard()](bool cancelled) {
    if (cancelled || !life.alive()) return;
    tick();
  });  // replaces (cancels) whatever was armed
}

void Supervisor::schedule_dispatch() {
  if (dispatch_posted_ || lifetime_.ended()) return;
  dispatch_posted_ = true;
  asio::post(io_, [this, life = lifetime_.guard()] {
    if (!life.alive()) return;
    dispatch_posted_ = false;
    start_dispatch();
  });
}

void Supervisor::start_dispatch() {
  if (dispatching_) {
    dispatch_again_ = true;
    return;
  }
  dispatching_ = true;
  // Inline store work never suspends: the whole dispatch runs here, as a plain call would.
  asio::co_spawn(
      io_,
      [this, life = lifetime_.guard()]() -> asio::awaitable<void> {
        do {
          dispatch_again_ = false;
          co_await dispatch(life);
          if (!life.alive()) co_return;
        } while (dispatch_again_);
        dispatching_ = false;
      },
      asio::detached);
}

// Ready tasks, highest priority first, each to a free agent the dispatch policy lets take it.
asio::awaitable<void> Supervisor::dispatch(Lifetime::Guard life) {
  // Free agents first: with none, the board is not even read.
  std::vector<AgentView> free;
  for (auto& a : agents_.views()) {
    if (a.state != AgentState::kIdle) continue;
    // Resumes when the limit lifts: its provider's, or one its own run reported.
    if (provider_limited(a.profile()) || provider_limited(a.profile() + "@" + a.name())) continue;
    auto wi = watches_.find(a.id());
    if (wi != watches_.end() && wi->second.resetting) continue;
    if (auto u = unclean_.find(a.id()); u != unclean_.end()) {
      if (clock_.steady_now() - u->second < kUncleanRetry) continue;
      unclean_.erase(u);
    }
    // A task its run was restarted fresh for goes back to it first, with the handoff.
    if (wi != watches_.end() && wi->second.redeliver) {
      Watch& w = wi->second;
      auto task = store_.tasks().find(*w.redeliver);
      w.redeliver.reset();
      if (task && task->assignee == a.id() &&
          (task->status == TaskStatus::kAssigned || task->status == TaskStatus::kInProgress)) {
        send_again(a, *task, task->title + " (again, in a new run: see the handoff)", w.handoff);
        continue;
      }
    }
    // A task a person sent back goes to it first, on its own branch again.
    if (auto back = store_.tasks().returned_to(a.id()); back && *back) {
      auto busy = store_.tasks().busy_with_other(a.id(), (*back)->id);
      if (busy && !*busy) hand_back(a, **back);
      continue;
    }
    if (!is_crew_member(a)) continue;  // takes no task: not worth a look at the board
    auto held = store_.tasks().holds_task(a.id());
    if (!held || *held) continue;
    free.push_back(std::move(a));
  }
  if (free.empty()) co_return;
  // Only tasks one of them may take are read: many ready tasks for a role no free agent has
  // would otherwise fill the page ahead of a free agent's task.
  std::vector<std::string> roles;
  for (const auto& a : free) {
    if (a.role().empty()) {  // takes any task
      roles.clear();
      break;
    }
    if (std::find(roles.begin(), roles.end(), a.role()) == roles.end()) roles.push_back(a.role());
  }
  auto ready = store_.tasks().ready(roles, kDispatchPage);
  if (!ready || ready->empty()) co_return;
  TaskBoard board(store_, bus_, clock_);
  for (const auto& task : *ready) {
    if (free.empty()) break;
    // Never back to an agent it was taken from.
    auto pick = std::find_if(free.begin(), free.end(), [&](const AgentView& a) {
      return may_take(a, task) && !board.fenced(task, a.id());
    });
    if (pick == free.end()) continue;
    AgentView agent = std::move(*pick);
    free.erase(pick);
    auto claim = [&clock = clock_, id = task.id, agent_id = agent.id()](Store& store,
                                                                        EventBus& bus) {
      return TaskBoard(store, bus, clock).claim(id, agent_id, kSupervisorMailbox, "dispatched");
    };
    auto claimed = co_await runner_.run(claim);
    if (!life.alive()) co_return;
    if (!claimed) {
      if (claimed.error().kind == ErrorKind::kConflict) {
        // Taken first by someone else (another host's supervisor, on a shared store): the
        // agent is still free for the next one.
        log_.info("supervisor.claim_lost", {{"task", task.id}, {"error", claimed.error().message}});
        free.push_back(std::move(agent));
        continue;
      }
      log_.warn("supervisor.claim_failed", {{"task", task.id}, {"error", claimed.error().message}});
      continue;
    }
    log_.info("supervisor.dispatched", {{"task", task.id}, {"agent", agent.name()}});
    if (!before_task_) {
      send(agent.name(), "task", task.title, task.id);
      continue;
    }
    handing_back_.insert(task.id);  // on its way: its [TASK] is not even written yet
    asio::co_spawn(
        io_,
        [this, life = lifetime_.guard(), agent_id = agent.id(), name = agent.name(),
         title = task.title, id = task.id]() -> asio::awaitable<void> {
          auto started = co_await before_task_(agent_id, id);
          if (!life.alive()) co_return;
          handing_back_.erase(id);
          if (started) {
            send(name, "task", title, id);
          } else {
            co_await not_started(life, agent_id, name, id, started.error().error.message);
          }
        },
        asio::detached);
  }
}

void Supervisor::hand_back(const AgentView& agent, const Task& task) {
  std::string reason;
  if (auto history = store_.tasks().history(task.id)) {
    for (const auto& h : *history) {
      if (h.field == "status" && h.from == "review") reason = h.reason;
    }
  }
  send_again(agent, task, task.title + " (sent back after review: see its comments)", reason);
}

void Supervisor::send_again(const AgentView& agent, const Task& task, const std::string& subject,
                            const std::string& reason) {
  if (!handing_back_.insert(task.id).second) return;  // already on its way
  log_.info("supervisor.hand_back", {{"task", task.id}, {"agent", agent.name()}});
  asio::co_spawn(
      io_,
      [this, life = lifetime_.guard(), agent_id = agent.id(), name = agent.name(), subject, reason,
       id = task.id]() -> asio::awaitable<void> {
        Outcome<std::optional<std::string>> started = std::optional<std::string>();
        if (before_task_) {
          started = co_await before_task_(agent_id, id);
        }
        if (!life.alive()) co_return;
        handing_back_.erase(id);
        if (started) {
          send(name, "task", subject, id, reason);
        } else {
          // It stays the agent's; the agent is told and passed by until it may be clean.
          unclean_[agent_id] = clock_.steady_now();
          arm_tick_at(clock_.steady_now() + kUncleanRetry);
          send(name, "system", "Your returned task waits: " + started.error().error.message);
        }
      },
      asio::detached);
}

asio::awaitable<void> Supervisor::not_started(Lifetime::Guard life, std::string agent_id,
                                              std::string name, std::string task_id,
                                              std::string why) {
  unclean_[agent_id] = clock_.steady_now();
  arm_tick_at(clock_.steady_now() + kUncleanRetry);
  TaskChange change;
  change.status = TaskStatus::kPending;
  change.assignee = std::optional<std::string>();
  change.reason = fmt::format("not started: {}", why);
  auto unassign = [&clock = clock_, &task_id, &change](Store& store, EventBus& bus) {
    return TaskBoard(store, bus, clock).update(task_id, change, kSupervisorMailbox);
  };
  auto back = co_await runner_.run(unassign);
  if (!life.alive()) co_return;
  if (!back) {
    log_.warn("supervisor.unassign_failed", {{"task", task_id}, {"error", back.error().message}});
  }
  log_.info("supervisor.not_started", {{"task", task_id}, {"agent", name}, {"why", why}});
  send(name, "system", "Your next task waits: " + why);
}

void Supervisor::send(const std::string& to, const std::string& type, const std::string& subject,
                      const std::optional<std::string>& task, const std::string& body) {
  MessageDraft draft;
  draft.from = kSupervisorMailbox;
  draft.to = to;
  draft.type = type;
  draft.subject = one_line(subject);
  draft.body = body;
  draft.task_id = task;
  send(std::move(draft));
}

void Supervisor::send(MessageDraft draft) {
  std::string to = draft.to;
  // The recipient looked up here, on the loop: the mailbox may run on the store's worker.
  KnownAgents known(directory_, {to});
  runner_.submit(
      [&clock = clock_, known = std::move(known), draft = std::move(draft)](Store& store,
                                                                            EventBus& bus) mutable {
        return Mailbox(store, bus, clock, known).send(std::move(draft));
      },
      [this, life = lifetime_.guard(), to](const Result<Message>& sent) {
        if (!sent && life.alive()) {
          log_.warn("supervisor.send_failed", {{"to", to}, {"error", sent.error().message}});
        }
      });
}

void Supervisor::on_task_updated(const Json& data) {
  const Json& task = data.contains("task") ? data["task"] : Json();
  std::string assignee = string_field(task, "assignee");
  if (assignee.empty() || !data.contains("changes")) return;
  if (!agents_.view(assignee)) return;  // another host's agent: its own supervisor counts
  for (const auto& change : data["changes"]) {
    if (string_field(change, "field") != "status") continue;
    std::string to = string_field(change, "to");
    if (to == "in_progress") {
      // The agent acknowledged: its [TASK] message is acked.
      MessageQuery q;
      q.task_id = string_field(task, "id");
      q.type = "task";
      q.state = "delivered";
      auto ack = [&clock = clock_, q](Store& store, EventBus& bus) -> Status {
        KnownAgents nobody;  // acking looks nobody up
        Mailbox mailbox(store, bus, clock, nobody);
        TRY(messages, store.messages().list(q));
        for (const auto& m : *messages)
          (void)mailbox.mark_acked(m.id);
        return {};
      };
      runner_.submit(std::move(ack), [](const Status&) {});
    } else if (to == "done") {
      auto count = [assignee](Store& store, EventBus&) -> Status {
        TRY(counters, store.agents().counters(assignee));
        counters->tasks_since_reset += 1;
        return store.agents().set_counters(assignee, *counters);
      };
      runner_.submit(std::move(count), [](const Status&) {});
    }
  }
}

bool Supervisor::on_agent_exit(const std::string& id, const std::string& name,
                               const std::string& why) {
  auto agent = agents_.view(id);
  if (!agent || !agent->record.permanent) return false;
  Watch& w = watches_[id];
  if (w.stopping) return false;          // asked for
  if (w.restart_scheduled) return true;  // already handled
  auto now = clock_.steady_now();
  while (!w.restarts.empty() && now - w.restarts.front() > config_.restart_window) {
    w.restarts.pop_front();
  }
  if (static_cast<int64_t>(w.restarts.size()) >= config_.restart_limit) {
    if (!w.gave_up) {
      w.gave_up = true;
      std::string text_why =
          fmt::format("agent {} {} {} times within {}; not restarting it again", name, why,
                      w.restarts.size() + 1, format_duration(config_.restart_window));
      runner_.publish("agent.restart_gave_up", id, Json{{"name", name}, {"reason", text_why}});
      send(kUserMailbox, "system", text_why);
    }
    return false;
  }
  Millis delay = config_.restart_backoff * (int64_t{1} << std::min<size_t>(w.restarts.size(), 10));
  w.restarts.push_back(now);
  w.restart_scheduled = true;
  runner_.publish("agent.restarting", id,
                  Json{{"name", name},
                       {"reason", why},
                       {"delay_ms", delay.count()},
                       {"attempt", w.restarts.size()}});
  asio::co_spawn(io_, restart_later(id, delay), asio::detached);
  return true;
}

asio::awaitable<void> Supervisor::restart_later(std::string id, Millis delay) {
  auto life = lifetime_.guard();
  auto timer = restart_timers_.make();
  co_await timer->wait(clock_.steady_now() + delay);
  if (!life.alive()) co_return;
  watches_[id].restart_scheduled = false;
  if (auto st = agents_.restart(id); !st) {
    log_.warn("supervisor.restart_failed", {{"agent", id}, {"error", st.error().message}});
  }
}

void Supervisor::tick() {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& agent : agents_.views()) {
    Watch& w = watches_[agent.id()];
    if (w.seen == std::chrono::steady_clock::time_point{}) {
      w.seen = clock_.steady_now();
      w.last_heartbeat = w.seen;
    }
    if (auto due = check_agent(agent, w); due && (!next || *due < *next)) next = due;
  }
  if (auto due = lift_limits(); due && (!next || *due < *next)) next = due;
  if (!unclean_.empty()) schedule_dispatch();  // a worktree may be clean by now
  if (next) arm_tick_at(*next);
}

std::string Supervisor::waiting_summary(const AgentView& agent) {
  int64_t unread = store_.messages().count_unread(agent.name()).value_or(0);
  const std::string& role = agent.role();
  std::vector<std::string> roles;
  if (!role.empty()) roles.push_back(role);
  auto ready = store_.tasks().ready(roles, 100);
  size_t tasks = ready ? ready->size() : 0;
  return fmt::format(
      "{} unread message(s), {} ready task(s){} — answer: bosun mail status "
      "\"[SYS] Idle — awaiting task.\"",
      unread, tasks, role.empty() ? "" : " for role " + role);
}

SupervisorConfig Supervisor::config_for(const std::string& agent_name) {
  auto overrides = store_.settings().get(std::string(kAgentConfigPrefix) + agent_name);
  if (!overrides || !*overrides || !(**overrides).is_object() || (**overrides).empty()) {
    return config_;
  }
  Json merged = to_json(config_);
  for (const auto& [key, value] : (**overrides).items())
    merged[key] = value;
  auto cfg = supervisor_config_from_json(merged);
  return cfg ? *cfg : config_;
}

std::optional<std::chrono::steady_clock::time_point> Supervisor::check_agent(const AgentView& agent,
                                                                             Watch& w) {
  if (!agent.live()) return std::nullopt;
  const std::string& id = agent.id();
  const std::string& name = agent.name();
  const SupervisorConfig cfg = config_for(name);
  WatchInput in;
  in.now = clock_.steady_now();
  in.now_ms = to_unix_ms(clock_.now());
  in.last_output = agents_.last_output(id);
  if (agent.state == AgentState::kIdle && !w.resetting) {
    auto counters = store_.agents().counters(id);
    if (!counters) return std::nullopt;
    in.counters = *counters;
  }
  WatchDue due = watch_agent(agent, w, cfg, in);
  if (due.heartbeat_missed) {
    runner_.publish("agent.heartbeat_missed", id,
                    Json{{"name", name}, {"waited_ms", cfg.heartbeat_answer.count()}});
  }
  if (due.send_heartbeat) send(name, "heartbeat", waiting_summary(agent));
  if (due.stuck_for) {
    std::string quiet = format_duration(*due.stuck_for);
    std::string why =
        agent.state == AgentState::kWaitingInput
            ? fmt::format("agent {} has been waiting for input ({}) for {}", name,
                          agent.reading.evidence, quiet)
            : fmt::format("agent {} has been working with no output for {}", name, quiet);
    auto screen = agents_.screen(id);
    runner_.publish("agent.stuck", id,
                    Json{{"name", name},
                         {"reason", "no_output"},
                         {"message", why},
                         {"screen", screen ? (*screen)["lines"] : Json::array()}});
    send(kSupervisorMailbox, "system", why);
    send(kUserMailbox, "system", why);
    // Waiting for a person stays a person's call; a silent working agent climbs the ladder.
    if (agent.state == AgentState::kWorking) recover(agent, w, cfg, why);
  } else if (w.recovery && agent.state == AgentState::kWorking && in.last_output &&
             in.now - *in.last_output >= cfg.stuck_after) {
    // Still silent since the last step: the next one, when its time comes.
    recover(
        agent, w, cfg,
        fmt::format("agent {} has been working with no output for {}", name,
                    format_duration(std::chrono::duration_cast<Millis>(in.now - *in.last_output))));
  }
  if (due.check_loop) {
    if (auto line = repeated_line(agent)) {
      std::string why = fmt::format("agent {} keeps printing the same line: {}", name, *line);
      if (*line != w.loop_reported) {
        w.loop_reported = *line;
        runner_.publish(
            "agent.stuck", id,
            Json{{"name", name}, {"reason", "loop"}, {"message", why}, {"line", *line}});
        send(kSupervisorMailbox, "system", why);
        send(kUserMailbox, "system", why);
      }
      recover(agent, w, cfg, why);
    }
  }
  if (due.reset) reset_agent(agent, w, *due.reset);
  std::optional<SteadyTime> next = due.next;
  if (w.recovery && (!next || w.recovery->next < *next)) next = w.recovery->next;
  if (auto idle = watch_idle_holder(agent, w, cfg); idle && (!next || *idle < *next)) next = idle;
  return next;
}

std::optional<std::string> Supervisor::repeated_line(const AgentView& agent) {
  auto info = agents_.terminal(agent.id());
  if (!info || info->log_path.empty()) return std::nullopt;
  uint64_t end = info->end_offset;
  std::string tail = RunLog::tail(info->log_path, end, kLoopWindow);
  if (tail.empty()) return std::nullopt;
  return bosun::repeated_line(tail, /*starts_mid_line=*/end > kLoopWindow);
}

void Supervisor::reset_agent(const AgentView& agent, Watch& w, const std::string& why) {
  const std::string& id = agent.id();
  const std::string& name = agent.name();
  // The snapshot: screen, current task, last messages — into the journal.
  Json snapshot{{"agent", name}, {"reason", why}};
  if (auto screen = agents_.screen(id)) snapshot["screen"] = (*screen)["lines"];
  if (auto held = held_task(id)) {
    snapshot["task"] = to_json(*held);
  }
  MessageQuery recent;
  recent.party = name;
  recent.limit = 1000;
  if (auto messages = store_.messages().list(recent)) {
    Json last = Json::array();
    size_t start = messages->size() > 10 ? messages->size() - 10 : 0;
    for (size_t i = start; i < messages->size(); ++i)
      last.push_back(to_json((*messages)[i], false));
    snapshot["messages"] = std::move(last);
  }
  snapshot["cwd"] = agent.record.cwd;
  int64_t now_ms = to_unix_ms(clock_.now());
  JournalEntry entry{new_id("j_"), now_ms, "snapshot",
                     fmt::format("Context reset of {}: {}\n{}", name, why, snapshot.dump(2)),
                     kSupervisorMailbox};
  // The snapshot and the counters first, then the fresh run; a new native session (resuming
  // the old one would bring the old context back). Resetting from now on: no second reset
  // while the first is on its way.
  w.resetting = true;
  auto record = [entry, id, now_ms](Store& store, EventBus&) -> Result<int64_t> {
    TRY_OK(store.journal().insert(entry));
    auto counters = store.agents().counters(id).value_or(AgentCounters{});
    counters.tasks_since_reset = 0;
    counters.reset_count += 1;
    counters.last_reset_ms = now_ms;
    TRY_OK(store.agents().set_counters(id, counters));
    return counters.reset_count;
  };
  auto restart = [this, life = lifetime_.guard(), id, name, why,
                  journal = entry.id](const Result<int64_t>& reset_count) {
    if (!life.alive()) return;
    if (!reset_count) {
      log_.warn("supervisor.reset_record_failed",
                {{"agent", name}, {"error", reset_count.error().message}});
    }
    if (auto st = agents_.restart(id, /*fresh=*/true); !st) {
      log_.warn("supervisor.reset_failed", {{"agent", name}, {"error", st.error().message}});
      if (auto it = watches_.find(id); it != watches_.end()) it->second.resetting = false;
      return;
    }
    runner_.publish("agent.reset", id,
                    Json{{"name", name},
                         {"reason", why},
                         {"journal", journal},
                         {"reset_count", reset_count.value_or(0)}});
  };
  runner_.submit(std::move(record), std::move(restart));
}

void Supervisor::deliver_reset(const AgentView& agent) {
  const std::string& id = agent.id();
  const std::string& name = agent.name();
  const std::string& role = agent.role();
  std::string task_part = "no task in progress";
  std::optional<std::string> task_id;
  if (auto held = held_task(id)) {
    task_id = held->id;
    task_part = fmt::format("your task in progress: {} {} (bosun task show {})", *task_id,
                            held->title, *task_id);
  }
  send(name, "reset",
       fmt::format("You are {}{}; your context was reset. {}.", name,
                   role.empty() ? "" : ", role " + role, task_part),
       task_id);
}

}  // namespace bosun
