// Notifier: edges from events, one delivery per edge and channel, and the sender.
#include "notify/notifier.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "agent/registry.h"
#include "notify/edge_writer.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// Without a write, the cursor is written down this often: a restart re-reads at most this
// many events (re-reading one changes nothing: the moves it makes are already made).
constexpr int64_t kCursorEvery = 500;
constexpr int64_t kCatchUpPage = 500;

}  // namespace

// How a send ended, as store work: the delivery's row and, once it is over, its event.
struct Notifier::SendOutcome {
  enum class Kind { kSent, kRetry, kFailed };
  Kind kind = Kind::kFailed;
  Delivery delivery;
  std::string failure;
  std::optional<int64_t> digest;
  int64_t attempts = 0;
  int64_t at_ms = 0;  // when it was sent, or when to try again

  Status operator()(Store& store, EventBus& bus) const {
    auto& table = store.notifications();
    const Delivery& d = delivery;
    if (kind == Kind::kRetry) return table.mark_retry(d.id, attempts, at_ms, failure);
    Json data{{"id", d.id},
              {"channel", d.channel},
              {"kind", d.kind},
              {"title", d.title},
              {"attempts", attempts}};
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    if (kind == Kind::kSent) {
      TRY_OK(table.mark_sent(d.id, at_ms, digest));
      if (digest) data["digest"] = *digest;
      TRY_OK(tx.publish("notify.sent", d.edge, data));
    } else {
      data["error"] = failure;
      TRY_OK(table.mark_failed(d.id, attempts, failure));
      TRY_OK(tx.publish("notify.failed", d.edge, data));
    }
    return tx.commit();
  }
};

Notifier::Notifier(asio::io_context& io, Store& store, EventBus& bus, StoreRunner& store_runner,
                   const Clock& clock, Log& log, AgentRegistry& agents)
    : io_(io),
      store_(store),
      bus_(bus),
      store_runner_(store_runner),
      clock_(clock),
      log_(log),
      agents_(agents),
      cursor_key_(host_setting(kCursorKey, store.events().host())),
      runner_(io, 2),
      timers_(clock, io) {}

Notifier::~Notifier() {
  lifetime_.end();
  if (started_) bus_.unsubscribe(this);
  timers_.cancel_all();
}

Status Notifier::start() {
  if (auto saved = store_.settings().get(kConfigKey); saved && *saved) {
    auto config = notify_config_from_json(**saved);
    if (config) {
      config_ = std::move(*config);
    } else {
      log_.warn("notify.saved_config_refused", {{"error", config.error().message}});
    }
  }
  auto cursor = store_.settings().get(cursor_key_);
  if (!cursor) return tl::unexpected(cursor.error());
  if (*cursor && (**cursor).is_number_integer()) {
    cursor_ = (**cursor).get<int64_t>();
  } else {
    // The first start: what happened before is not news.
    auto latest = store_.events().latest_seq();
    if (!latest) return tl::unexpected(latest.error());
    cursor_ = *latest;
    if (auto st = store_.settings().set(cursor_key_, cursor_); !st) return st;
  }
  cursor_saved_ = cursor_;
  // What happened since the last event taken: the daemon stopped before it was taken.
  for (;;) {
    auto page = store_.events().list_since(cursor_, kCatchUpPage);
    if (!page) return tl::unexpected(page.error());
    for (const Event& e : *page)
      take(e);
    if (static_cast<int64_t>(page->size()) < kCatchUpPage) break;
  }
  bus_.subscribe(this);
  started_ = true;
  asio::co_spawn(io_, run(), asio::detached);
  return {};
}

asio::awaitable<Status> Notifier::configure(NotifyConfig config) {
  auto alive = lifetime_.guard();
  auto save = [value = to_json(config)](Store& store, EventBus&) {
    return store.settings().set(kConfigKey, value);
  };
  CO_TRY_OK(co_await store_runner_.run(save));
  if (!alive.alive()) co_return Status{};
  config_ = std::move(config);
  log_.info("notify.configured", {{"channels", config_.channels.size()}});
  store_runner_.publish("notify.configured", "", Json{{"channels", config_.channels.size()}});
  wake();
  co_return Status{};
}

Result<Json> Notifier::status_json() {
  Json counts = Json::object();
  for (auto s : {DeliveryStatus::kQueued, DeliveryStatus::kHeld, DeliveryStatus::kSent,
                 DeliveryStatus::kFailed}) {
    TRY(n, store_.notifications().count(s));
    counts[to_string(s)] = *n;
  }
  TRY(open, store_.notifications().open_edges());
  Json edges = Json::array();
  for (const auto& e : *open) {
    edges.push_back(Json{
        {"key", e.key}, {"kind", e.kind}, {"since", format_time(from_unix_ms(e.opened_at_ms))}});
  }
  return Json{{"config", to_json(config_)}, {"deliveries", counts}, {"open", edges}};
}

