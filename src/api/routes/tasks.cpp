// Tasks: the board (create, list, ready, show, update, delete), claims, comments, history,
// reports, and a person's approve/reject of a task in review.
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "api/routes/refusal.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/beads_transfer.h"
#include "crew/dispatch_policy.h"
#include "crew/pipeline_runs.h"
#include "crew/report.h"
#include "crew/task_board.h"
#include "crew/task_branches.h"
#include "crew/verifier.h"
#include "store/store_runner.h"

namespace bosun {
namespace {

constexpr size_t kMaxReason = size_t{64} * 1024;

// `work(board)` on a TaskBoard over the store the runner gives: the loop's connection, or a
// worker's while this request waits and the loop serves others. `work` uses only the board
// and what the awaiting handler holds, by reference (see StoreRunner::run on temporaries).
template <typename F>
auto on_board(Services& s, F work) -> Awaitable<std::invoke_result_t<F&, TaskBoard&>> {
  static_assert(std::is_trivially_destructible_v<F>, "capture by reference");
  auto on_store = [&clock = s.clock, &work](Store& store, EventBus& bus) {
    TaskBoard board(store, bus, clock);
    return work(board);
  };
  co_return co_await s.runner.run(on_store);
}

// A priority given as 0-4 or as urgent|high|normal|low (or "0"-"4").
Result<std::optional<int>> optional_priority(const Json& body) {
  auto it = body.find("priority");
  if (it == body.end() || it->is_null()) return std::optional<int>{};
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < kHighestPriority || v > kLowestPriority) {
      return bad_request("invalid_field",
                         "priority must be 0-4 (0 highest) or urgent, high, normal, low");
    }
    return std::optional<int>(static_cast<int>(v));
  }
  if (it->is_string()) {
    if (auto p = parse_priority(it->get<std::string>())) return std::optional<int>(*p);
    return bad_request("invalid_field",
                       fmt::format("priority '{}' is not 0-4 or urgent, high, normal, low",
                                   it->get<std::string>()));
  }
  return bad_request("invalid_field", "field 'priority' must be an integer 0-4 or a name");
}

Result<TaskStatus> status_from(const std::string& text) {
  if (auto s = parse_task_status(text)) return *s;
  return bad_request("invalid_status",
                     fmt::format("unknown status '{}'; one of: {}", text, task_status_names()));
}

Result<std::optional<std::vector<std::string>>> optional_ids(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::vector<std::string>>{};
  auto wrong =
      bad_request("invalid_field", fmt::format("field '{}' must be an array of task ids", key));
  if (!it->is_array()) return wrong;
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return wrong;
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

// An agent name or id → its id; 404 `agent_not_found`.
Result<std::string> agent_id_of(Services& s, const std::string& name_or_id) {
  auto agent = s.store.agents().find(name_or_id);
  if (!agent) return tl::unexpected(agent.error());
  return agent->id;
}

Awaitable<Result<Response>> post_task(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"title", "description", "role", "priority", "depends_on",
                                    "parent_id", "project", "assignee", "status"});
      !st) {
    co_return tl::unexpected(st.error());
  }
  NewTask task;
  auto title = require_string(*body, "title");
  if (!title) co_return tl::unexpected(title.error());
  task.title = *title;
  for (auto [key, target] :
       {std::pair{"description", &task.description}, std::pair{"role", &task.role}}) {
    auto v = optional_string(*body, key);
    if (!v) co_return tl::unexpected(v.error());
    if (*v) *target = **v;
  }
  for (auto [key, target] :
       {std::pair{"parent_id", &task.parent_id}, std::pair{"project", &task.project_id}}) {
    auto v = optional_string(*body, key);
    if (!v) co_return tl::unexpected(v.error());
    *target = *v;
  }
  if (task.project_id) {
    // A project's name stands for its id; an unknown one is refused, not kept as a dangling id.
    auto p = s.store.projects().find(*task.project_id);
    if (!p) co_return tl::unexpected(p.error());
    task.project_id = p->id;
  }
  auto priority = optional_priority(*body);
  if (!priority) co_return tl::unexpected(priority.error());
  task.priority = priority->value_or(kDefaultPriority);
  auto deps = optional_ids(*body, "depends_on");
  if (!deps) co_return tl::unexpected(deps.error());
  task.depends_on = deps->value_or(std::vector<std::string>{});
  auto status = optional_string(*body, "status");
  if (!status) co_return tl::unexpected(status.error());
  if (*status) {
    auto st = status_from(**status);
    if (!st) co_return tl::unexpected(st.error());
    task.status = *st;
  }
  auto assignee = optional_string(*body, "assignee");
  if (!assignee) co_return tl::unexpected(assignee.error());
  if (*assignee) {
    auto id = agent_id_of(s, **assignee);
    if (!id) co_return tl::unexpected(id.error());
    task.assignee = *id;
  }
  const std::string by = request.principal.name();
  auto created = co_await on_board(s, [&](TaskBoard& board) { return board.create(task, by); });
  if (!created) co_return tl::unexpected(created.error());
  co_return Response::json(to_json(*created), 201);
}

