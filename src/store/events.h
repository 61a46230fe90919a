// Events: the append-only log behind every WebSocket update and every replay.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct Event {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string type;     // noun.verb: "task.updated"
  std::string subject;  // the id the event is about ("t_ab12cd34"), or empty
  std::string data;     // a serialized JSON object, kept as text so it is never parsed twice
  std::string host;     // the host whose daemon appended it; empty on a store one daemon owns
};

// The wire form: {"seq", "type", "at", "subject", "data"} (and "host" when the event has one),
// built without re-parsing `data`.
std::string to_wire(const Event& event);
// The event's data, parsed (an empty object if the stored text is not JSON).
Json event_data(const Event& event);

class EventStore {
 public:
  explicit EventStore(Database& db) : db_(db) {}

  // The host every event appended from now on is stamped with (a shared store's daemons).
  void set_host(std::string host) { host_ = std::move(host); }
  const std::string& host() const { return host_; }

  // Appends one event and returns it with its sequence number.
  Result<Event> append(int64_t at_ms, std::string type, std::string subject, const Json& data);
  // Events with seq > since, oldest first, at most `limit`.
  Result<std::vector<Event>> list_since(int64_t since, int64_t limit);
  // The highest sequence number written so far (0 when none).
  Result<int64_t> latest_seq();
  Result<int64_t> count();

 private:
  Database& db_;
  std::string host_;
};

}  // namespace bosun
