// Delivery: paste the line, pause, press Enter, watch for the turn; retry, then fail.
#include "crew/delivery.h"

#include <type_traits>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/registry.h"
#include "crew/dispatch_policy.h"
#include "crew/mailbox.h"
#include "store/store_runner.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::milliseconds kVerifyStep{25};

// `change(mailbox)` on a Mailbox over the store the runner gives (the loop's, or its worker's),
// with `sender` — whom a bounce or a failure is told — looked up on the loop first. What the
// change returns is not needed: a message the agent read meanwhile refuses the change, which is
// fine. `change` captures by reference (see StoreRunner::run on temporaries).
template <typename F>
asio::awaitable<void> change_message(StoreRunner& runner, const Clock& clock,
                                     AgentDirectory& directory, std::string sender, F change) {
  static_assert(std::is_trivially_destructible_v<F>, "capture by reference");
  KnownAgents known(directory, {sender});
  auto work = [&clock, &known, &change](Store& store, EventBus& bus) {
    Mailbox mailbox(store, bus, clock, known);
    return change(mailbox);
  };
  (void)co_await runner.run(work);
}
constexpr size_t kComposerTail = 8;  // the line's last bytes (a message's random id)

}  // namespace

// One agent's delivery loop: whether it runs, and the timer it sleeps on (woken early when the
// agent's state changes).
struct DeliveryEngine::Queue {
  Queue(const Clock& clock, asio::io_context& io) : timer(clock.timer(io)) {}
  std::unique_ptr<Timer> timer;
  bool serving = false;
  bool again = false;  // kicked while serving: look at the queue once more
};

std::string delivery_line(const Message& m) {
  std::string subject = one_line(m.subject);
  std::string task = m.task_id.value_or("");
  if (m.type == "task") {
    return fmt::format("[TASK] {} {} — run: bosun task show {}", task, subject, task);
  }
  if (m.type == "heartbeat") return "[HEARTBEAT] " + subject;
  if (m.type == "reset") return "[RESET] " + subject;
  return fmt::format("[MAIL] {} from {}: {} — run: bosun mail read {}", m.id, m.sender, subject,
                     m.id);
}

bool composer_holds(const Json& screen, const std::string& line) {
  if (!screen.is_object() || !screen.contains("lines") || !screen["lines"].is_array() ||
      !screen.contains("cursor") || !screen["cursor"].is_object()) {
    return false;
  }
  const Json& lines = screen["lines"];
  int row = screen["cursor"].value("row", -1);
  if (row < 0 || static_cast<size_t>(row) >= lines.size() ||
      !lines[static_cast<size_t>(row)].is_string()) {
    return false;
  }
  // The cursor's row, without the spaces and the composer's border after the text.
  std::string text = lines[static_cast<size_t>(row)].get<std::string>();
  for (bool trimmed = true; trimmed;) {
    trimmed = false;
    while (!text.empty() && text.back() == ' ') {
      text.pop_back();
      trimmed = true;
    }
    for (std::string_view border : {"│", "┃", "║"}) {
      if (text.ends_with(border)) {
        text.resize(text.size() - border.size());
        trimmed = true;
      }
    }
  }
  if (line.size() < kComposerTail) return !text.empty() && text.ends_with(line);
  return text.ends_with(std::string_view(line).substr(line.size() - kComposerTail));
}

DeliveryEngine::DeliveryEngine(asio::io_context& io, Store& store, EventBus& bus,
                               StoreRunner& runner, const Clock& clock, Log& log,
                               AgentRegistry& agents, DeliveryOptions options)
    : io_(io),
      store_(store),
      bus_(bus),
      runner_(runner),
      clock_(clock),
      log_(log),
      agents_(agents),
      directory_(agents),
      options_(options) {}

DeliveryEngine::~DeliveryEngine() {
  lifetime_.end();
  bus_.unsubscribe(this);
  for (auto& [name, q] : queues_)
    q->timer->cancel();
}

void DeliveryEngine::start() {
  bus_.subscribe(this);
  auto recipients = store_.messages().recipients_with_queued();
  if (!recipients) {
    log_.error("delivery.scan_failed", {{"error", recipients.error().message}});
    return;
  }
  for (const auto& r : *recipients)
    kick(r);
}

void DeliveryEngine::on_event(const Event& event) {
  if (event.type == "message.created") {
    Json data = event_data(event);
    std::string to = data.value("to", "");
    if (data.value("state", "") == "queued" && !to.empty()) kick(to);
  } else if (event.type == "agent.state") {
    Json data = event_data(event);
    std::string name = data.value("name", "");
    auto it = queues_.find(name);
    if (it != queues_.end()) it->second->timer->cancel();  // wake a waiting attempt
    if (data.value("state", "") == "idle") kick(name);
  } else if (event.type == "agent.exited" || event.type == "agent.lost" ||
             event.type == "agent.removed") {
    Json data = event_data(event);
    std::string name = data.value("name", "");
    if (auto it = queues_.find(name); it != queues_.end()) it->second->timer->cancel();
  }
}

void DeliveryEngine::kick(const std::string& agent_name) {
  if (lifetime_.ended() || agent_name == kUserMailbox || agent_name == kSupervisorMailbox) return;
  auto& q = queues_[agent_name];
  if (!q) q = std::make_shared<Queue>(clock_, io_);
  if (q->serving) {
    q->again = true;
    return;
  }
  q->serving = true;
  asio::co_spawn(io_, serve(agent_name), asio::detached);
}

asio::awaitable<void> DeliveryEngine::wait(Queue& q, std::chrono::milliseconds d) {
  co_await q.timer->wait(clock_.steady_now() + d);
}

