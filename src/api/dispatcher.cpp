// Dispatcher: route → access check → handler → response, with one log line per request.
#include "api/dispatcher.h"

#include <chrono>
#include <exception>

#include "api/auth.h"
#include "api/host_relay.h"
#include "api/http_status.h"
#include "api/route_call.h"
#include "api/services.h"

namespace bosun {

namespace {

bool changes_state(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

// A browser's request must come from this daemon's own pages: its Host is ours (no DNS
// rebinding), a foreign Origin is refused on every route, and a state-changing request that
// rests on the login cookie needs our Origin (or Referer) and a JSON body — a form or a
// text/plain POST from another site never gets through.
Status Dispatcher::check_browser(const Request& request, bool websocket) const {
  const Auth& auth = services_.auth;
  if (!auth.host_allowed(request)) {
    return fail(ErrorKind::kForbidden, "host_refused",
                "Host '" + *request.header("host") +
                    "' is not this daemon's address (serve --allow-host NAME adds a name)");
  }
  if (!auth.origin_allowed(request)) {
    return fail(ErrorKind::kForbidden, "origin_refused",
                std::string(websocket ? "WebSocket " : "") + "Origin '" +
                    *request.header("origin") + "' is not this daemon's own");
  }
  if (!request.principal.by_cookie || websocket || !changes_state(request.method)) return {};
  if (!auth.same_origin(request)) {
    return fail(ErrorKind::kForbidden, "origin_required",
                request.method + " " + request.path +
                    " with the login cookie needs this daemon's Origin or Referer");
  }
  bool has_body = request.method == "POST" || request.method == "PUT" ||
                  request.method == "PATCH" || !request.body.empty();
  if (has_body && !is_json_content(request.header("content-type"))) {
    return fail(ErrorKind::kUnsupportedMedia, "json_required",
                request.method + " " + request.path +
                    " with the login cookie needs Content-Type: application/json");
  }
  return {};
}

Result<const Route*> Dispatcher::admit(Request& request, bool websocket) {
  if (auto st = check_browser(request, websocket); !st) return tl::unexpected(st.error());
  auto match = router_.match(request.method, request.path, websocket);
  if (!match) return tl::unexpected(match.error());
  const Route* route = match->route;
  request.params = std::move(match->params);
  if (route->access == Access::kPublic) return route;
  request.principal = services_.auth.identify(request, websocket);
  if (auto st = check_access(services_, *route, request); !st) return tl::unexpected(st.error());
  if (!request.principal.via.empty() && !HostRelay::belongs_to_agents_host(*route)) {
    return fail(ErrorKind::kForbidden, "cluster_scope",
                "the cluster credential opens only the routes of this host's agents, not " +
                    request.method + " " + request.path);
  }
  if (auto st = check_browser(request, websocket); !st) return tl::unexpected(st.error());
  return route;
}

Awaitable<Response> Dispatcher::handle(Request& request) {
  auto started = std::chrono::steady_clock::now();
  Response response;
  auto route = admit(request, false);
  if (!route) {
    response = Response::error(route.error());
  } else {
    Result<Response> result = fail(ErrorKind::kInternal, "internal", "no handler");
    try {
      // Another host's agent: its daemon answers (api/host_relay.h).
      auto relayed = co_await services_.relay.answer(services_, **route, request);
      if (relayed) {
        result = std::move(*relayed);
      } else if ((*route)->handle) {
        result = (*route)->handle(services_, request);
      } else {
        result = co_await (*route)->handle_async(services_, request);
      }
    } catch (const std::exception& e) {
      services_.log.error(
          "http.handler_exception",
          {{"req", request.request_id}, {"path", request.path}, {"what", e.what()}});
      result = internal("internal", std::string("internal error: ") + e.what());
    }
    response = result ? std::move(*result) : Response::error(result.error());
  }
  auto level = response.status >= 500 ? Log::Level::kError : Log::Level::kDebug;
  if (!services_.log.enabled(level)) co_return response;
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  services_.log.write(level, "http.request",
                      {{"req", request.request_id},
                       {"peer", request.peer},
                       {"method", request.method},
                       {"path", request.path},
                       {"status", response.status},
                       {"who", request.principal.name()},
                       {"us", micros}});
  co_return response;
}

Result<WsOpen> Dispatcher::upgrade(Request& request) {
  auto route = admit(request, true);
  if (!route) {
    services_.log.info("ws.refused", {{"req", request.request_id},
                                      {"path", request.path},
                                      {"status", http_status(route.error().kind)},
                                      {"code", route.error().code}});
    return tl::unexpected(route.error());
  }
  try {
    TRY(owner, services_.relay.owner(services_, **route, request));
    if (*owner) return services_.relay.forward_websocket(**owner, request);
    return (*route)->websocket(services_, request);
  } catch (const std::exception& e) {
    services_.log.error("ws.handler_exception", {{"req", request.request_id}, {"what", e.what()}});
    return internal("internal", std::string("internal error: ") + e.what());
  }
}

}  // namespace bosun
