// The route table: the concatenation of every family's routes.
#include "api/routes/routes.h"

namespace bosun {

std::vector<Route> route_table() {
  std::vector<Route> all;
  for (auto family : {health_routes, login_routes, event_routes, journal_routes, agent_routes,
                      message_routes, task_routes, supervisor_routes, project_routes, role_routes,
                      hook_routes, headless_routes, web_routes}) {
    auto rows = family();
    all.insert(all.end(), rows.begin(), rows.end());
  }
  return all;
}

}  // namespace bosun
