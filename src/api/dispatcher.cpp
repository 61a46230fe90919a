// Dispatcher: route → access check → handler → response, with one log line per request.
#include "api/dispatcher.h"

#include <chrono>
#include <exception>

#include "api/auth.h"
#include "api/http_status.h"
#include "api/services.h"

namespace bosun {

Result<const Route*> Dispatcher::admit(Request& request, bool websocket) {
  auto match = router_.match(request.method, request.path, websocket);
  if (!match) return tl::unexpected(match.error());
  const Route* route = match->route;
  request.params = std::move(match->params);
  if (route->access == Access::kPublic) return route;
  request.principal = services_.auth.identify(request, websocket);
  switch (request.principal.kind) {
    case Principal::Kind::kNone:
      return fail(ErrorKind::kUnauthorized, "unauthorized",
                  "missing or wrong token: send 'Authorization: Bearer <token>' "
                  "(the token is in the state directory's 'token' file)");
    case Principal::Kind::kAgent:
      if (route->access != Access::kAny) {
        return fail(ErrorKind::kForbidden, "forbidden",
                    "agents may not call " + request.method + " " + request.path);
      }
      break;
    case Principal::Kind::kUser:
      break;
  }
  if (websocket && !services_.auth.origin_allowed(request)) {
    return fail(ErrorKind::kForbidden, "origin_refused",
                "WebSocket Origin '" + *request.header("origin") + "' is not this daemon's own");
  }
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
      if ((*route)->handle) {
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
    return (*route)->websocket(services_, request);
  } catch (const std::exception& e) {
    services_.log.error("ws.handler_exception", {{"req", request.request_id}, {"what", e.what()}});
    return internal("internal", std::string("internal error: ") + e.what());
  }
}

}  // namespace bosun
