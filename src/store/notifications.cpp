// Notifications: the notify_edges and notifications tables.
#include "store/notifications.h"

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {
namespace {

constexpr const char* kDeliverySelect =
    "SELECT id, edge, kind, channel, event_seq, created_at, title, body, link, status, attempts,"
    " next_at, last_error, sent_at, digest FROM notifications";

Delivery delivery_from_row(const Statement& s) {
  Delivery d;
  d.id = s.get_int(0);
  d.edge = s.get_text(1);
  d.kind = s.get_text(2);
  d.channel = s.get_text(3);
  d.event_seq = s.get_int(4);
  d.created_at_ms = s.get_int(5);
  d.title = s.get_text(6);
  d.body = s.get_text(7);
  d.link = s.get_text(8);
  d.status = parse_delivery_status(s.get_text(9)).value_or(DeliveryStatus::kFailed);
  d.attempts = s.get_int(10);
  d.next_at_ms = s.get_int(11);
  d.last_error = s.get_optional_text(12);
  d.sent_at_ms = s.get_optional_int(13);
  d.digest = s.get_optional_int(14);
  return d;
}

}  // namespace

const char* to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kQueued:
      return "queued";
    case DeliveryStatus::kHeld:
      return "held";
    case DeliveryStatus::kSent:
      return "sent";
    case DeliveryStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view text) {
  for (auto s : {DeliveryStatus::kQueued, DeliveryStatus::kHeld, DeliveryStatus::kSent,
                 DeliveryStatus::kFailed}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

Json to_json(const Delivery& d) {
  return Json{{"id", d.id},
              {"edge", d.edge},
              {"kind", d.kind},
              {"channel", d.channel},
              {"event_seq", d.event_seq},
              {"created_at", format_time(from_unix_ms(d.created_at_ms))},
              {"title", d.title},
              {"body", d.body},
              {"link", d.link},
              {"status", to_string(d.status)},
              {"attempts", d.attempts},
              {"next_at", d.status == DeliveryStatus::kQueued || d.status == DeliveryStatus::kHeld
                              ? Json(format_time(from_unix_ms(d.next_at_ms)))
                              : Json()},
              {"last_error", text_or_null(d.last_error)},
              {"sent_at", time_or_null(d.sent_at_ms)},
              {"digest", d.digest ? Json(*d.digest) : Json()}};
}

Result<std::optional<NotifyEdge>> NotificationStore::find_edge(const std::string& key) {
  auto stmt = db_.prepare(
      "SELECT key, kind, open, opened_at, closed_at, notified FROM notify_edges WHERE key = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<NotifyEdge>();
  NotifyEdge e;
  e.key = stmt->get_text(0);
  e.kind = stmt->get_text(1);
  e.open = stmt->get_int(2) != 0;
  e.opened_at_ms = stmt->get_int(3);
  e.closed_at_ms = stmt->get_optional_int(4);
  e.notified = stmt->get_int(5) != 0;
  return std::optional<NotifyEdge>(std::move(e));
}

Status NotificationStore::put_edge(const NotifyEdge& e) {
  auto stmt = db_.prepare(
      "INSERT INTO notify_edges(key, kind, open, opened_at, closed_at, notified)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(key) DO UPDATE SET kind = excluded.kind,"
      " open = excluded.open, opened_at = excluded.opened_at, closed_at = excluded.closed_at,"
      " notified = excluded.notified");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, e.key)
      .bind(2, e.kind)
      .bind(3, e.open ? 1 : 0)
      .bind(4, e.opened_at_ms)
      .bind(5, e.closed_at_ms)
      .bind(6, e.notified ? 1 : 0);
  return stmt->run();
}

Result<int64_t> NotificationStore::enqueue(const Delivery& d) {
  auto stmt = db_.prepare(
      "INSERT INTO notifications(edge, kind, channel, event_seq, created_at, title,"
      " body, link, status, attempts, next_at, host)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11)"
      " ON CONFLICT DO NOTHING RETURNING id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, d.edge)
      .bind(2, d.kind)
      .bind(3, d.channel)
      .bind(4, d.event_seq)
      .bind(5, d.created_at_ms)
      .bind(6, d.title)
      .bind(7, d.body)
      .bind(8, d.link)
      .bind(9, to_string(d.status))
      .bind(10, d.next_at_ms)
      .bind(11, host_);
  // A replay (the same channel, edge and event) adds nothing and returns no row.
  TRY(row, stmt->step());
  return *row ? stmt->get_int(0) : 0;
}

Result<std::vector<Delivery>> NotificationStore::pending() {
  auto stmt = db_.prepare(std::string(kDeliverySelect) +
                          " WHERE status IN ('queued', 'held') AND host = ?1"
                          " ORDER BY next_at, id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, host_);
  return collect<Delivery>(stmt, delivery_from_row);
}

Result<std::vector<Delivery>> NotificationStore::list(const DeliveryQuery& q) {
  auto stmt = db_.prepare(std::string(kDeliverySelect) +
                          " WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR channel = ?2)"
                          " ORDER BY id DESC LIMIT ?3");
  if (!stmt) return tl::unexpected(stmt.error());
  std::optional<std::string> status;
  if (q.status) status = to_string(*q.status);
  stmt->bind(1, status).bind(2, q.channel).bind(3, q.limit);
  return collect<Delivery>(stmt, delivery_from_row);
}

Result<Delivery> NotificationStore::find(int64_t id) {
  auto stmt = db_.prepare(std::string(kDeliverySelect) + " WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("notification_not_found", "no notification " + std::to_string(id));
  return delivery_from_row(*stmt);
}

Result<int64_t> NotificationStore::count(DeliveryStatus status) {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM notifications WHERE status = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, to_string(status));
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<std::vector<NotifyEdge>> NotificationStore::open_edges() {
  auto stmt = db_.prepare(
      "SELECT key, kind, open, opened_at, closed_at, notified FROM notify_edges WHERE open = 1"
      " ORDER BY opened_at");
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<NotifyEdge>(stmt, [](const Statement& s) {
    return NotifyEdge{s.get_text(0), s.get_text(1),         s.get_int(2) != 0,
                      s.get_int(3),  s.get_optional_int(4), s.get_int(5) != 0};
  });
}

Status NotificationStore::mark_sent(int64_t id, int64_t at_ms, std::optional<int64_t> digest) {
  auto stmt = db_.prepare(
      "UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = ?2,"
      " digest = ?3, last_error = NULL WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, at_ms).bind(3, digest);
  return stmt->run();
}

Status NotificationStore::mark_retry(int64_t id, int64_t attempts, int64_t next_at_ms,
                                     const std::string& error) {
  auto stmt = db_.prepare(
      "UPDATE notifications SET status = 'queued', attempts = ?2, next_at = ?3, last_error = ?4"
      " WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, attempts).bind(3, next_at_ms).bind(4, error);
  return stmt->run();
}

Status NotificationStore::mark_failed(int64_t id, int64_t attempts, const std::string& error) {
  auto stmt = db_.prepare(
      "UPDATE notifications SET status = 'failed', attempts = ?2, last_error = ?3 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, attempts).bind(3, error);
  return stmt->run();
}

Status NotificationStore::mark_held(int64_t id, int64_t until_ms) {
  auto stmt = db_.prepare("UPDATE notifications SET status = 'held', next_at = ?2 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, until_ms);
  return stmt->run();
}

}  // namespace bosun
