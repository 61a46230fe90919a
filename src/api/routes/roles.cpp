// Roles: the role files of a project (`.bosun/roles/`, then `.claude/agents/`).
#include "agent/role.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/projects.h"

namespace bosun {
namespace {

Result<std::optional<std::string>> project_param(Services& s, const Request& request) {
  const std::string* p = request.query_param("project");
  if (!p) return std::optional<std::string>();
  auto found = s.store.projects().find(*p);
  if (!found) return tl::unexpected(found.error());
  return std::optional<std::string>(found->id);
}

Result<Response> get_roles(Services& s, Request& request) {
  auto project = project_param(s, request);
  if (!project) return tl::unexpected(project.error());
  auto root = s.projects.role_root(*project);
  Json out = Json::array();
  for (const auto& e : list_roles(root)) {
    Json j = e.role ? e.role->to_json(false) : Json{{"name", e.name}, {"file", e.file}};
    j["error"] = e.error ? Json(e.error->message) : Json();
    j["shadowed"] = e.shadowed;
    out.push_back(std::move(j));
  }
  return Response::json(Json{{"root", root.string()}, {"roles", out}});
}

Result<Response> get_role(Services& s, Request& request) {
  auto project = project_param(s, request);
  if (!project) return tl::unexpected(project.error());
  auto role = find_role(s.projects.role_root(*project), request.params["name"]);
  if (!role) return tl::unexpected(role.error());
  return Response::json(role->to_json(true));
}

}  // namespace

std::vector<Route> role_routes() {
  return {
      {"GET", "/api/v1/roles", Access::kAny, get_roles},
      {"GET", "/api/v1/roles/{name}", Access::kAny, get_role},
  };
}

}  // namespace bosun
