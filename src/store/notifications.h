// Notifications: the edges a person is told about (open while their condition holds) and each
// channel's delivery of them — queued, held for quiet hours, sent, retried, failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

// One condition a person hears about ("waiting:ag_…", "review:t_…"): open while it holds.
struct NotifyEdge {
  std::string key;
  std::string kind;
  bool open = false;
  int64_t opened_at_ms = 0;
  std::optional<int64_t> closed_at_ms;
  bool notified = false;  // its opening was queued for some channel
};

enum class DeliveryStatus { kQueued, kHeld, kSent, kFailed };
const char* to_string(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view text);

// One message for one channel.
struct Delivery {
  int64_t id = 0;
  std::string edge;     // the edge's key; with ":resumed" for the message that it ended
  std::string kind;     // waiting_input, review, stuck, limit, finished, exited, test
  std::string channel;  // the channel's name
  int64_t event_seq = 0;
  int64_t created_at_ms = 0;
  std::string title;
  std::string body;
  std::string link;  // a dashboard fragment ("#/review/t_…"), or empty
  DeliveryStatus status = DeliveryStatus::kQueued;
  int64_t attempts = 0;
  int64_t next_at_ms = 0;
  std::optional<std::string> last_error;
  std::optional<int64_t> sent_at_ms;
  std::optional<int64_t> digest;  // the id of the delivery whose message carried it
};

Json to_json(const Delivery& delivery);

struct DeliveryQuery {
  std::optional<DeliveryStatus> status;
  std::optional<std::string> channel;
  int64_t limit = 50;
};

class NotificationStore {
 public:
  explicit NotificationStore(Database& db) : db_(db) {}

  // This daemon's host on a shared store: it sends the notifications it queued, and only those.
  void set_host(std::string host) { host_ = std::move(host); }

  Result<std::optional<NotifyEdge>> find_edge(const std::string& key);
  Status put_edge(const NotifyEdge& edge);
  // Adds it unless that channel already has the edge's message from that event; returns the
  // id, or 0 when it was there already.
  Result<int64_t> enqueue(const Delivery& delivery);
  // Queued or held deliveries, oldest first.
  Result<std::vector<Delivery>> pending();
  Result<std::vector<Delivery>> list(const DeliveryQuery& query);
  Result<Delivery> find(int64_t id);
  Result<int64_t> count(DeliveryStatus status);
  Result<std::vector<NotifyEdge>> open_edges();
  Status mark_sent(int64_t id, int64_t at_ms, std::optional<int64_t> digest);
  Status mark_retry(int64_t id, int64_t attempts, int64_t next_at_ms, const std::string& error);
  Status mark_failed(int64_t id, int64_t attempts, const std::string& error);
  Status mark_held(int64_t id, int64_t until_ms);

 private:
  Database& db_;
  std::string host_;
};

}  // namespace bosun
