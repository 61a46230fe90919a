// Messages: rows ↔ records, the inbox and the per-recipient delivery queue.
#include "store/messages.h"

#include <algorithm>

#include <fmt/format.h>

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {
namespace {

constexpr const char* kColumns =
    "id, sender, recipient, type, subject, body, task_id, urgent, state, attempts, error,"
    " created_at, delivered_at, acked_at, read_at";

Message from_row(const Statement& s) {
  Message m;
  m.id = s.get_text(0);
  m.sender = s.get_text(1);
  m.recipient = s.get_text(2);
  m.type = s.get_text(3);
  m.subject = s.get_text(4);
  m.body = s.get_text(5);
  m.task_id = s.get_optional_text(6);
  m.urgent = s.get_int(7) != 0;
  m.state = s.get_text(8);
  m.attempts = s.get_int(9);
  m.error = s.get_optional_text(10);
  m.created_at_ms = s.get_int(11);
  m.delivered_at_ms = s.get_optional_int(12);
  m.acked_at_ms = s.get_optional_int(13);
  m.read_at_ms = s.get_optional_int(14);
  return m;
}

Result<std::vector<Message>> collect(Result<Statement>& stmt) {
  std::vector<Message> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(from_row(*stmt));
  }
  return out;
}

template <size_t N>
bool one_of(const char* const (&names)[N], std::string_view value) {
  return std::find(std::begin(names), std::end(names), value) != std::end(names);
}

}  // namespace

bool valid_message_state(std::string_view state) {
  return one_of(kMessageStates, state);
}
bool valid_message_type(std::string_view type) {
  return one_of(kMessageTypes, type);
}

Json to_json(const Message& m, bool with_body) {
  Json j{{"id", m.id},
         {"from", m.sender},
         {"to", m.recipient},
         {"type", m.type},
         {"subject", m.subject},
         {"body_bytes", m.body.size()},
         {"task_id", m.task_id ? Json(*m.task_id) : Json()},
         {"urgent", m.urgent},
         {"state", m.state},
         {"attempts", m.attempts},
         {"error", m.error ? Json(*m.error) : Json()},
         {"created_at", format_time(from_unix_ms(m.created_at_ms))},
         {"delivered_at", time_or_null(m.delivered_at_ms)},
         {"acked_at", time_or_null(m.acked_at_ms)},
         {"read_at", time_or_null(m.read_at_ms)},
         {"read", m.read_at_ms.has_value()}};
  if (with_body) j["body"] = m.body;
  return j;
}

Status MessageStore::insert(const Message& m) {
  auto stmt = db_.prepare(
      fmt::format("INSERT INTO messages({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, m.id).bind(2, m.sender).bind(3, m.recipient).bind(4, m.type).bind(5, m.subject);
  stmt->bind(6, m.body).bind(7, m.task_id).bind(8, m.urgent ? 1 : 0).bind(9, m.state);
  stmt->bind(10, m.attempts).bind(11, m.error).bind(12, m.created_at_ms);
  stmt->bind(13, m.delivered_at_ms).bind(14, m.acked_at_ms).bind(15, m.read_at_ms);
  return stmt->run();
}

Result<Message> MessageStore::get(const std::string& id) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM messages WHERE id = ?", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("message_not_found", "no message " + id);
  return from_row(*stmt);
}

Result<bool> MessageStore::exists(const std::string& id) {
  auto stmt = db_.prepare("SELECT 1 FROM messages WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return stmt->step();
}

// rowid follows insertion, so "created order" is rowid order even within one millisecond.
Result<std::vector<Message>> MessageStore::list(const MessageQuery& q) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM messages"
      " WHERE (?1 IS NULL OR recipient = ?1) AND (?2 IS NULL OR sender = ?2)"
      "   AND (?3 IS NULL OR type = ?3) AND (?4 IS NULL OR task_id = ?4)"
      "   AND (?5 IS NULL OR state = ?5) AND (?6 IS NULL OR sender = ?6 OR recipient = ?6)"
      "   AND (?7 IS NULL OR rowid > (SELECT rowid FROM messages WHERE id = ?7))"
      " ORDER BY rowid LIMIT ?8",
      kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, q.to).bind(2, q.from).bind(3, q.type).bind(4, q.task_id).bind(5, q.state);
  stmt->bind(6, q.party).bind(7, q.after).bind(8, q.limit);
  return collect(stmt);
}

