// Login: POST /api/v1/login {token} sets the dashboard's HttpOnly, SameSite=Strict cookie.
#include "api/auth.h"
#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {
namespace {

Result<Response> post_login(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto token = require_string(*body, "token");
  if (!token) return tl::unexpected(token.error());
  if (!s.auth.is_user_token(*token)) {
    s.log.warn("auth.login_refused", {{"req", request.request_id}, {"peer", request.peer}});
    return fail(ErrorKind::kUnauthorized, "unauthorized", "wrong token");
  }
  auto response = Response::json(Json{{"ok", true}});
  response.headers.emplace_back("Set-Cookie", s.auth.login_cookie());
  return response;
}

}  // namespace

std::vector<Route> login_routes() {
  return {
      {"POST", "/api/v1/login", Access::kPublic, post_login},
  };
}

}  // namespace bosun
