// The route table: the concatenation of every family's routes, and GET /api/v1/routes, which
// lists it with each route's access (the authorization matrix's rows).
#include "api/routes/routes.h"

namespace bosun {

namespace {

const char* access_name(Access access) {
  switch (access) {
    case Access::kPublic:
      return "public";
    case Access::kUser:
      return "user";
    case Access::kSelf:
      return "self";
    case Access::kAny:
      return "any";
  }
  return "user";
}

// [{method, path, access, websocket}] for every route, in match order.
Result<Response> get_routes(Services&, Request&) {
  Json rows = Json::array();
  for (const auto& r : route_table()) {
    rows.push_back(Json{{"method", r.method},
                        {"path", r.pattern},
                        {"access", access_name(r.access)},
                        {"websocket", r.websocket != nullptr}});
  }
  return Response::json(Json{{"routes", std::move(rows)}});
}

std::vector<Route> table_routes() {
  return {{"GET", "/api/v1/routes", Access::kUser, get_routes}};
}

}  // namespace

std::vector<Route> route_table() {
  std::vector<Route> all;
  for (auto family : {health_routes, login_routes, event_routes, journal_routes, agent_routes,
                      host_routes, message_routes, task_routes, supervisor_routes, notify_routes,
                      project_routes, role_routes, pipeline_routes, pipeline_run_routes,
                      hook_routes, headless_routes, mcp_routes, web_routes, table_routes}) {
    auto rows = family();
    all.insert(all.end(), rows.begin(), rows.end());
  }
  return all;
}

}  // namespace bosun