Result<Response> get_tasks(Services& s, Request& request) {
  TaskQuery query;
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  query.limit = *limit;
  if (const auto* status = request.query_param("status"); status && !status->empty()) {
    size_t i = 0;
    while (i <= status->size()) {
      size_t j = status->find(',', i);
      if (j == std::string::npos) j = status->size();
      auto st = status_from(status->substr(i, j - i));
      if (!st) return tl::unexpected(st.error());
      query.statuses.push_back(*st);
      i = j + 1;
    }
  }
  if (const auto* assignee = request.query_param("assignee"); assignee && !assignee->empty()) {
    auto id = agent_id_of(s, *assignee);
    if (!id) return tl::unexpected(id.error());
    query.assignee = *id;
  }
  for (auto [key, target] :
       {std::pair{"role", &query.role}, std::pair{"project", &query.project_id},
        std::pair{"parent", &query.parent_id}, std::pair{"after", &query.after}}) {
    if (const auto* v = request.query_param(key); v && !v->empty()) *target = *v;
  }
  if (query.project_id) {
    // A project's name stands for its id (an id of a removed project still finds its tasks).
    if (auto p = s.store.projects().find(*query.project_id)) query.project_id = p->id;
  }
  auto tasks = s.store.tasks().list(query);
  if (!tasks) return tl::unexpected(tasks.error());
  Json list = Json::array();
  for (const auto& t : *tasks)
    list.push_back(to_json(t));
  Json out{{"tasks", std::move(list)}};
  if (static_cast<int64_t>(tasks->size()) == query.limit) out["next_after"] = tasks->back().id;
  return Response::json(out);
}

Result<Response> get_ready(Services& s, Request& request) {
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  std::vector<std::string> roles;
  if (const auto* r = request.query_param("role"); r && !r->empty()) roles.push_back(*r);
  auto tasks = s.store.tasks().ready(roles, *limit);
  if (!tasks) return tl::unexpected(tasks.error());
  Json list = Json::array();
  for (const auto& t : *tasks)
    list.push_back(to_json(t));
  return Response::json(Json{{"tasks", std::move(list)}});
}

Result<Response> get_task(Services& s, Request& request) {
  const std::string& id = request.params["id"];
  auto task = s.store.tasks().find(id);
  if (!task) return tl::unexpected(task.error());
  auto children = s.store.tasks().children(id);
  if (!children) return tl::unexpected(children.error());
  Json json = to_json(*task);
  json["children"] = *children;
  // What the project has recorded for this task's role: the agent reads it with the task.
  std::optional<std::string> project = task->project_id;
  std::string role = task->role;
  if (task->assignee) {
    if (auto agent = s.store.agents().find(*task->assignee)) {
      if (!project) project = agent->project_id;
      if (role.empty()) role = agent->role;
    }
  }
  // What headless runs for it have cost so far.
  json["usage"] = to_json(UsageTotals{});
  if (auto usage = s.store.headless_runs().usage("task_id", std::nullopt, id);
      usage && !usage->empty()) {
    json["usage"] = to_json(usage->front().second);
  }
  json["decisions"] = Json::array();
  if (project) {
    auto decisions = s.store.projects().decisions(
        *project, role.empty() ? std::nullopt : std::optional<std::string>(role));
    if (decisions) {
      for (const auto& d : *decisions)
        json["decisions"].push_back(to_json(d));
    }
  }
  return Response::json(json);
}