Result<std::vector<Message>> MessageStore::inbox(const std::string& recipient, bool unread_only,
                                                 int64_t limit) {
  auto stmt =
      db_.prepare(fmt::format("SELECT {} FROM messages WHERE recipient = ?1 AND state <> 'bounced'"
                              "   AND (?2 = 0 OR read_at IS NULL)"
                              " ORDER BY read_at IS NOT NULL, rowid DESC LIMIT ?3",
                              kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, recipient).bind(2, unread_only ? 1 : 0).bind(3, limit);
  return collect(stmt);
}

Result<int64_t> MessageStore::count_unread(const std::string& recipient) {
  auto stmt = db_.prepare(
      "SELECT COUNT(*) FROM messages"
      " WHERE recipient = ? AND state <> 'bounced' AND read_at IS NULL");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, recipient);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<int64_t> MessageStore::count() {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM messages");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<std::optional<Message>> MessageStore::next_queued(const std::string& recipient) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM messages WHERE recipient = ? AND state = 'queued' ORDER BY rowid LIMIT 1",
      kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, recipient);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Message>{};
  return std::optional<Message>(from_row(*stmt));
}

Result<std::vector<Message>> MessageStore::queued(const std::string& recipient) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM messages WHERE recipient = ? AND state = 'queued' ORDER BY rowid", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, recipient);
  return collect(stmt);
}

Result<std::vector<std::string>> MessageStore::recipients_with_queued() {
  auto stmt = db_.prepare(
      "SELECT recipient FROM messages WHERE state = 'queued'"
      " GROUP BY recipient ORDER BY MIN(rowid)");
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(stmt->get_text(0));
  }
  return out;
}

Result<bool> MessageStore::changed(Result<Statement>& stmt) {
  if (!stmt) return tl::unexpected(stmt.error());
  if (auto st = stmt->run(); !st) return tl::unexpected(st.error());
  return db_.changes() > 0;
}

Result<bool> MessageStore::mark_delivered(const std::string& id, int64_t at_ms) {
  auto stmt = db_.prepare(
      "UPDATE messages SET state = 'delivered', delivered_at = ?2"
      " WHERE id = ?1 AND state = 'queued'");
  if (stmt) stmt->bind(1, id).bind(2, at_ms);
  return changed(stmt);
}

Result<bool> MessageStore::mark_acked(const std::string& id, int64_t at_ms) {
  auto stmt = db_.prepare(
      "UPDATE messages SET state = 'acked', acked_at = ?2 WHERE id = ?1 AND state = 'delivered'");
  if (stmt) stmt->bind(1, id).bind(2, at_ms);
  return changed(stmt);
}

Result<bool> MessageStore::mark_bounced(const std::string& id, const std::string& error) {
  auto stmt = db_.prepare(
      "UPDATE messages SET state = 'bounced', error = ?2 WHERE id = ?1 AND state = 'queued'");
  if (stmt) stmt->bind(1, id).bind(2, error);
  return changed(stmt);
}

Result<bool> MessageStore::mark_failed(const std::string& id, const std::string& error) {
  auto stmt = db_.prepare(
      "UPDATE messages SET state = 'failed', error = ?2 WHERE id = ?1 AND state = 'queued'");
  if (stmt) stmt->bind(1, id).bind(2, error);
  return changed(stmt);
}

Result<bool> MessageStore::record_attempt(const std::string& id,
                                          const std::optional<std::string>& error) {
  auto stmt = db_.prepare(
      "UPDATE messages SET attempts = attempts + 1, error = ?2 WHERE id = ?1 AND state = 'queued'");
  if (stmt) stmt->bind(1, id).bind(2, error);
  return changed(stmt);
}

Result<bool> MessageStore::mark_read(const std::string& id, int64_t at_ms) {
  auto stmt = db_.prepare(
      "UPDATE messages SET read_at = COALESCE(read_at, ?2),"
      "   state = CASE WHEN state IN ('queued', 'delivered') THEN 'acked' ELSE state END,"
      "   acked_at = CASE WHEN state IN ('queued', 'delivered') THEN ?2 ELSE acked_at END"
      " WHERE id = ?1 AND (read_at IS NULL OR state IN ('queued', 'delivered'))");
  if (stmt) stmt->bind(1, id).bind(2, at_ms);
  return changed(stmt);
}

}  // namespace bosun
