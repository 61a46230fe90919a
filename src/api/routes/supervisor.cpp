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
Result<Response> put_supervisor(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto config = supervisor_config_from_json(*body);
  if (!config) return tl::unexpected(config.error());
  if (auto st = s.supervisor.configure(*config); !st) return tl::unexpected(st.error());
  return Response::json(s.supervisor.status_json());
}

}  // namespace

std::vector<Route> supervisor_routes() {
  return {
      {"GET", "/api/v1/supervisor", Access::kAny, get_supervisor},
      {"PUT", "/api/v1/supervisor", Access::kUser, put_supervisor},
  };
}

}  // namespace bosun