// Runs `change` on task `id` through the board; returns the task.
Awaitable<Result<Response>> apply_change(Services& s, Request& request, const std::string& id,
                                         const TaskChange& change) {
  const std::string by = request.principal.name();
  auto task = co_await on_board(s, [&](TaskBoard& board) { return board.update(id, change, by); });
  if (!task) co_return tl::unexpected(task.error());
  co_return Response::json(to_json(*task));
}

// An agent changes only a task it holds, and only its status (with a reason) or, giving it
// back, its assignee to null: what a task is and who does it are a person's to say.
Status agent_may_change(Services& s, const Request& request, const Json& body) {
  if (request.principal.kind != Principal::Kind::kAgent) return {};
  auto task = s.store.tasks().find(request.params.at("id"));
  if (!task) return tl::unexpected(task.error());
  if (task->assignee != request.principal.agent_id) {
    if (auto fence = TaskBoard(s.store, s.bus, s.clock).fenced(*task, request.principal.agent_id)) {
      return tl::unexpected(*fence);
    }
    return fail(
        ErrorKind::kForbidden, "not_your_task",
        fmt::format("task {} is not yours: an agent changes only the tasks it holds", task->id));
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "status" || key == "reason") continue;
    if (key == "assignee" && value.is_null()) continue;
    return fail(ErrorKind::kForbidden, "agent_field",
                fmt::format("an agent may change a task's status (and give it back with "
                            "assignee null), not its {}",
                            key));
  }
  return {};
}

Awaitable<Result<Response>> patch_task(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"status", "priority", "title", "description", "role",
                                    "assignee", "depends_on", "reason"});
      !st) {
    co_return tl::unexpected(st.error());
  }
  if (auto st = agent_may_change(s, request, *body); !st) co_return tl::unexpected(st.error());
  TaskChange change;
  auto status = optional_string(*body, "status");
  if (!status) co_return tl::unexpected(status.error());
  if (*status) {
    auto st = status_from(**status);
    if (!st) co_return tl::unexpected(st.error());
    change.status = *st;
  }
  auto priority = optional_priority(*body);
  if (!priority) co_return tl::unexpected(priority.error());
  change.priority = *priority;
  for (auto [key, target] :
       {std::pair{"title", &change.title}, std::pair{"description", &change.description},
        std::pair{"role", &change.role}}) {
    auto v = optional_string(*body, key);
    if (!v) co_return tl::unexpected(v.error());
    *target = *v;
  }
  if (auto it = body->find("assignee"); it != body->end()) {
    if (it->is_null()) {
      change.assignee = std::optional<std::string>();
    } else if (!it->is_string()) {
      co_return bad_request("invalid_field",
                            "field 'assignee' must be an agent name or id, or null");
    } else {
      auto id = agent_id_of(s, it->get<std::string>());
      if (!id) co_return tl::unexpected(id.error());
      change.assignee = std::optional<std::string>(*id);
    }
  }
  auto deps = optional_ids(*body, "depends_on");
  if (!deps) co_return tl::unexpected(deps.error());
  change.depends_on = *deps;
  auto reason = optional_string(*body, "reason");
  if (!reason) co_return tl::unexpected(reason.error());
  change.reason = reason->value_or("");
  if (change.reason.size() > kMaxReason) {
    co_return bad_request("invalid_field",
                          fmt::format("reason must be at most {} bytes", kMaxReason));
  }
  co_return co_await apply_change(s, request, request.params["id"], change);
}

Awaitable<Result<Response>> delete_task(Services& s, Request& request) {
  const std::string id = request.params["id"];
  const std::string by = request.principal.name();
  if (auto st = co_await on_board(s, [&](TaskBoard& board) { return board.remove(id, by); }); !st) {
    co_return tl::unexpected(st.error());
  }
  co_return Response::json(Json{{"ok", true}, {"id", id}});
}

