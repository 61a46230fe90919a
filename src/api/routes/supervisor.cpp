// Supervisor: GET /api/v1/supervisor (configuration and watch state), PUT to configure it.
#include "crew/supervisor.h"
#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {
namespace {

Result<Response> get_supervisor(Services& s, Request&) {
  return Response::json(s.supervisor.status_json());
}

// The body holds the team file's `supervisor:` keys; keys left out keep their defaults.
Awaitable<Result<Response>> put_supervisor(Services& s, Request& request) {
  CO_TRY(body, parse_json_object(request.body));
  CO_TRY(config, supervisor_config_from_json(*body));
  CO_TRY_OK(co_await s.supervisor.configure(std::move(*config)));
  co_return Response::json(s.supervisor.status_json());
}

}  // namespace

std::vector<Route> supervisor_routes() {
  return {
      {"GET", "/api/v1/supervisor", Access::kAny, get_supervisor},
      {"PUT", "/api/v1/supervisor", Access::kUser, nullptr, put_supervisor},
  };
}

}  // namespace bosun
