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
  // How persisted events reach the subscribers.
  enum class Mode {
    kDirect,   // each as it is persisted (or its transaction commits): one connection writes
    kFromLog,  // read back from the log, everything after the last handed out, in order:
               // other connections (a StoreWorker) write the log too
    kNone,     // never: a worker's bus, whose events the loop's bus reads from the log
  };

  EventBus(EventStore& events, const Clock& clock, Log& log)
      : events_(events), clock_(clock), log_(&log) {}
  // A worker's bus (Mode::kNone): persists only; nothing is logged from the worker's thread.
  EventBus(EventStore& events, const Clock& clock)
      : events_(events), clock_(clock), mode_(Mode::kNone) {}

  // Switches a kDirect bus to kFromLog: from now on the log is read from the last event it
  // holds. Returns the error when the log can't be read (the mode stays).
  Status read_from_log();
  // kFromLog: hands out every event the log holds after the last one handed out, in sequence
  // order (the events another connection committed). Nothing for the other modes.
  void catch_up();
  // kFromLog: hands out those of `events` — read from the log, in sequence order, on another
  // connection — after the last one handed out.
  void deliver(const std::vector<Event>& events);
  // The highest sequence number handed out (kFromLog).
  int64_t last_handed() const { return last_handed_; }
  // Whether this daemon appended `event`: on a store several daemons share, the events of the
  // others' hosts are not (they reach the subscribers too, for what the whole crew sees).
  bool local(const Event& event) const {
    return event.host.empty() || event.host == events_.host();
  }
  // Where the loop's bus logs (null for a worker's).
  Log* log() const { return log_; }

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
  // A persisted event, committed: to the subscribers as the mode says.
  void hand_out(const Event& event);
  void broadcast(const Event& event);

  EventStore& events_;
  const Clock& clock_;
  Log* log_ = nullptr;  // null for a worker's bus
  Mode mode_ = Mode::kDirect;
  int64_t last_handed_ = 0;  // kFromLog: the highest sequence number handed out
  std::vector<EventSubscriber*> subscribers_;
  std::deque<Event> pending_;  // persisted, not yet handed to every subscriber
  bool broadcasting_ = false;
  bool removed_during_broadcast_ = false;
};

}  // namespace bosun
