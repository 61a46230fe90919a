// EventBus: the one place where an event is persisted and then broadcast.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/events.h"
#include "util/clock.h"
#include "util/log.h"

namespace bosun {

class Store;

class EventSubscriber {
 public:
  virtual ~EventSubscriber() = default;
  // Called on the loop thread after the event is in the database. Must not block.
  virtual void on_event(const Event& event) = 0;
};

class EventBus {
 public:
  EventBus(EventStore& events, const Clock& clock, Log& log)
      : events_(events), clock_(clock), log_(log) {}

  // Persists the event, then hands it to every subscriber. A failed write is
  // returned and nothing is broadcast: no client sees an event the database lacks.
  Result<Event> publish(std::string type, std::string subject, const Json& data);

  // A write transaction whose events are broadcast only after it commits:
  // rows and their events land together or not at all.
  class Transaction {
   public:
    Transaction(EventBus& bus, Store& store);
    Status begin() { return tx_.begin(); }
    // Persists the event inside the transaction; it is broadcast on commit.
    Result<Event> publish(std::string type, std::string subject, const Json& data);
    Status commit();

   private:
    EventBus& bus_;
    Database::Transaction tx_;
    std::vector<Event> pending_;
  };

  // Subscribers may (un)subscribe and publish from inside on_event. An event published there
  // is handed out once the current one has reached every subscriber: each subscriber sees the
  // events in sequence order.
  void subscribe(EventSubscriber* subscriber);
  void unsubscribe(EventSubscriber* subscriber);

  EventStore& store() { return events_; }

 private:
  Result<Event> persist(std::string type, std::string subject, const Json& data);
  void broadcast(const Event& event);

  EventStore& events_;
  const Clock& clock_;
  Log& log_;
  std::vector<EventSubscriber*> subscribers_;
  std::deque<Event> pending_;  // persisted, not yet handed to every subscriber
  bool broadcasting_ = false;
  bool removed_during_broadcast_ = false;
};

}  // namespace bosun