// The whole board as beads' JSONL issues (crew/beads_transfer.h).
Result<Response> get_export(Services& s, Request& /*request*/) {
  TRY(lines, export_beads(s.store));
  Response r;
  r.content_type = "application/x-ndjson";
  r.body = std::move(*lines);
  return r;
}

// A beads JSONL file (or a bosun export) as the body; ?dry_run=true reports what it would do.
Awaitable<Result<Response>> post_import(Services& s, Request& request) {
  bool dry_run = false;
  if (const std::string* dry = request.query_param("dry_run")) {
    if (*dry != "true" && *dry != "false" && *dry != "1" && *dry != "0") {
      co_return bad_request("invalid_query", "dry_run must be true or false");
    }
    dry_run = *dry == "true" || *dry == "1";
  }
  CO_TRY(file, parse_beads(request.body));
  const std::string by = request.principal.name();
  CO_TRY(summary, co_await on_board(s, [&](TaskBoard& board) {
           return board.import(std::move(file->tasks), std::move(file->notes), by, dry_run);
         }));
  Json out = to_json(*summary);
  out["dry_run"] = dry_run;
  co_return Response::json(out);
}

// A claim by an agent in a worktree starts the task's branch there, as the supervisor's
// dispatch does; a worktree that cannot switch (uncommitted changes, the branch checked out
// elsewhere) puts the task back on the board and the refusal names the files.
Awaitable<Result<Response>> post_claim(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"agent"}); !st) co_return tl::unexpected(st.error());
  auto agent = optional_string(*body, "agent");
  if (!agent) co_return tl::unexpected(agent.error());
  std::string agent_id;
  bool is_agent = request.principal.kind == Principal::Kind::kAgent;
  if (*agent) {
    auto id = agent_id_of(s, **agent);
    if (!id) co_return tl::unexpected(id.error());
    agent_id = *id;
    if (is_agent && agent_id != request.principal.agent_id) {
      co_return fail(ErrorKind::kForbidden, "forbidden",
                     "an agent may claim tasks only for itself");
    }
  } else if (is_agent) {
    agent_id = request.principal.agent_id;
  } else {
    co_return bad_request("missing_field",
                          "field 'agent' is required (the agent that takes the task)");
  }
  const std::string id = request.params["id"];
  const std::string by = request.principal.name();
  // A pipeline step's task is worked in its run's project by an agent of its role.
  if (auto current = s.store.tasks().find(id); current && current->is_step()) {
    auto view = s.agents.view(agent_id);
    if (!view) co_return tl::unexpected(view.error());
    if (!may_take(*view, *current)) {
      co_return fail(ErrorKind::kConflict, "step_elsewhere",
                     fmt::format("{} is step {} of pipeline run {}: only an agent of role {} in "
                                 "its project takes it",
                                 id, *current->step, *current->pipeline_run_id, current->role));
    }
  }
  auto task = co_await on_board(
      s, [&](TaskBoard& board) { return board.claim(id, agent_id, by, "claimed"); });
  if (!task) co_return tl::unexpected(task.error());
  auto started = co_await s.task_branches.begin(id, agent_id);
  if (!started) {
    TaskChange back;
    back.status = TaskStatus::kPending;
    back.assignee = std::optional<std::string>();
    back.reason = fmt::format("not started: {}", started.error().error.message);
    if (auto st =
            co_await on_board(s, [&](TaskBoard& board) { return board.update(id, back, by); });
        !st) {
      co_return tl::unexpected(st.error());
    }
    co_return refusal_response(started.error());
  }
  auto now = s.store.tasks().find(id);
  if (!now) co_return tl::unexpected(now.error());
  co_return Response::json(to_json(*now));
}

