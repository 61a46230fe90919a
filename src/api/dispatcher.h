// Dispatcher: matches, authenticates and runs a route; the one place errors become responses.
#pragma once

#include <cstdint>

#include "api/http.h"
#include "api/router.h"

namespace bosun {

struct Services;

class Dispatcher final : public HttpHandler {
 public:
  Dispatcher(Services& services, Router router) : services_(services), router_(std::move(router)) {}

  Awaitable<Response> handle(Request& request) override;
  Result<WsOpen> upgrade(Request& request) override;

  const Router& router() const { return router_; }

 private:
  // Matches the route and checks the caller's credentials against its access level.
  Result<const Route*> admit(Request& request, bool websocket);
  // Host, Origin and, for a state-changing request on the login cookie, Origin/Referer and
  // Content-Type (403 host_refused, origin_refused, origin_required; 415 json_required).
  Status check_browser(const Request& request, bool websocket) const;

  Services& services_;
  Router router_;
};

}  // namespace bosun
