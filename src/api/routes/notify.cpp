// Notifications: GET/PUT /api/v1/notify (the channels and rules), GET /api/v1/notifications
// (what was sent, held, failed), POST /api/v1/notify/test {channel}.
#include "api/routes/routes.h"
#include "api/services.h"
#include "notify/notifier.h"

namespace bosun {
namespace {

Result<Response> get_notify(Services& s, Request&) {
  TRY(status, s.notifier.status_json());
  return Response::json(*status);
}

// The body holds the team file's `notify:` keys; keys left out take their defaults.
Awaitable<Result<Response>> put_notify(Services& s, Request& request) {
  CO_TRY(body, parse_json_object(request.body));
  CO_TRY(config, notify_config_from_json(*body));
  CO_TRY_OK(co_await s.notifier.configure(std::move(*config)));
  CO_TRY(status, s.notifier.status_json());
  co_return Response::json(*status);
}

Result<Response> get_notifications(Services& s, Request& request) {
  DeliveryQuery query;
  TRY(limit, query_int(request, "limit", 50, 1, 1000));
  query.limit = *limit;
  if (const auto* status = request.query_param("status")) {
    query.status = parse_delivery_status(*status);
    if (!query.status) {
      return bad_request("invalid_query", "status must be one of: queued, held, sent, failed");
    }
  }
  if (const auto* channel = request.query_param("channel")) query.channel = *channel;
  TRY(list, s.store.notifications().list(query));
  Json out = Json::array();
  for (const auto& d : *list)
    out.push_back(to_json(d));
  return Response::json(Json{{"notifications", out}});
}

Awaitable<Result<Response>> post_test(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"channel"}); !st) co_return tl::unexpected(st.error());
  auto channel = require_string(*body, "channel");
  if (!channel) co_return tl::unexpected(channel.error());
  auto sent = co_await s.notifier.test(*channel);
  if (!sent) co_return tl::unexpected(sent.error());
  co_return Response::json(to_json(*sent));
}

}  // namespace

std::vector<Route> notify_routes() {
  return {
      {"GET", "/api/v1/notify", Access::kUser, get_notify},
      {"PUT", "/api/v1/notify", Access::kUser, nullptr, put_notify},
      {"POST", "/api/v1/notify/test", Access::kUser, nullptr, post_test},
      {"GET", "/api/v1/notifications", Access::kUser, get_notifications},
  };
}

}  // namespace bosun