Awaitable<Result<Response>> post_comment(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"body"}); !st) co_return tl::unexpected(st.error());
  auto text = require_string(*body, "body");
  if (!text) co_return tl::unexpected(text.error());
  const std::string id = request.params["id"];
  const std::string by = request.principal.name();
  auto comment =
      co_await on_board(s, [&](TaskBoard& board) { return board.comment(id, by, *text); });
  if (!comment) co_return tl::unexpected(comment.error());
  co_return Response::json(to_json(*comment), 201);
}

Result<Response> get_comments(Services& s, Request& request) {
  const std::string& id = request.params["id"];
  if (auto task = s.store.tasks().find(id); !task) return tl::unexpected(task.error());
  auto comments = s.store.tasks().comments(id);
  if (!comments) return tl::unexpected(comments.error());
  Json list = Json::array();
  for (const auto& c : *comments)
    list.push_back(to_json(c));
  return Response::json(Json{{"comments", std::move(list)}});
}

Result<Response> get_history(Services& s, Request& request) {
  const std::string& id = request.params["id"];
  if (auto task = s.store.tasks().find(id); !task) return tl::unexpected(task.error());
  auto history = s.store.tasks().history(id);
  if (!history) return tl::unexpected(history.error());
  Json list = Json::array();
  for (const auto& h : *history)
    list.push_back(to_json(h));
  return Response::json(Json{{"history", std::move(list)}});
}

Awaitable<Result<Response>> post_report(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = validate_report(*body); !st) co_return tl::unexpected(st.error());
  std::optional<std::string> agent_id;
  if (request.principal.kind == Principal::Kind::kAgent) agent_id = request.principal.agent_id;
  const std::string id = request.params["id"];
  const std::string by = request.principal.name();
  auto done =
      co_await on_board(s, [&](TaskBoard& board) { return board.report(id, *body, by, agent_id); });
  if (!done) co_return tl::unexpected(done.error());
  if (done->task.status == TaskStatus::kReview) s.verifier.check(done->report.id);
  co_return Response::json(Json{{"report", to_json(done->report)}, {"task", to_json(done->task)}},
                           201);
}

Result<Response> get_reports(Services& s, Request& request) {
  const std::string& id = request.params["id"];
  if (auto task = s.store.tasks().find(id); !task) return tl::unexpected(task.error());
  auto reports = s.store.tasks().reports(id);
  if (!reports) return tl::unexpected(reports.error());
  Json list = Json::array();
  for (const auto& r : *reports)
    list.push_back(to_json(r));
  return Response::json(Json{{"reports", std::move(list)}});
}

// In a project with worktrees the task's own branch is merged first; the task is done only
// when that landed (a refused merge is 409/422 with the files, and the task stays in review).
Awaitable<Result<Response>> post_approve(Services& s, Request& request) {
  auto body = parse_json_object(request.body.empty() ? std::string("{}") : request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"note"}); !st) co_return tl::unexpected(st.error());
  auto note = optional_string(*body, "note");
  if (!note) co_return tl::unexpected(note.error());
  if (*note && (*note)->size() > kMaxReason) {
    co_return bad_request("invalid_field",
                          fmt::format("note must be at most {} bytes", kMaxReason));
  }
  const std::string id = request.params["id"];
  auto current = s.store.tasks().find(id);
  if (!current) co_return tl::unexpected(current.error());
  if (current->held_by_run() && current->status == TaskStatus::kReview) {
    // A pipeline's task lands through its run, which ends with it.
    std::string run = *current->pipeline_run_id;
    std::string by = request.principal.name();
    std::optional<std::string> text = *note;
    auto r = co_await s.pipelines.approve(run, by, text);
    if (!r) co_return refusal_response(r.error());
    auto task = s.store.tasks().find(id);
    if (!task) co_return tl::unexpected(task.error());
    Json out = to_json(*task);
    out["merge"] = r->value("merge", Json());
    co_return Response::json(out);
  }
  if (current->branch) {
    auto r = co_await s.task_branches.approve(id, request.principal.name(), *note);
    if (!r) co_return refusal_response(r.error());
    Json out = (*r)["task"];
    out["merge"] = (*r)["merge"];
    co_return Response::json(out);
  }
  const std::string by = request.principal.name();
  auto task = co_await on_board(s, [&](TaskBoard& board) { return board.approve(id, by, *note); });
  if (!task) co_return tl::unexpected(task.error());
  co_return Response::json(to_json(*task));
}

