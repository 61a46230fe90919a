// Headless runs: start one for an agent (a prompt, or a task), list and show them, and the
// usage they add up to per agent or per task.
#include "crew/headless.h"

#include <fmt/format.h>

#include "api/routes/routes.h"
#include "api/services.h"

namespace bosun {
namespace {

constexpr int64_t kMaxTimeoutMs = 24LL * 3600 * 1000;

// The request's fields, checked.
Result<HeadlessRequest> parse_run(Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  HeadlessRequest req;
  req.agent = request.params["id"];
  auto prompt = optional_string(*body, "prompt");
  if (!prompt) return tl::unexpected(prompt.error());
  req.prompt = prompt->value_or("");
  auto task = optional_string(*body, "task");
  if (!task) return tl::unexpected(task.error());
  req.task_id = *task;
  auto profile = optional_string(*body, "profile");
  if (!profile) return tl::unexpected(profile.error());
  req.profile = *profile;
  if (auto args = body->find("args"); args != body->end() && !args->is_null()) {
    if (!args->is_array()) return bad_request("invalid_field", "args must be an array of strings");
    for (const auto& a : *args) {
      if (!a.is_string()) return bad_request("invalid_field", "args must be an array of strings");
      req.args.push_back(a.get<std::string>());
    }
  }
  auto timeout = optional_int(*body, "timeout_ms");
  if (!timeout) return tl::unexpected(timeout.error());
  if (*timeout) {
    if (**timeout < 1000 || **timeout > kMaxTimeoutMs) {
      return bad_request("invalid_field", "timeout_ms must be between 1000 and 86400000");
    }
    req.timeout = std::chrono::milliseconds(**timeout);
  }
  return req;
}

Awaitable<Result<Response>> post_run(Services& s, Request& request) {
  CO_TRY(req, parse_run(request));
  CO_TRY(run, co_await s.headless.start(std::move(*req)));
  co_return Response::json(*run, 202);
}

std::optional<std::string> param(Request& request, const char* name) {
  const std::string* v = request.query_param(name);
  return v && !v->empty() ? std::optional<std::string>(*v) : std::nullopt;
}

Result<Response> get_runs(Services& s, Request& request) {
  auto runs = s.store.headless_runs().list(param(request, "agent"), param(request, "task"));
  if (!runs) return tl::unexpected(runs.error());
  Json list = Json::array();
  for (const auto& r : *runs)
    list.push_back(to_json(r));
  return Response::json(Json{{"runs", list}});
}

Result<Response> get_run(Services& s, Request& request) {
  auto run = s.store.headless_runs().find(request.params["id"]);
  if (!run) return tl::unexpected(run.error());
  if (!*run) return not_found("run_not_found", "no headless run " + request.params["id"]);
  return Response::json(to_json(**run));
}

Result<Response> post_cancel(Services& s, Request& request) {
  std::string id = request.params["id"];
  if (auto st = s.headless.cancel(id); !st) return tl::unexpected(st.error());
  return Response::json(Json{{"ok", true}, {"run", id}}, 202);
}

Result<Response> get_usage(Services& s, Request& request) {
  std::string by = param(request, "by").value_or("agent");
  if (by == "task") by = "task_id";
  auto rows = s.store.headless_runs().usage(by, param(request, "agent"), param(request, "task"));
  if (!rows) return tl::unexpected(rows.error());
  Json list = Json::array();
  UsageTotals total;
  for (const auto& [key, t] : *rows) {
    Json row = to_json(t);
    row[by] = key.empty() ? Json() : Json(key);
    list.push_back(row);
    total.runs += t.runs;
    total.input_tokens += t.input_tokens;
    total.output_tokens += t.output_tokens;
    total.cache_read_tokens += t.cache_read_tokens;
    total.cache_write_tokens += t.cache_write_tokens;
    total.cost_usd += t.cost_usd;
  }
  return Response::json(
      Json{{"by", by == "task_id" ? "task" : by}, {"rows", list}, {"total", to_json(total)}});
}

}  // namespace

std::vector<Route> headless_routes() {
  return {
      {"POST", "/api/v1/agents/{id}/runs", Access::kUser, nullptr, post_run},
      {"GET", "/api/v1/runs", Access::kUser, get_runs},
      {"GET", "/api/v1/runs/{id}", Access::kUser, get_run},
      {"POST", "/api/v1/runs/{id}/cancel", Access::kUser, post_cancel},
      {"GET", "/api/v1/usage", Access::kUser, get_usage},
  };
}

}  // namespace bosun
