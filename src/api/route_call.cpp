// RouteCall: the access matrix in one function, and an in-process request through it.
#include "api/route_call.h"

#include "agent/registry.h"
#include "api/http_status.h"
#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {

Status check_access(Services& services, const Route& route, const Request& request) {
  if (route.access == Access::kPublic) return {};
  switch (request.principal.kind) {
    case Principal::Kind::kNone:
      if (request.header("bosun-cluster-token")) {
        return fail(ErrorKind::kUnauthorized, "unauthorized",
                    "wrong cluster credential, or no Bosun-Via naming another host");
      }
      return fail(ErrorKind::kUnauthorized, "unauthorized",
                  "missing or wrong token: send 'Authorization: Bearer <token>' "
                  "(the token is in the state directory's 'token' file)");
    case Principal::Kind::kAgent:
      if (route.access == Access::kSelf) {
        // Another agent's terminal, log or diff is not this agent's to read.
        auto it = request.params.find("id");
        auto named = services.agents.view(it == request.params.end() ? "" : it->second);
        if (named && named->id() != request.principal.agent_id) {
          return fail(ErrorKind::kForbidden, "forbidden",
                      std::string("an agent may call ") + route.method + " " + route.pattern +
                          " only for itself, not for " + named->name());
        }
      } else if (route.access != Access::kAny) {
        return fail(ErrorKind::kForbidden, "forbidden",
                    "agents may not call " + request.method + " " + request.path);
      }
      return {};
    case Principal::Kind::kUser:
      return {};
  }
  return {};
}

namespace {

// The reply's {"error": {code, message}} as an Error of the status's kind.
Error error_of(const Response& response) {
  Error e{error_kind(response.status), "error",
          "request failed (" + std::to_string(response.status) + ")"};
  auto body = parse_json(response.body);
  if (body && body->is_object() && body->contains("error") && (*body)["error"].is_object()) {
    const Json& err = (*body)["error"];
    if (err.contains("code") && err["code"].is_string()) e.code = err["code"];
    if (err.contains("message") && err["message"].is_string()) e.message = err["message"];
  }
  return e;
}

}  // namespace

Awaitable<Result<Json>> call_route(Services& services, const Principal& caller, std::string method,
                                   std::string target, Json body) {
  static const Router router(route_table());
  auto parsed = parse_target(target);
  if (!parsed) co_return tl::unexpected(parsed.error());
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.path = std::move(parsed->path);
  request.query = std::move(parsed->query);
  request.principal = caller;
  request.request_id = "mcp";
  if (!body.is_null()) request.body = dump_json(body);
  auto match = router.match(request.method, request.path, false);
  if (!match) co_return tl::unexpected(match.error());
  request.params = std::move(match->params);
  const Route& route = *match->route;
  if (auto st = check_access(services, route, request); !st) co_return tl::unexpected(st.error());
  Result<Response> reply = fail(ErrorKind::kInternal, "internal", "no handler");
  if (route.handle) {
    reply = route.handle(services, request);
  } else {
    reply = co_await route.handle_async(services, request);
  }
  if (!reply) co_return tl::unexpected(reply.error());
  if (reply->status >= 400) co_return tl::unexpected(error_of(*reply));
  if (reply->body.empty()) co_return Json::object();
  auto json = parse_json(reply->body);
  if (!json) co_return internal("bad_reply", request.path + " did not answer JSON");
  co_return std::move(*json);
}

}  // namespace bosun
