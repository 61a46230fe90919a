// EdgeWriter: what one event does to the notifier's edges, as one piece of store work — the
// edges it opens and closes, a delivery for each channel that takes an announcement, the
// `notify.edge` event, and the notifier's cursor, in one transaction — so it runs wherever the
// store's work runs (the loop's connection, or a StoreWorker's).
#pragma once

#include <string>

#include "notify/edges.h"
#include "notify/notify_config.h"
#include "store/event_bus.h"
#include "store/store.h"

namespace bosun {

class EdgeWriter {
 public:
  EdgeWriter(Store& store, EventBus& bus, const NotifyConfig& config)
      : store_(store), bus_(bus), config_(config) {}

  // Applies the moves `event` makes and, when one wrote, sets `cursor_key` to its sequence in
  // the same transaction. Whether anything was written.
  Result<bool> take(const Event& event, const std::string& cursor_key);

 private:
  EdgeFacts facts_for(const Event& event, const Json& data);
  bool takes(const NotifyChannel& channel, const EdgeMove& move);
  // Whether `move` would write, as the edges stand now.
  Result<bool> would_write(const EdgeMove& move);
  // Applies one move inside `tx`; whether it wrote anything.
  Result<bool> apply(const EdgeMove& move, const Event& event, EventBus::Transaction& tx);
  Status announce(const EdgeMove& move, const std::string& edge, const std::string& title,
                  const Event& event, EventBus::Transaction& tx);

  Store& store_;
  EventBus& bus_;
  const NotifyConfig& config_;
};

}  // namespace bosun
