// RouteCall: who may call a route, and calling one from inside the daemon as a given caller —
// how the MCP tools reach the same handlers, checks and messages as the REST API.
#pragma once

#include <string>

#include "api/http.h"
#include "api/router.h"

namespace bosun {

struct Services;

// Whether `request.principal` may call `route` (its params already captured): 401
// `unauthorized` for no caller, 403 `forbidden` for an agent on a person's route or on another
// agent's `{id}`.
Status check_access(Services& services, const Route& route, const Request& request);

// Runs METHOD TARGET with `body` as `caller` through the route table, its access check and its
// handler; a reply of 400 or more comes back as that error (its code and message).
Awaitable<Result<Json>> call_route(Services& services, const Principal& caller, std::string method,
                                   std::string target, Json body);

}  // namespace bosun