void Notifier::on_event(const Event& event) {
  take(event);
}

void Notifier::take(const Event& event) {
  if (event.seq <= cursor_) return;  // taken before (the catch-up, then the bus)
  cursor_ = event.seq;
  // On a shared store each event is news once: its own host's notifier tells of it.
  if (may_move_edges(event.type) && bus_.local(event)) {
    // The edges are read and written where the store's work runs; the configuration goes along
    // as it is now.
    auto work = [event, config = config_, key = cursor_key_](Store& store, EventBus& bus) {
      return EdgeWriter(store, bus, config).take(event, key);
    };
    store_runner_.submit(std::move(work), [this, alive = lifetime_.guard(),
                                           seq = event.seq](const Result<bool>& wrote) {
      if (!alive.alive()) return;
      if (!wrote) {
        log_.error("notify.edge_failed", {{"event", seq}, {"error", wrote.error().message}});
      } else if (*wrote) {
        cursor_saved_ = std::max(cursor_saved_, seq);
        wake();
      } else {
        save_cursor();
      }
    });
    return;
  }
  save_cursor();
}

void Notifier::save_cursor() {
  if (cursor_ - cursor_saved_ < kCursorEvery) return;
  int64_t seq = cursor_;
  cursor_saved_ = seq;  // on its way: asked for once
  auto save = [seq, key = cursor_key_](Store& store, EventBus&) {
    return store.settings().set(key, seq);
  };
  store_runner_.submit(std::move(save), [this, alive = lifetime_.guard()](const Status& st) {
    if (!st && alive.alive()) {
      log_.warn("notify.cursor_failed", {{"error", st.error().message}});
    }
  });
}

void Notifier::wake() {
  dirty_ = true;
  if (waiting_) waiting_->cancel();
}

asio::awaitable<void> Notifier::run() {
  auto alive = lifetime_.guard();
  std::shared_ptr<Timer> timer = timers_.make();
  while (alive.alive()) {
    dirty_ = false;
    std::optional<int64_t> next = co_await dispatch_due();
    if (!alive.alive()) co_return;
    if (dirty_) continue;
    int64_t wait_ms = next ? std::max<int64_t>(*next - now_ms(), 0) : 3'600'000;
    waiting_ = timer.get();
    co_await timer->wait(clock_.steady_now() + Millis(wait_ms));
    if (!alive.alive()) co_return;
    waiting_ = nullptr;
  }
}

asio::awaitable<std::optional<int64_t>> Notifier::dispatch_due() {
  auto alive = lifetime_.guard();
  auto read = [](Store& store, EventBus&) { return store.notifications().pending(); };
  auto pending = co_await store_runner_.run(read);
  if (!alive.alive()) co_return std::nullopt;
  if (!pending) {
    log_.error("notify.read_failed", {{"error", pending.error().message}});
    co_return now_ms() + 5000;
  }
  const TimePoint now = clock_.now();
  const int64_t now_at = to_unix_ms(now);
  std::optional<int64_t> next;
  auto later = [&next](int64_t at) { next = next ? std::min(*next, at) : at; };
  std::map<std::string, std::vector<Delivery>> due;
  std::vector<std::pair<int64_t, int64_t>> hold;  // delivery, until
  for (auto& d : *pending) {
    const NotifyChannel* channel = config_.channel(d.channel);
    if (!channel) {
      co_await record(d, fmt::format("channel {} is no longer configured", d.channel), std::nullopt,
                      false);
      if (!alive.alive()) co_return std::nullopt;
      continue;
    }
    if (sending_.contains(d.channel)) continue;  // the send's end looks again
    if (auto quiet = config_.quiet_for(*channel);
        quiet && in_quiet_hours(*quiet, local_minute(now))) {
      int64_t end = to_unix_ms(quiet_hours_end(*quiet, now));
      if (d.status != DeliveryStatus::kHeld || d.next_at_ms != end) hold.emplace_back(d.id, end);
      later(end);
      continue;
    }
    // Held for quiet hours that are over (or no longer configured): due now.
    if (d.status != DeliveryStatus::kHeld && d.next_at_ms > now_at) {
      later(d.next_at_ms);
      continue;
    }
    due[d.channel].push_back(std::move(d));
  }
  if (!hold.empty()) {
    auto mark = [&hold](Store& store, EventBus&) -> Status {
      for (const auto& [id, until] : hold)
        TRY_OK(store.notifications().mark_held(id, until));
      return {};
    };
    if (auto st = co_await store_runner_.run(mark); !st) {
      log_.warn("notify.hold_failed", {{"error", st.error().message}});
    }
    if (!alive.alive()) co_return std::nullopt;
  }
  for (auto& [name, list] : due) {
    // A channel taken meanwhile (a send began while this one waited on the store) is next time's.
    if (!sending_.insert(name).second) continue;
    const NotifyChannel* channel = config_.channel(name);
    if (!channel) {
      sending_.erase(name);
      continue;
    }
    asio::co_spawn(io_, deliver(*channel, std::move(list)), asio::detached);
  }
  co_return next;
}

