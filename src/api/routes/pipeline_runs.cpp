// Pipeline runs: start one (POST /api/v1/pipelines/{name}/runs), list and show them, and a
// person's word on one — approve, reject, retry, cancel. A person's routes, but for reading one
// run: an agent working a step reads its run (what came before, the gates), and acts in it only
// through its step's task, never on the run.
#include <fmt/format.h>

#include "api/routes/refusal.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/pipeline_runs.h"
#include "store/store_runner.h"

namespace bosun {
namespace {

constexpr size_t kMaxBrief = size_t{64} * 1024;
constexpr size_t kMaxReason = size_t{64} * 1024;

Result<std::optional<std::string>> bounded(const Json& body, const char* key, size_t max) {
  auto v = optional_string(body, key);
  if (!v) return v;
  if (*v && (*v)->size() > max) {
    return bad_request("invalid_field", fmt::format("{} must be at most {} bytes", key, max));
  }
  return v;
}

Result<Json> body_of(const Request& request, std::initializer_list<const char*> allowed) {
  auto body = parse_json_object(request.body.empty() ? std::string("{}") : request.body);
  if (!body) return body;
  if (auto st = only_fields(*body, allowed); !st) return tl::unexpected(st.error());
  return body;
}

Awaitable<Result<Response>> post_run(Services& s, Request& request) {
  auto body = body_of(request, {"task", "brief", "project"});
  if (!body) co_return tl::unexpected(body.error());
  RunRequest req;
  req.pipeline = request.params["name"];
  req.by = request.principal.name();
  auto task = bounded(*body, "task", 64);
  if (!task) co_return tl::unexpected(task.error());
  auto brief = bounded(*body, "brief", kMaxBrief);
  if (!brief) co_return tl::unexpected(brief.error());
  auto project = bounded(*body, "project", 256);
  if (!project) co_return tl::unexpected(project.error());
  if (*task && *brief) co_return bad_request("invalid_field", "give a task or a brief, not both");
  req.task_id = *task;
  req.brief = *brief;
  req.project = *project;
  auto run = co_await s.pipelines.start(req);
  if (!run) co_return refusal_response(run.error());
  co_return Response::json(*run, 201);
}

std::optional<std::string> param(Request& request, const char* name) {
  const std::string* v = request.query_param(name);
  return v && !v->empty() ? std::optional<std::string>(*v) : std::nullopt;
}

Result<Response> get_runs(Services& s, Request& request) {
  auto runs = s.store.pipeline_runs().list(param(request, "state"), param(request, "task"));
  if (!runs) return tl::unexpected(runs.error());
  Json list = Json::array();
  for (const auto& r : *runs) {
    Json j = to_json(r);
    j.erase("steps");
    Json steps = Json::array();
    for (const auto& st : r.steps)
      steps.push_back(Json{{"id", st.id}, {"state", st.state}, {"attempts", st.attempts}});
    j["steps"] = steps;
    list.push_back(std::move(j));
  }
  return Response::json(Json{{"runs", list}});
}

Result<Response> get_run(Services& s, Request& request) {
  auto run = s.pipelines.show(request.params["id"]);
  if (!run) return tl::unexpected(run.error());
  return Response::json(*run);
}

Awaitable<Result<Response>> post_approve(Services& s, Request& request) {
  auto body = body_of(request, {"note"});
  if (!body) co_return tl::unexpected(body.error());
  auto note = bounded(*body, "note", kMaxReason);
  if (!note) co_return tl::unexpected(note.error());
  std::string id = request.params["id"];
  std::string by = request.principal.name();
  std::optional<std::string> text = *note;
  auto r = co_await s.pipelines.approve(id, by, text);
  co_await s.runner.settled();  // what the answer says is written
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_reject(Services& s, Request& request) {
  auto body = body_of(request, {"reason"});
  if (!body) co_return tl::unexpected(body.error());
  auto reason = bounded(*body, "reason", kMaxReason);
  if (!reason) co_return tl::unexpected(reason.error());
  auto r = s.pipelines.reject(request.params["id"], request.principal.name(), reason->value_or(""));
  co_await s.runner.settled();  // what the answer says is written
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> get_trace(Services& s, Request& request) {
  std::string id = request.params["id"];
  auto trace = co_await s.pipelines.trace(id);
  if (!trace) co_return tl::unexpected(trace.error());
  co_return Response::json(*trace);
}

Awaitable<Result<Response>> post_retry(Services& s, Request& request) {
  auto body = body_of(request, {"step"});
  if (!body) co_return tl::unexpected(body.error());
  auto step = bounded(*body, "step", 64);
  if (!step) co_return tl::unexpected(step.error());
  auto r = s.pipelines.retry(request.params["id"], *step, request.principal.name());
  co_await s.runner.settled();  // what the answer says is written
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_cancel(Services& s, Request& request) {
  auto body = body_of(request, {"reason"});
  if (!body) co_return tl::unexpected(body.error());
  auto reason = bounded(*body, "reason", kMaxReason);
  if (!reason) co_return tl::unexpected(reason.error());
  auto r = s.pipelines.cancel(request.params["id"], request.principal.name(), reason->value_or(""));
  co_await s.runner.settled();  // what the answer says is written
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

}  // namespace

std::vector<Route> pipeline_run_routes() {
  return {
      {"POST", "/api/v1/pipelines/{name}/runs", Access::kUser, nullptr, post_run},
      {"GET", "/api/v1/pipeline-runs", Access::kUser, get_runs},
      {"GET", "/api/v1/pipeline-runs/{id}", Access::kAny, get_run},
      {"GET", "/api/v1/pipeline-runs/{id}/trace", Access::kAny, nullptr, get_trace},
      {"POST", "/api/v1/pipeline-runs/{id}/approve", Access::kUser, nullptr, post_approve},
      {"POST", "/api/v1/pipeline-runs/{id}/reject", Access::kUser, nullptr, post_reject},
      {"POST", "/api/v1/pipeline-runs/{id}/retry", Access::kUser, nullptr, post_retry},
      {"POST", "/api/v1/pipeline-runs/{id}/cancel", Access::kUser, nullptr, post_cancel},
  };
}

}  // namespace bosun
