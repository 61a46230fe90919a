// Projects, their decisions and worktrees; an agent's diff, merge and rebase.
#include <charconv>

#include <fmt/format.h>

#include "api/routes/refusal.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/decisions.h"
#include "crew/merges.h"
#include "crew/projects.h"
#include "crew/worktrees.h"
#include "store/store_runner.h"

namespace bosun {
namespace {

Result<bool> query_flag(const Request& request, const std::string& name) {
  const std::string* v = request.query_param(name);
  if (!v) return false;
  if (*v == "true" || *v == "1" || v->empty()) return true;
  if (*v == "false" || *v == "0") return false;
  return bad_request("invalid_query", name + " must be true or false");
}

Awaitable<Result<Response>> post_project(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  auto project = co_await s.projects.add(std::move(*body));
  if (!project) co_return tl::unexpected(project.error());
  bool created = project->value("created", false);
  project->erase("created");
  co_return Response::json(*project, created ? 201 : 200);
}

Result<Response> get_projects(Services& s, Request&) {
  auto list = s.store.projects().list();
  if (!list) return tl::unexpected(list.error());
  Json out = Json::array();
  for (const auto& p : *list)
    out.push_back(to_json(p));
  return Response::json(Json{{"projects", out}});
}

Result<Response> get_project(Services& s, Request& request) {
  auto p = s.store.projects().find(request.params["id"]);
  if (!p) return tl::unexpected(p.error());
  return Response::json(to_json(*p));
}

Awaitable<Result<Response>> patch_project(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  auto p = co_await s.projects.update(request.params["id"], std::move(*body));
  if (!p) co_return tl::unexpected(p.error());
  co_return Response::json(*p);
}

Awaitable<Result<Response>> delete_project(Services& s, Request& request) {
  CO_TRY(r, co_await s.projects.remove(request.params["id"]));
  co_return Response::json(*r);
}

Awaitable<Result<Response>> get_project_worktrees(Services& s, Request& request) {
  auto all = query_flag(request, "all");
  if (!all) co_return tl::unexpected(all.error());
  auto list = co_await s.worktrees.list(request.params["id"], *all);
  if (!list) co_return tl::unexpected(list.error());
  co_return Response::json(*list);
}

Awaitable<Result<Response>> get_worktrees(Services& s, Request& request) {
  auto all = query_flag(request, "all");
  if (!all) co_return tl::unexpected(all.error());
  std::optional<std::string> project;
  if (const std::string* p = request.query_param("project")) project = *p;
  auto list = co_await s.worktrees.list(project, *all);
  if (!list) co_return tl::unexpected(list.error());
  co_return Response::json(*list);
}

Awaitable<Result<Response>> delete_worktree(Services& s, Request& request) {
  auto force = query_flag(request, "force");
  if (!force) co_return tl::unexpected(force.error());
  auto r = co_await s.worktrees.remove(request.params["id"], *force, request.principal.name());
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_prune(Services& s, Request& request) {
  auto r = co_await s.worktrees.prune(request.principal.name());
  if (!r) co_return tl::unexpected(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> get_diff(Services& s, Request& request) {
  auto r = co_await s.merges.diff(request.params["id"]);
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_merge(Services& s, Request& request) {
  auto body = parse_json_object(request.body.empty() ? std::string("{}") : request.body);
  if (!body) co_return tl::unexpected(body.error());
  auto into = optional_string(*body, "into");
  if (!into) co_return tl::unexpected(into.error());
  auto rebase = optional_bool(*body, "rebase");
  if (!rebase) co_return tl::unexpected(rebase.error());
  Json rebased;
  if (rebase->value_or(false)) {
    auto r = co_await s.merges.rebase(request.params["id"]);
    if (!r) co_return refusal_response(r.error());
    rebased = *r;
  }
  auto r = co_await s.merges.merge(request.params["id"], *into, request.principal.name());
  if (!r) co_return refusal_response(r.error());
  if (!rebased.is_null()) (*r)["rebase"] = rebased;
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_rebase(Services& s, Request& request) {
  auto r = co_await s.merges.rebase(request.params["id"]);
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Result<Response> get_decisions(Services& s, Request& request) {
  std::optional<std::string> role;
  if (const std::string* r = request.query_param("role")) role = *r;
  auto list = Decisions(s.store, s.bus, s.clock).list(request.params["id"], role);
  if (!list) return tl::unexpected(list.error());
  return Response::json(*list);
}

Awaitable<Result<Response>> post_decision(Services& s, Request& request) {
  CO_TRY(body, parse_json_object(request.body));
  // An agent proposes; what it proposes becomes an instruction only once a person accepts it.
  bool proposal = request.principal.kind == Principal::Kind::kAgent;
  std::string author = request.principal.name();
  const std::string& project = request.params["id"];
  auto add = [&](Store& store, EventBus& bus) {
    return Decisions(store, bus, s.clock).add(project, *body, author, proposal);
  };
  CO_TRY(d, co_await s.runner.run(add));
  co_return Response::json(*d, 201);
}

Awaitable<Result<Response>> post_accept(Services& s, Request& request) {
  const std::string& text = request.params["decision"];
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    co_return not_found("decision_not_found", "no decision #" + text);
  }
  const std::string& project = request.params["id"];
  auto accept = [&s, &project, id](Store& store, EventBus& bus) {
    return Decisions(store, bus, s.clock).accept(project, id, "user");
  };
  CO_TRY(d, co_await s.runner.run(accept));
  co_return Response::json(*d);
}

}  // namespace

std::vector<Route> project_routes() {
  return {
      {"POST", "/api/v1/projects", Access::kUser, nullptr, post_project},
      {"GET", "/api/v1/projects", Access::kAny, get_projects},
      {"GET", "/api/v1/projects/{id}", Access::kAny, get_project},
      {"PATCH", "/api/v1/projects/{id}", Access::kUser, nullptr, patch_project},
      {"DELETE", "/api/v1/projects/{id}", Access::kUser, nullptr, delete_project},
      {"GET", "/api/v1/projects/{id}/worktrees", Access::kAny, nullptr, get_project_worktrees},
      {"GET", "/api/v1/projects/{id}/decisions", Access::kAny, get_decisions},
      {"POST", "/api/v1/projects/{id}/decisions", Access::kAny, nullptr, post_decision},
      {"POST", "/api/v1/projects/{id}/decisions/{decision}/accept", Access::kUser, nullptr,
       post_accept},
      {"GET", "/api/v1/worktrees", Access::kAny, nullptr, get_worktrees},
      {"POST", "/api/v1/worktrees/prune", Access::kUser, nullptr, post_prune},
      {"DELETE", "/api/v1/worktrees/{id}", Access::kUser, nullptr, delete_worktree},
      {"GET", "/api/v1/agents/{id}/diff", Access::kSelf, nullptr, get_diff},
      {"POST", "/api/v1/agents/{id}/merge", Access::kUser, nullptr, post_merge},
      {"POST", "/api/v1/agents/{id}/rebase", Access::kUser, nullptr, post_rebase},
  };
}

}  // namespace bosun