asio::awaitable<void> Notifier::deliver(NotifyChannel channel, std::vector<Delivery> due) {
  auto alive = lifetime_.guard();
  if (static_cast<int64_t>(due.size()) > config_.digest_after) {
    NotifyMessage digest;
    digest.id = due.front().id;
    digest.edge = "digest";
    digest.kind = "digest";
    digest.title = fmt::format("bosun: {} things need you", due.size());
    digest.link = dashboard_;
    digest.at = format_time(clock_.now());
    for (const auto& d : due)
      digest.items.push_back(message_of(d));
    std::string failure = co_await send(channel, digest);
    if (!alive.alive()) co_return;
    for (const auto& d : due) {
      co_await record(d, failure, due.front().id, true);
      if (!alive.alive()) co_return;
    }
  } else {
    for (const auto& d : due) {
      std::string failure = co_await send(channel, message_of(d));
      if (!alive.alive()) co_return;
      co_await record(d, failure, std::nullopt, true);
      if (!alive.alive()) co_return;
    }
  }
  sending_.erase(channel.name);
  wake();
}

asio::awaitable<std::string> Notifier::send(const NotifyChannel& channel,
                                            const NotifyMessage& message) {
  auto spec = send_spec(channel, message, config_.timeout);
  if (!spec) co_return spec.error().message;
  ProcessResult result = co_await runner_.run(std::move(*spec));
  co_return send_failure(channel, result);
}

asio::awaitable<void> Notifier::record(const Delivery& d, std::string failure,
                                       std::optional<int64_t> digest, bool retry) {
  SendOutcome outcome = decide(d, std::move(failure), digest, retry);
  if (auto st = co_await store_runner_.run(outcome); !st) {
    log_.error("notify.record_failed",
               {{"id", outcome.delivery.id}, {"error", st.error().message}});
  }
}

Notifier::SendOutcome Notifier::decide(Delivery d, std::string failure,
                                       std::optional<int64_t> digest, bool retry) const {
  SendOutcome o;
  o.attempts = d.attempts + 1;
  o.at_ms = now_ms();
  o.digest = digest;
  if (failure.empty()) {
    o.kind = SendOutcome::Kind::kSent;
  } else if (retry && o.attempts < config_.attempts) {
    Millis wait = std::min<Millis>(
        config_.retry_backoff * (int64_t{1} << std::min<int64_t>(o.attempts - 1, 20)), kMaxBackoff);
    o.kind = SendOutcome::Kind::kRetry;
    o.at_ms += wait.count();
    log_.warn("notify.retry",
              {{"id", d.id}, {"channel", d.channel}, {"error", failure}, {"in_ms", wait.count()}});
  } else {
    o.kind = SendOutcome::Kind::kFailed;
    log_.warn("notify.failed", {{"id", d.id}, {"channel", d.channel}, {"error", failure}});
  }
  o.delivery = std::move(d);
  o.failure = std::move(failure);
  return o;
}

NotifyMessage Notifier::message_of(const Delivery& d) const {
  NotifyMessage m;
  m.id = d.id;
  m.edge = d.edge;
  m.kind = d.kind;
  m.title = d.title;
  m.body = d.body;
  if (!d.link.empty() && !dashboard_.empty()) m.link = dashboard_ + d.link;
  m.at = format_time(from_unix_ms(d.created_at_ms));
  return m;
}

asio::awaitable<Result<Delivery>> Notifier::test(std::string name) {
  auto alive = lifetime_.guard();
  const NotifyChannel* found = config_.channel(name);
  if (!found) {
    co_return not_found(
        "channel_not_found",
        fmt::format("no notification channel {} (bosun notify show lists them)", name));
  }
  NotifyChannel channel = *found;
  Delivery d;
  const int64_t now = now_ms();
  d.edge = fmt::format("test:{}", now);
  d.kind = "test";
  d.channel = name;
  d.created_at_ms = now;
  d.title = "bosun: a test notification";
  d.body = fmt::format("Sent by `bosun notify test {}`. This channel works.", name);
  d.link = "#/crew";
  d.next_at_ms = now;
  // Sent first, recorded after, in one turn of the loop: the sender never sees it pending.
  std::string failure = co_await send(channel, message_of(d));
  if (!alive.alive()) co_return internal("stopping", "the daemon is stopping");
  SendOutcome outcome = decide(d, std::move(failure), std::nullopt, false);
  auto write = [&outcome](Store& store, EventBus& bus) -> Result<Delivery> {
    TRY(id, store.notifications().enqueue(outcome.delivery));
    outcome.delivery.id = *id;
    TRY_OK(outcome(store, bus));
    return store.notifications().find(*id);
  };
  co_return co_await store_runner_.run(write);
}

}  // namespace bosun
