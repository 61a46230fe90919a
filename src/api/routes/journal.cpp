// Journal: POST /api/v1/journal {text, kind?} and GET /api/v1/journal?date=&q=&limit=.
#include <ctime>

#include <fmt/format.h>

#include "api/routes/routes.h"
#include "api/services.h"
#include "store/store_runner.h"
#include "util/ids.h"

namespace bosun {
namespace {

constexpr size_t kMaxJournalText = size_t{64} * 1024;

bool valid_kind(const std::string& kind) {
  if (kind.empty() || kind.size() > 32) return false;
  for (char c : kind) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

// "2026-11-21" → [midnight, next midnight) in UTC milliseconds.
Result<std::pair<int64_t, int64_t>> parse_date(const std::string& date) {
  std::tm tm{};
  const char* end = ::strptime(date.c_str(), "%Y-%m-%d", &tm);
  if (!end || *end != '\0') {
    return bad_request("invalid_query", "date must be YYYY-MM-DD, not '" + date + "'");
  }
  int64_t start = static_cast<int64_t>(::timegm(&tm)) * 1000;
  return std::pair<int64_t, int64_t>{start, start + 86'400'000};
}

// The entry the request asks for, checked.
Result<JournalEntry> journal_entry(Services& s, Request& request) {
  TRY(body, parse_json_object(request.body));
  TRY(text, require_string(*body, "text"));
  TRY(kind, optional_string(*body, "kind"));
  if (text->empty() || text->size() > kMaxJournalText) {
    return bad_request("invalid_field", fmt::format("text must be 1 to {} bytes", kMaxJournalText));
  }
  JournalEntry entry{new_id("j_"), to_unix_ms(s.clock.now()), kind->value_or("note"), *text,
                     request.principal.name()};
  if (!valid_kind(entry.kind)) {
    return bad_request("invalid_field", "kind must be 1-32 characters of [a-z0-9_-]");
  }
  return entry;
}

Awaitable<Result<Response>> post_journal(Services& s, Request& request) {
  CO_TRY(entry, journal_entry(s, request));
  Json json = to_json(*entry);
  auto insert = [&](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.journal().insert(*entry));
    TRY_OK(tx.publish("journal.created", entry->id, json));
    return tx.commit();
  };
  CO_TRY_OK(co_await s.runner.run(insert));
  co_return Response::json(json, 201);
}

Result<Response> get_journal(Services& s, Request& request) {
  JournalQuery query;
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  query.limit = *limit;
  if (const auto* date = request.query_param("date")) {
    auto range = parse_date(*date);
    if (!range) return tl::unexpected(range.error());
    query.from_ms = range->first;
    query.to_ms = range->second;
  }
  if (const auto* q = request.query_param("q"); q && !q->empty()) query.text = *q;
  auto entries = s.store.journal().list(query);
  if (!entries) return tl::unexpected(entries.error());
  Json list = Json::array();
  for (const auto& e : *entries)
    list.push_back(to_json(e));
  return Response::json(Json{{"entries", std::move(list)}});
}

}  // namespace

std::vector<Route> journal_routes() {
  return {
      {"POST", "/api/v1/journal", Access::kAny, nullptr, post_journal},
      {"GET", "/api/v1/journal", Access::kUser, get_journal},
  };
}

}  // namespace bosun
