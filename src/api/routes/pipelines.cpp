// Pipelines: GET /api/v1/pipelines and /api/v1/pipelines/{name} — the built-in ones and the
// project's own (`.bosun/pipelines/`), each read and checked, with the roles it names that the
// project has no role file for.
#include "agent/role.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/projects.h"
#include "pipeline/pipeline.h"

namespace bosun {
namespace {

Result<std::filesystem::path> root_of(Services& s, const Request& request) {
  const std::string* p = request.query_param("project");
  if (!p) return s.projects.role_root(std::nullopt);
  auto found = s.store.projects().find(*p);
  if (!found) return tl::unexpected(found.error());
  return s.projects.role_root(found->id);
}

// The roles a pipeline's steps name that `root` has no (working) role file for.
Json missing_roles(const Pipeline& p, const std::filesystem::path& root) {
  std::vector<std::string> have;
  for (const auto& e : list_roles(root)) {
    if (e.role) have.push_back(e.name);
  }
  Json out = Json::array();
  for (const auto& step : p.steps) {
    if (std::find(have.begin(), have.end(), step.role) == have.end() &&
        std::find(out.begin(), out.end(), step.role) == out.end()) {
      out.push_back(step.role);
    }
  }
  return out;
}

Result<Response> get_pipelines(Services& s, Request& request) {
  TRY(root, root_of(s, request));
  Json out = Json::array();
  for (const auto& e : list_pipelines(*root)) {
    Json j{{"name", e.name},
           {"file", e.file},
           {"builtin", e.builtin},
           {"overrides", e.overrides},
           {"error", nullptr}};
    if (e.pipeline) {
      j["description"] = e.pipeline->description;
      j["steps"] = e.pipeline->steps.size();
      j["missing_roles"] = missing_roles(*e.pipeline, *root);
    } else {
      j["error"] = e.error ? e.error->message : "unreadable";
    }
    out.push_back(std::move(j));
  }
  return Response::json(Json{{"root", root->string()}, {"pipelines", out}});
}

Result<Response> get_pipeline(Services& s, Request& request) {
  TRY(root, root_of(s, request));
  TRY(p, load_pipeline(request.params["name"], *root));
  Json j = to_json(*p);
  j["missing_roles"] = missing_roles(*p, *root);
  return Response::json(j);
}

}  // namespace

std::vector<Route> pipeline_routes() {
  return {
      {"GET", "/api/v1/pipelines", Access::kAny, get_pipelines},
      {"GET", "/api/v1/pipelines/{name}", Access::kAny, get_pipeline},
  };
}

}  // namespace bosun
