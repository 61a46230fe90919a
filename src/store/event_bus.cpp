// EventBus: persist, then broadcast.
#include "store/event_bus.h"

#include <algorithm>

#include "store/store.h"

namespace bosun {

Result<Event> EventBus::persist(std::string type, std::string subject, const Json& data) {
  auto event = events_.append(to_unix_ms(clock_.now()), std::move(type), std::move(subject), data);
  if (!event && log_) log_->error("event.persist_failed", {{"error", event.error().message}});
  return event;
}

Result<Event> EventBus::publish(std::string type, std::string subject, const Json& data) {
  auto event = persist(std::move(type), std::move(subject), data);
  if (event) hand_out(*event);
  return event;
}

Status EventBus::read_from_log() {
  if (mode_ != Mode::kDirect) return {};
  TRY(latest, events_.latest_seq());
  last_handed_ = *latest;
  mode_ = Mode::kFromLog;
  return {};
}

void EventBus::hand_out(const Event& event) {
  switch (mode_) {
    case Mode::kDirect:
      broadcast(event);
      return;
    case Mode::kFromLog:
      catch_up();
      return;
    case Mode::kNone:
      return;
  }
}

void EventBus::catch_up() {
  if (mode_ != Mode::kFromLog) return;
  constexpr int64_t kPage = 500;
  for (;;) {
    auto events = events_.list_since(last_handed_, kPage);
    if (!events) {
      // The rows stay in the log; the next catch-up (the next event, or the next store work)
      // hands them out.
      if (log_) log_->error("event.read_failed", {{"error", events.error().message}});
      return;
    }
    for (const auto& event : *events) {
      // A subscriber that published while this page was handed out read the log again
      // itself (a nested catch-up): what it handed out is not handed out twice.
      if (event.seq <= last_handed_) continue;
      last_handed_ = event.seq;
      broadcast(event);
    }
    if (static_cast<int64_t>(events->size()) < kPage) return;
  }
}

void EventBus::deliver(const std::vector<Event>& events) {
  if (mode_ != Mode::kFromLog) return;
  for (const auto& event : events) {
    if (event.seq <= last_handed_) continue;  // handed out already, by a read of the loop's
    last_handed_ = event.seq;
    broadcast(event);
  }
}

EventBus::Transaction::Transaction(EventBus& bus, Store& store) : bus_(bus), tx_(store.db()) {}

Result<Event> EventBus::Transaction::publish(std::string type, std::string subject,
                                             const Json& data) {
  auto event = bus_.persist(std::move(type), std::move(subject), data);
  if (event) pending_.push_back(*event);
  return event;
}

Status EventBus::Transaction::commit() {
  if (auto s = tx_.commit(); !s) return s;
  if (bus_.mode_ == Mode::kFromLog) {
    bus_.catch_up();  // one read for all of the transaction's events
  } else {
    for (const auto& event : pending_)
      bus_.hand_out(event);
  }
  pending_.clear();
  return {};
}

void EventBus::broadcast(const Event& event) {
  pending_.push_back(event);
  // An event published by a subscriber while an event is being handed out waits its turn:
  // every subscriber sees every event, in the order of their sequence numbers.
  if (broadcasting_) return;
  broadcasting_ = true;
  while (!pending_.empty()) {
    Event next = std::move(pending_.front());
    pending_.pop_front();
    // Index loop: subscribers added meanwhile see the next event, not this one.
    const size_t n = subscribers_.size();
    for (size_t i = 0; i < n; ++i) {
      if (subscribers_[i]) subscribers_[i]->on_event(next);
    }
  }
  broadcasting_ = false;
  if (removed_during_broadcast_) {
    std::erase(subscribers_, nullptr);
    removed_during_broadcast_ = false;
  }
}

void EventBus::subscribe(EventSubscriber* subscriber) {
  subscribers_.push_back(subscriber);
}

void EventBus::unsubscribe(EventSubscriber* subscriber) {
  auto it = std::find(subscribers_.begin(), subscribers_.end(), subscriber);
  if (it == subscribers_.end()) return;
  if (broadcasting_) {
    *it = nullptr;
    removed_during_broadcast_ = true;
  } else {
    subscribers_.erase(it);
  }
}

}  // namespace bosun
