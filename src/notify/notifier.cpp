// Notifier: edges from events, one delivery per edge and channel, and the sender.
#include "notify/notifier.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "agent/registry.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// Without a write, the cursor is written down this often: a restart re-reads at most this
// many events (re-reading one changes nothing: the moves it makes are already made).
constexpr int64_t kCursorEvery = 500;
constexpr int64_t kCatchUpPage = 500;

const std::vector<TaskStatus> kOpenWork = {TaskStatus::kPending, TaskStatus::kAssigned,
                                           TaskStatus::kInProgress, TaskStatus::kReview,
                                           TaskStatus::kBlocked};

}  // namespace

Notifier::Notifier(asio::io_context& io, Store& store, EventBus& bus, const Clock& clock, Log& log,
                   AgentRegistry& agents)
    : io_(io),
      store_(store),
      bus_(bus),
      clock_(clock),
      log_(log),
      agents_(agents),
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
  auto cursor = store_.settings().get(kCursorKey);
  if (!cursor) return tl::unexpected(cursor.error());
  if (*cursor && (**cursor).is_number_integer()) {
    cursor_ = (**cursor).get<int64_t>();
  } else {
    // The first start: what happened before is not news.
    auto latest = store_.events().latest_seq();
    if (!latest) return tl::unexpected(latest.error());
    cursor_ = *latest;
    if (auto st = store_.settings().set(kCursorKey, cursor_); !st) return st;
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

Status Notifier::configure(const NotifyConfig& config) {
  if (auto st = store_.settings().set(kConfigKey, to_json(config)); !st) return st;
  config_ = config;
  log_.info("notify.configured", {{"channels", config_.channels.size()}});
  (void)bus_.publish("notify.configured", "", Json{{"channels", config_.channels.size()}});
  wake();
  return {};
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

EdgeFacts Notifier::facts_for(const Event& event, const Json& data) {
  EdgeFacts f;
  if (event.type.starts_with("agent.")) {
    if (auto a = store_.agents().find(event.subject)) {
      f.agent_role = a->role;
      f.agent_project = a->project_id.value_or("");
    }
  } else if (event.type == "task.updated") {
    std::string to = string_field(data, "to");
    if (to == "done" || to == "cancelled" || to == "failed") {
      auto open = store_.tasks().count_in(kOpenWork);
      auto done = store_.tasks().count_in({TaskStatus::kDone});
      f.board_done = open && *open == 0 && done && *done > 0;
      f.tasks_done = done ? *done : 0;
    }
  }
  return f;
}

void Notifier::take(const Event& event) {
  if (event.seq <= cursor_) return;  // taken before (the catch-up, then the bus)
  cursor_ = event.seq;
  bool wrote = false;
  if (may_move_edges(event.type)) {
    Json data = event_data(event);
    auto moves = edge_moves(event, data, facts_for(event, data));
    if (!moves.empty()) {
      EventBus::Transaction tx(bus_, store_);
      Status st = tx.begin();
      for (const auto& m : moves) {
        if (!st) break;
        auto applied = apply(m, event, tx);
        if (!applied) {
          st = tl::unexpected(applied.error());
        } else {
          wrote = wrote || *applied;
        }
      }
      if (st && wrote) st = store_.settings().set(kCursorKey, cursor_);
      if (st && wrote) st = tx.commit();
      if (!st) {
        log_.error("notify.edge_failed", {{"event", event.seq}, {"error", st.error().message}});
        return;
      }
    }
  }
  if (wrote) {
    cursor_saved_ = cursor_;
    wake();
  } else if (cursor_ - cursor_saved_ >= kCursorEvery) {
    if (store_.settings().set(kCursorKey, cursor_)) cursor_saved_ = cursor_;
  }
}

Result<bool> Notifier::apply(const EdgeMove& move, const Event& event, EventBus::Transaction& tx) {
  auto& table = store_.notifications();
  TRY(found, table.find_edge(move.key));
  std::optional<NotifyEdge> row = std::move(*found);
  const int64_t at = event.at_ms;
  switch (move.move) {
    case EdgeMove::Move::kOpen: {
      if (row && row->open) return false;  // told already; it still holds
      // Back this soon after it ended, and it was told: a flapping state, not news.
      bool flap = row && row->notified && row->closed_at_ms &&
                  at - *row->closed_at_ms < config_.debounce.count();
      NotifyEdge e{move.key, to_string(move.kind), true, at, std::nullopt, true};
      TRY_OK(table.put_edge(e));
      if (!flap) TRY_OK(announce(move, move.key, move.title, event, tx));
      return true;
    }
    case EdgeMove::Move::kClose: {
      if (!row || !row->open) return false;
      row->open = false;
      row->closed_at_ms = at;
      TRY_OK(table.put_edge(*row));
      if (!move.ended_title.empty() && row->notified) {
        TRY_OK(announce(move, move.key + ":ended", move.ended_title, event, tx));
      }
      return true;
    }
    case EdgeMove::Move::kOnce:
      TRY_OK(announce(move, move.key, move.title, event, tx));
      return true;
  }
  return false;
}

Status Notifier::announce(const EdgeMove& move, const std::string& edge, const std::string& title,
                          const Event& event, EventBus::Transaction& tx) {
  Delivery d;
  d.edge = edge;
  d.kind = to_string(move.kind);
  d.event_seq = event.seq;
  d.created_at_ms = event.at_ms;
  d.title = title;
  d.body = shorten(move.body, 4000);
  d.link = move.link;
  d.next_at_ms = event.at_ms + config_.batch.count();
  for (const auto& channel : config_.channels) {
    if (!takes(channel, move)) continue;
    d.channel = channel.name;
    TRY_OK(store_.notifications().enqueue(d));
  }
  // The dashboard's own channel: the browser shows it when the person allowed notifications.
  TRY_OK(tx.publish("notify.edge", edge,
                    Json{{"kind", d.kind}, {"title", title}, {"body", d.body}, {"link", d.link}}));
  return {};
}

bool Notifier::takes(const NotifyChannel& c, const EdgeMove& move) {
  if (!c.on.empty() && !c.on.contains(move.kind)) return false;
  if (!c.roles.empty() && !move.role.empty() &&
      std::find(c.roles.begin(), c.roles.end(), move.role) == c.roles.end()) {
    return false;
  }
  if (c.projects.empty() || move.project.empty()) return true;
  for (const auto& p : c.projects) {
    if (p == move.project) return true;
    if (auto project = store_.projects().find(p); project && project->id == move.project)
      return true;
  }
  return false;
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
    std::optional<int64_t> next = dispatch_due();
    if (dirty_) continue;
    int64_t wait_ms = next ? std::max<int64_t>(*next - now_ms(), 0) : 3'600'000;
    waiting_ = timer.get();
    co_await timer->wait(clock_.steady_now() + Millis(wait_ms));
    if (!alive.alive()) co_return;
    waiting_ = nullptr;
  }
}

std::optional<int64_t> Notifier::dispatch_due() {
  auto pending = store_.notifications().pending();
  if (!pending) {
    log_.error("notify.read_failed", {{"error", pending.error().message}});
    return now_ms() + 5000;
  }
  const TimePoint now = clock_.now();
  const int64_t now_at = to_unix_ms(now);
  std::optional<int64_t> next;
  auto later = [&next](int64_t at) { next = next ? std::min(*next, at) : at; };
  std::map<std::string, std::vector<Delivery>> due;
  for (auto& d : *pending) {
    const NotifyChannel* channel = config_.channel(d.channel);
    if (!channel) {
      record(d, fmt::format("channel {} is no longer configured", d.channel), std::nullopt, false);
      continue;
    }
    if (sending_.contains(d.channel)) continue;  // the send's end looks again
    if (auto quiet = config_.quiet_for(*channel);
        quiet && in_quiet_hours(*quiet, local_minute(now))) {
      int64_t end = to_unix_ms(quiet_hours_end(*quiet, now));
      if (d.status != DeliveryStatus::kHeld || d.next_at_ms != end) {
        (void)store_.notifications().mark_held(d.id, end);
      }
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
  for (auto& [name, list] : due) {
    sending_.insert(name);
    asio::co_spawn(io_, deliver(*config_.channel(name), std::move(list)), asio::detached);
  }
  return next;
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
    for (const auto& d : due)
      record(d, failure, due.front().id, true);
  } else {
    for (const auto& d : due) {
      std::string failure = co_await send(channel, message_of(d));
      if (!alive.alive()) co_return;
      record(d, failure, std::nullopt, true);
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

void Notifier::record(const Delivery& d, const std::string& failure, std::optional<int64_t> digest,
                      bool retry) {
  auto& table = store_.notifications();
  const int64_t now = now_ms();
  const int64_t attempts = d.attempts + 1;
  Json data{{"id", d.id},
            {"channel", d.channel},
            {"kind", d.kind},
            {"title", d.title},
            {"attempts", attempts}};
  if (failure.empty()) {
    if (auto st = table.mark_sent(d.id, now, digest); !st) {
      log_.error("notify.record_failed", {{"id", d.id}, {"error", st.error().message}});
      return;
    }
    if (digest) data["digest"] = *digest;
    (void)bus_.publish("notify.sent", d.edge, data);
    return;
  }
  data["error"] = failure;
  if (retry && attempts < config_.attempts) {
    Millis wait = std::min<Millis>(
        config_.retry_backoff * (int64_t{1} << std::min<int64_t>(attempts - 1, 20)), kMaxBackoff);
    (void)table.mark_retry(d.id, attempts, now + wait.count(), failure);
    log_.warn("notify.retry",
              {{"id", d.id}, {"channel", d.channel}, {"error", failure}, {"in_ms", wait.count()}});
    return;
  }
  (void)table.mark_failed(d.id, attempts, failure);
  log_.warn("notify.failed", {{"id", d.id}, {"channel", d.channel}, {"error", failure}});
  (void)bus_.publish("notify.failed", d.edge, data);
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
  auto id = store_.notifications().enqueue(d);
  if (!id) co_return tl::unexpected(id.error());
  d.id = *id;
  record(d, failure, std::nullopt, false);
  co_return store_.notifications().find(d.id);
}

}  // namespace bosun
