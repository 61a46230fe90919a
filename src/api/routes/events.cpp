// Events: GET /api/v1/events?since=&limit= and the WebSocket stream on the same path.
#include <limits>

#include "api/event_stream.h"
#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {
namespace {

constexpr int64_t kMaxSeq = std::numeric_limits<int64_t>::max();

Result<Response> get_events(Services& s, Request& request) {
  auto since = query_int(request, "since", 0, 0, kMaxSeq);
  if (!since) return tl::unexpected(since.error());
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  auto events = s.store.events().list_since(*since, *limit);
  if (!events) return tl::unexpected(events.error());
  auto latest = s.store.events().latest_seq();
  if (!latest) return tl::unexpected(latest.error());
  // Built as text: stored event data is already serialized JSON.
  Response response;
  response.body = "{\"events\":[";
  for (size_t i = 0; i < events->size(); ++i) {
    if (i) response.body += ',';
    response.body += to_wire((*events)[i]);
  }
  response.body += "],\"latest_seq\":" + std::to_string(*latest) + "}";
  return response;
}

Result<WsOpen> ws_events(Services& s, Request& request) {
  auto since = query_int(request, "since", -1, 0, kMaxSeq);
  if (!since) return tl::unexpected(since.error());
  EventStream* stream = &s.event_stream;
  int64_t from = *since;
  return WsOpen([stream, from](std::shared_ptr<WsChannel> channel) {
    stream->open(std::move(channel), from);
  });
}

}  // namespace

std::vector<Route> event_routes() {
  return {
      {"GET", "/api/v1/events", Access::kUser, get_events},
      {"GET", "/api/v1/events", Access::kUser, nullptr, nullptr, ws_events},
  };
}

}  // namespace bosun