asio::awaitable<void> DeliveryEngine::serve(std::string agent) {
  auto life = lifetime_.guard();
  std::shared_ptr<Queue> q = queues_[agent];
  for (;;) {
    q->again = false;
    if (!life.alive()) break;
    auto next = store_.messages().next_queued(agent);
    if (!next || !*next) break;
    const Message m = **next;
    auto presence = directory_.find(agent);
    if (presence && !presence->host.empty()) break;  // another host's agent: its daemon delivers
    if (!presence || !presence->alive) {
      std::string why = presence ? presence->why_not : presence.error().message;
      std::string reason = fmt::format("agent {} {}", agent, why);
      co_await change_message(runner_, clock_, directory_, m.sender,
                              [&](Mailbox& mailbox) { return mailbox.bounce(m.id, reason); });
      continue;
    }
    auto shown = agents_.view(agent);
    // Nothing is typed into a program that is not an agent CLI (a shell would run the line):
    // its messages wait in its inbox for `bosun mail inbox`.
    if (!shown || !may_type_into(*shown)) break;
    bool idle = shown->state == AgentState::kIdle;
    if (!idle && !m.urgent) break;  // the next agent.state idle kicks us again
    bool delivered = false;
    int number = static_cast<int>(m.attempts);
    while (!delivered && number < options_.max_attempts && life.alive()) {
      ++number;
      delivered = co_await attempt(*q, agent, m, number);
      if (!life.alive()) co_return;
      if (!delivered && number < options_.max_attempts) {
        co_await wait(*q, options_.retry_backoff * number);
      }
    }
    if (!life.alive()) co_return;
    if (delivered) {
      // Refused when the agent already read it: fine.
      co_await change_message(runner_, clock_, directory_, m.sender,
                              [&](Mailbox& mailbox) { return mailbox.mark_delivered(m.id); });
      if (!life.alive()) co_return;
      log_.info("delivery.delivered", {{"message", m.id}, {"agent", agent}, {"attempts", number}});
    } else {
      std::string why =
          fmt::format("agent {} did not start a turn after {} attempts", agent, number);
      co_await change_message(runner_, clock_, directory_, m.sender,
                              [&](Mailbox& mailbox) { return mailbox.mark_failed(m.id, why); });
      if (!life.alive()) co_return;
      log_.warn("delivery.failed", {{"message", m.id}, {"agent", agent}});
    }
  }
  q->serving = false;
  if (q->again && life.alive()) kick(agent);
}

asio::awaitable<bool> DeliveryEngine::attempt(Queue& q, const std::string& agent, const Message& m,
                                              int number) {
  auto life = lifetime_.guard();
  // Counted before typing: a quick agent may read (and so ack) the message before we verify.
  co_await change_message(runner_, clock_, directory_, m.sender, [&](Mailbox& mailbox) {
    return mailbox.record_attempt(m.id, std::nullopt);
  });
  if (!life.alive()) co_return false;
  std::string line = delivery_line(m);
  // Typed the way the agent's profile says: a bracketed or plain paste, its pause, its key.
  bool bracketed = true;
  std::string submit = "\r";
  auto settle = options_.paste_settle;
  if (auto shown = agents_.view(agent)) {
    if (auto profile = agents_.profile(shown->profile())) {
      bracketed = profile->input.bracketed_paste;
      submit = profile->input.submit.empty() ? "\r" : profile->input.submit;
      settle = std::max(settle, std::chrono::milliseconds(profile->input.pause_ms));
    }
  }
  // On a retry the text may still sit in the composer: then only Enter is missing.
  bool retype = true;
  if (number > 1) {
    if (auto screen = agents_.screen(agent)) retype = !composer_holds(*screen, line);
  }
  if (retype) {
    std::string typed = bracketed ? "\x1b[200~" + line + "\x1b[201~" : line;
    if (auto st = agents_.input(agent, typed, false); !st) co_return false;
    // The whole pause, even when the echo of the paste wakes the queue's timer early.
    auto settled = clock_.steady_now() + settle;
    while (life.alive() && clock_.steady_now() < settled) {
      co_await wait(
          q, std::chrono::duration_cast<std::chrono::milliseconds>(settled - clock_.steady_now()) +
                 std::chrono::milliseconds(1));
    }
    if (!life.alive()) co_return false;
  }
  auto before = agents_.view(agent);
  int64_t offset = before ? before->end_offset() : 0;
  // An agent whose CLI reports through hooks says itself when a prompt went in
  // (UserPromptSubmit): its output after Enter proves nothing, a redraw is output too.
  bool hooked = before && before->source() == SignalSource::kHook;
  if (auto st = agents_.input(agent, submit, false); !st) co_return false;
  // The turn started when the agent printed something after Enter (or, hooked, when a hook
  // said it works). There is no event per output chunk, so the check repeats every
  // kVerifyStep until the deadline (and at once on a state change).
  auto deadline = clock_.steady_now() + options_.verify_timeout;
  for (;;) {
    auto now = agents_.view(agent);
    if (!now) break;
    if (hooked) {
      if (now->source() == SignalSource::kHook && now->state != AgentState::kIdle) co_return true;
    } else if (now->end_offset() > offset) {
      // Output after Enter is not proof on its own: a CLI still drawing the paste prints
      // too, and may have lost the Enter. The line must have left the composer.
      auto screen = agents_.screen(agent);
      if (!screen || !composer_holds(*screen, line)) co_return true;
    }
    if (!now->live()) break;  // it went away
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.steady_now());
    if (left.count() <= 0) break;
    co_await wait(q, std::min(left, kVerifyStep));
    if (!life.alive()) co_return false;
  }
  log_.info("delivery.unverified", {{"message", m.id}, {"agent", agent}, {"attempt", number}});
  co_return false;
}

}  // namespace bosun
