// EventBus: persist, then broadcast.
#include "store/event_bus.h"

#include <algorithm>

#include "store/store.h"

namespace bosun {

Result<Event> EventBus::persist(std::string type, std::string subject, const Json& data) {
  auto event = events_.append(to_unix_ms(clock_.now()), std::move(type), std::move(subject), data);
  if (!event) log_.error("event.persist_failed", {{"error", event.error().message}});
  return event;
}

Result<Event> EventBus::publish(std::string type, std::string subject, const Json& data) {
  auto event = persist(std::move(type), std::move(subject), data);
  if (event) broadcast(*event);
  return event;
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
  for (const auto& event : pending_)
    bus_.broadcast(event);
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
