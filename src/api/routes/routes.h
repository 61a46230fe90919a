// The route table, one family per file in routes/.
#pragma once

#include <vector>

#include "api/router.h"

namespace bosun {

std::vector<Route> health_routes();      // GET /healthz, GET /api/v1/status
std::vector<Route> login_routes();       // POST /api/v1/login
std::vector<Route> event_routes();       // GET /api/v1/events, WS /api/v1/events
std::vector<Route> journal_routes();     // POST/GET /api/v1/journal
std::vector<Route> agent_routes();       // /api/v1/agents…
std::vector<Route> host_routes();        // GET /api/v1/hosts
std::vector<Route> message_routes();     // /api/v1/messages…, /api/v1/inbox, agents/{id}/inbox
std::vector<Route> task_routes();        // /api/v1/tasks…
std::vector<Route> supervisor_routes();  // GET/PUT /api/v1/supervisor
std::vector<Route> notify_routes();      // /api/v1/notify…, GET /api/v1/notifications
std::vector<Route> project_routes();  // /api/v1/projects…, /api/v1/worktrees…, agent diff/merge
std::vector<Route> role_routes();     // GET /api/v1/roles…
std::vector<Route> pipeline_routes();      // GET /api/v1/pipelines…
std::vector<Route> pipeline_run_routes();  // pipelines/{name}/runs, /api/v1/pipeline-runs…
std::vector<Route> hook_routes();          // POST /api/v1/hooks/claude
std::vector<Route> headless_routes();      // agents/{id}/runs, /api/v1/runs…, /api/v1/usage
std::vector<Route> web_routes();           // GET / and the dashboard's files (no token)
std::vector<Route> mcp_routes();           // POST /mcp (api/mcp.h)
// GET /api/v1/routes: the table itself (in table.cpp, with route_table).

// Every route, in the order they are matched.
std::vector<Route> route_table();

}  // namespace bosun
