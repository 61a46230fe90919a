// Events: rows of the events table.
#include "store/events.h"

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {

std::string to_wire(const Event& event) {
  std::string out;
  out.reserve(96 + event.type.size() + event.subject.size() + event.data.size());
  out += "{\"seq\":";
  out += std::to_string(event.seq);
  out += ",\"type\":";
  out += dump_json(event.type);
  out += ",\"at\":\"";
  out += format_time(from_unix_ms(event.at_ms));
  out += "\",\"subject\":";
  out += dump_json(event.subject);
  out += ",\"data\":";
  out += event.data.empty() ? "{}" : event.data;
  if (!event.host.empty()) {
    out += ",\"host\":";
    out += dump_json(event.host);
  }
  out += '}';
  return out;
}

Json event_data(const Event& event) {
  auto data = Json::parse(event.data, nullptr, false);
  return data.is_discarded() ? Json::object() : data;
}

Result<Event> EventStore::append(int64_t at_ms, std::string type, std::string subject,
                                 const Json& data) {
  auto stmt = db_.prepare(
      "INSERT INTO events(at, type, subject, data, host) VALUES(?,?,?,?,?) RETURNING seq");
  if (!stmt) return tl::unexpected(stmt.error());
  std::string text = dump_json(data.is_null() ? Json::object() : data);
  stmt->bind(1, at_ms).bind(2, type).bind(3, subject).bind(4, text).bind(5, host_);
  TRY(seq, inserted_id(*stmt));
  return Event{*seq, at_ms, std::move(type), std::move(subject), std::move(text), host_};
}

Result<std::vector<Event>> EventStore::list_since(int64_t since, int64_t limit) {
  auto stmt = db_.prepare(
      "SELECT seq, at, type, subject, data, host FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, since).bind(2, limit);
  std::vector<Event> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) break;
    out.push_back(Event{stmt->get_int(0), stmt->get_int(1), stmt->get_text(2), stmt->get_text(3),
                        stmt->get_text(4), stmt->get_text(5)});
  }
  return out;
}

Result<int64_t> EventStore::latest_seq() {
  auto stmt = db_.prepare("SELECT COALESCE(MAX(seq), 0) FROM events");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<int64_t> EventStore::count() {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM events");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

}  // namespace bosun
