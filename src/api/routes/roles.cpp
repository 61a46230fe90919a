// Roles and profiles: what an agent can be started as — the role files of a project
// (`.bosun/roles/`, then `.claude/agents/`) and the agent profiles (built in, or overridden in
// `.bosun/profiles/`).
#include "agent/profile.h"
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

// Every profile with what a spawn form needs: its command and whether it takes tasks or has a
// headless mode. A broken override is listed with its error.
Result<Response> get_profiles(Services& s, Request& request) {
  auto project = project_param(s, request);
  if (!project) return tl::unexpected(project.error());
  auto root = s.projects.role_root(*project);
  Json out = Json::array();
  for (const auto& name : profile_names(root)) {
    auto profile = load_profile(name, root);
    if (!profile) {
      out.push_back(Json{{"name", name}, {"error", profile.error().message}});
      continue;
    }
    out.push_back(Json{{"name", name},
                       {"description", profile->description},
                       {"interactive", profile->interactive},
                       {"headless", !profile->headless.empty()},
                       {"takes_tasks", profile->takes_tasks},
                       {"error", nullptr}});
  }
  return Response::json(Json{{"profiles", out}});
}

}  // namespace

std::vector<Route> role_routes() {
  return {
      {"GET", "/api/v1/roles", Access::kAny, get_roles},
      {"GET", "/api/v1/roles/{name}", Access::kAny, get_role},
      {"GET", "/api/v1/profiles", Access::kUser, get_profiles},
  };
}

}  // namespace bosun