// GET /api/v1/tasks/{id}/diff[?file=PATH][&whitespace=ignore][&max_bytes=N]
Awaitable<Result<Response>> get_task_diff(Services& s, Request& request) {
  git::BranchDiffOptions options;
  if (const std::string* file = request.query_param("file")) {
    if (file->empty() || file->size() > 4096 || file->find('\0') != std::string::npos) {
      co_return bad_request("invalid_query", "file must be a path of 1 to 4096 bytes");
    }
    options.file = *file;
  }
  if (const std::string* ws = request.query_param("whitespace")) {
    if (*ws != "ignore" && *ws != "show") {
      co_return bad_request("invalid_query", "whitespace must be ignore or show");
    }
    options.ignore_whitespace = *ws == "ignore";
  }
  auto max = query_int(request, "max_bytes", int64_t{512} * 1024, 1024, int64_t{8} << 20);
  if (!max) co_return tl::unexpected(max.error());
  options.max_patch = static_cast<size_t>(*max);
  auto r = co_await s.task_branches.diff(request.params["id"], options);
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_task_rebase(Services& s, Request& request) {
  auto r = co_await s.task_branches.rebase(request.params["id"]);
  if (!r) co_return refusal_response(r.error());
  co_return Response::json(*r);
}

Awaitable<Result<Response>> post_reject(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (auto st = only_fields(*body, {"reason"}); !st) co_return tl::unexpected(st.error());
  auto reason = require_string(*body, "reason");
  if (!reason) co_return tl::unexpected(reason.error());
  if (reason->find_first_not_of(" \t\r\n") == std::string::npos || reason->size() > kMaxReason) {
    co_return bad_request("invalid_field", fmt::format("reason must be 1 to {} bytes", kMaxReason));
  }
  const std::string id = request.params["id"];
  const std::string by = request.principal.name();
  auto task = co_await on_board(s, [&](TaskBoard& board) { return board.reject(id, by, *reason); });
  if (!task) co_return tl::unexpected(task.error());
  co_return Response::json(to_json(*task));
}

}  // namespace

std::vector<Route> task_routes() {
  return {
      {"POST", "/api/v1/tasks", Access::kAny, nullptr, post_task},
      {"GET", "/api/v1/tasks", Access::kAny, get_tasks},
      {"GET", "/api/v1/tasks/ready", Access::kAny, get_ready},
      {"GET", "/api/v1/tasks/export", Access::kUser, get_export},
      {"POST", "/api/v1/tasks/import", Access::kUser, nullptr, post_import},
      {"GET", "/api/v1/tasks/{id}", Access::kAny, get_task},
      {"PATCH", "/api/v1/tasks/{id}", Access::kAny, nullptr, patch_task},
      {"DELETE", "/api/v1/tasks/{id}", Access::kUser, nullptr, delete_task},
      {"POST", "/api/v1/tasks/{id}/claim", Access::kAny, nullptr, post_claim},
      {"POST", "/api/v1/tasks/{id}/comments", Access::kAny, nullptr, post_comment},
      {"GET", "/api/v1/tasks/{id}/comments", Access::kAny, get_comments},
      {"GET", "/api/v1/tasks/{id}/history", Access::kAny, get_history},
      {"POST", "/api/v1/tasks/{id}/reports", Access::kAny, nullptr, post_report},
      {"GET", "/api/v1/tasks/{id}/reports", Access::kAny, get_reports},
      {"GET", "/api/v1/tasks/{id}/diff", Access::kAny, nullptr, get_task_diff},
      {"POST", "/api/v1/tasks/{id}/approve", Access::kUser, nullptr, post_approve},
      {"POST", "/api/v1/tasks/{id}/rebase", Access::kUser, nullptr, post_task_rebase},
      {"POST", "/api/v1/tasks/{id}/reject", Access::kUser, nullptr, post_reject},
  };
}

}  // namespace bosun
