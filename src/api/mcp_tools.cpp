// McpTools: one row per tool (name, schema, what it calls), and the calls.
#include "api/mcp_tools.h"

#include <chrono>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "agent/registry.h"
#include "api/event_wait.h"
#include "api/route_call.h"
#include "api/services.h"
#include "crew/current_task.h"
#include "util/files.h"
#include "util/text.h"

namespace bosun {

namespace {

// How long `report` waits for its check before answering that it is still running.
constexpr std::chrono::seconds kReportCheckWait{30};

constexpr size_t kSubjectBytes = 200;  // the mailbox's limit on a subject

Awaitable<Result<Json>> route(ToolCall& call, std::string method, std::string target,
                              Json body = nullptr) {
  co_return co_await call_route(call.services, call.caller, std::move(method), std::move(target),
                                std::move(body));
}

std::string arg(const ToolCall& call, const char* key) {
  auto it = call.args.find(key);
  return it != call.args.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string task_path(const std::string& id, std::string_view rest = {}) {
  return "/api/v1/tasks/" + percent_encode(id) + std::string(rest);
}

// The task the arguments name, else the caller's current one (crew/current_task.h).
Awaitable<Result<std::string>> task_of(ToolCall& call, bool finished_too) {
  std::string given = arg(call, "task");
  if (!given.empty()) co_return given;
  if (call.caller.kind != Principal::Kind::kAgent) {
    co_return bad_request("missing_field", "field 'task' is required (a task id)");
  }
  CO_TRY(tasks, co_await route(
                    call, "GET",
                    "/api/v1/tasks?limit=1000&assignee=" + percent_encode(call.caller.agent_id)));
  std::string id = choose_current_task((*tasks)["tasks"], finished_too);
  if (id.empty()) {
    co_return bad_request("task_unknown",
                          "you have no single current task: name it with field 'task'");
  }
  co_return id;
}

// --- tasks

Awaitable<Result<Json>> run_ready(ToolCall& call) {
  std::string target =
      "/api/v1/tasks/ready?limit=" + std::to_string(call.args.value("limit", int64_t{20}));
  if (std::string role = arg(call, "role"); !role.empty())
    target += "&role=" + percent_encode(role);
  co_return co_await route(call, "GET", target);
}

Awaitable<Result<Json>> run_show(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, true));
  CO_TRY(task, co_await route(call, "GET", task_path(*id)));
  auto comments = co_await route(call, "GET", task_path(*id, "/comments"));
  if (comments) (*task)["comments"] = (*comments)["comments"];
  co_return task;
}

Awaitable<Result<Json>> run_claim(ToolCall& call) {
  co_return co_await route(call, "POST", task_path(arg(call, "task"), "/claim"), Json::object());
}

Awaitable<Result<Json>> run_update(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, false));
  Json body = call.args;
  body.erase("task");
  co_return co_await route(call, "PATCH", task_path(*id), std::move(body));
}

Awaitable<Result<Json>> run_comment(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, true));
  Json body{{"body", arg(call, "body")}};
  co_return co_await route(call, "POST", task_path(*id, "/comments"), std::move(body));
}

// Submits the report, then waits a while for its check, so the answer says how it went.
Awaitable<Result<Json>> run_report(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, false));
  Json body = call.args;
  body.erase("task");
  CO_TRY(done, co_await route(call, "POST", task_path(*id, "/reports"), std::move(body)));
  Json& report = (*done)["report"];
  if (report.value("verified", "") != "pending") co_return done;
  int64_t report_id = report.value("id", int64_t{0});
  // A check with nothing to wait for may have ended already. Nothing suspends between this
  // look and the wait's subscription, so its event cannot slip between them.
  auto now = call.services.store.tasks().find_report(report_id);
  if (now && now->verified == "pending") {
    auto checked = co_await wait_event(
        call.services.bus,
        [report_id](const Event& e) {
          return e.type == "report.checked" &&
                 event_data(e).value("report_id", int64_t{0}) == report_id;
        },
        kReportCheckWait);
    if (!checked) {
      (*done)["check"] = "still running: the task's status (show) says how it ended";
      co_return done;
    }
    now = call.services.store.tasks().find_report(report_id);
  }
  if (!now) co_return done;
  report["verified"] = now->verified;
  report["check_log"] = now->check_log;
  auto task = co_await route(call, "GET", task_path(*id));
  if (task) (*done)["task"] = std::move(*task);
  co_return done;
}

// --- mail

Awaitable<Result<Json>> run_inbox(ToolCall& call) {
  std::string target =
      "/api/v1/inbox?limit=" + std::to_string(call.args.value("limit", int64_t{20}));
  if (call.args.value("unread", false)) target += "&unread=1";
  co_return co_await route(call, "GET", target);
}

Awaitable<Result<Json>> run_read(ToolCall& call) {
  std::string path = "/api/v1/messages/" + percent_encode(arg(call, "message"));
  auto read = co_await route(call, "POST", path + "/read", Json::object());
  if (read) co_return read;
  // A message the caller sent (not one to it) is shown without being marked read.
  auto shown = co_await route(call, "GET", path);
  if (shown) co_return shown;
  co_return tl::unexpected(read.error());
}

Awaitable<Result<Json>> run_send(ToolCall& call) {
  Json body{{"to", arg(call, "to")}, {"subject", arg(call, "subject")}};
  for (const char* key : {"body", "type"}) {
    if (call.args.contains(key)) body[key] = call.args[key];
  }
  if (call.args.contains("task")) body["task_id"] = call.args["task"];
  if (call.args.contains("urgent")) body["urgent"] = call.args["urgent"];
  co_return co_await route(call, "POST", "/api/v1/messages", std::move(body));
}

// done | status | blocked: a message of that type to the supervisor about the current task.
Awaitable<Result<Json>> tell_supervisor(ToolCall& call, std::string type) {
  std::string text = arg(call, "text");
  std::string subject = first_line(text, kSubjectBytes);
  if (subject.find_first_not_of(' ') == std::string::npos) {
    co_return bad_request("invalid_arguments", "'text' must say something");
  }
  Json body{{"to", "supervisor"}, {"type", type}, {"subject", subject}};
  if (subject != text) body["body"] = text;  // the whole text when it is longer
  auto task = co_await task_of(call, type == "done");
  if (task) body["task_id"] = *task;
  co_return co_await route(call, "POST", "/api/v1/messages", std::move(body));
}

Awaitable<Result<Json>> run_done(ToolCall& call) {
  co_return co_await tell_supervisor(call, "done");
}
Awaitable<Result<Json>> run_status(ToolCall& call) {
  co_return co_await tell_supervisor(call, "status");
}
Awaitable<Result<Json>> run_blocked(ToolCall& call) {
  co_return co_await tell_supervisor(call, "blocked");
}

// --- context

Awaitable<Result<Json>> run_instructions(ToolCall& call) {
  CO_TRY(text, co_await instructions_text(call.services, call.caller));
  co_return Json{{"instructions", std::move(*text)}};
}

Awaitable<Result<Json>> run_decisions(ToolCall& call) {
  co_return co_await decisions_for(call.services, call.caller, arg(call, "project"),
                                   arg(call, "role"));
}

Awaitable<Result<Json>> run_decision_add(ToolCall& call) {
  std::string project = arg(call, "project");
  if (project.empty() && call.caller.kind == Principal::Kind::kAgent) {
    if (auto me = call.services.agents.view(call.caller.agent_id); me && me->record.project_id) {
      project = *me->record.project_id;
    }
  }
  if (project.empty()) {
    co_return bad_request("missing_field", "field 'project' is required (you are in none)");
  }
  Json body = call.args;
  body.erase("project");
  co_return co_await route(
      call, "POST", "/api/v1/projects/" + percent_encode(project) + "/decisions", std::move(body));
}

// What the next context needs to carry on: the task, what was said on it, the reports and
// their checks, and how it moved.
Awaitable<Result<Json>> run_handoff(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, true));
  CO_TRY(task, co_await route(call, "GET", task_path(*id)));
  Json out{{"task", std::move(*task)}};
  for (const char* part : {"comments", "reports", "history"}) {
    auto got = co_await route(call, "GET", task_path(*id, std::string("/") + part));
    if (got) out[part] = (*got)[part];
  }
  co_return out;
}

Awaitable<Result<Json>> run_journal_add(ToolCall& call) {
  co_return co_await route(call, "POST", "/api/v1/journal", call.args);
}

// --- pipelines

// The run the task is a step of, and which step: what came before (outputs, handoffs, gates)
// and what bosun will check.
Awaitable<Result<Json>> run_step(ToolCall& call) {
  CO_TRY(id, co_await task_of(call, true));
  CO_TRY(task, co_await route(call, "GET", task_path(*id)));
  if (!(*task)["step"].is_string() || !(*task)["pipeline_run"].is_string()) {
    co_return not_found("not_a_step", fmt::format("{} is not a step of a pipeline run", *id));
  }
  std::string run = (*task)["pipeline_run"];
  CO_TRY(shown, co_await route(call, "GET", "/api/v1/pipeline-runs/" + percent_encode(run)));
  co_return Json{{"task", *id}, {"step", (*task)["step"]}, {"run", std::move(*shown)}};
}

// --- crew

Awaitable<Result<Json>> run_agents(ToolCall& call) {
  CO_TRY(all, co_await route(call, "GET", "/api/v1/agents"));
  Json crew = Json::array();
  for (const auto& a : (*all)["agents"]) {
    Json row{{"name", a.value("name", "")},
             {"role", a.value("role", "")},
             {"state", a.value("state", "")}};
    crew.push_back(std::move(row));
  }
  co_return Json{{"agents", std::move(crew)}};
}

// --- the table

Json schema(Json properties, const std::vector<std::string>& required = {}) {
  Json s{
      {"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = required;
  return s;
}

Json str(const char* description, size_t max = 0) {
  Json s{{"type", "string"}, {"description", description}, {"minLength", 1}};
  if (max) s["maxLength"] = max;
  return s;
}

Json task_arg(const char* description = "the task id (t_…); default: your current task") {
  return str(description, 64);
}

Json limit_arg() {
  return Json{{"type", "integer"},
              {"minimum", 1},
              {"maximum", 1000},
              {"description", "at most this many (default 20)"}};
}

Json report_schema() {
  Json strings{{"type", "object"}, {"additionalProperties", Json{{"type", "string"}}}};
  Json proof{{"type", "object"},
             {"description", "required for status done: how you know it works"},
             {"properties",
              {{"what_was_done", str("what you changed")},
               {"how_verified", str("the command or check you ran")},
               {"verification_result", str("what it showed")}}}};
  Json change{
      {"type", "object"},
      {"properties",
       {{"file", str("a path in the repository")}, {"description", str("what changed in it")}}},
      {"required", {"file", "description"}}};
  return schema(
      {{"task", task_arg()},
       {"status", Json{{"type", "string"},
                       {"enum", {"done", "partial", "blocked"}},
                       {"description", "done: finished and verified; partial; blocked"}}},
       {"summary", str("one paragraph: what you did")},
       {"changes", Json{{"type", "array"}, {"items", change}, {"description", "files changed"}}},
       {"proof", proof},
       {"notes", Json{{"type", "string"}}},
       {"blocked_reason", Json{{"type", "string"}, {"description", "for status blocked"}}},
       {"new_files", Json{{"type", "array"}, {"items", Json{{"type", "string"}}}}},
       {"schema_changes", Json{{"type", "array"}}},
       {"tech_debt", strings},
       {"handoff", strings},
       {"review",
        Json{{"type", "object"},
             {"description", "reviewers: {verdict: approve|request_changes, comments}"}}}},
      {"status", "summary"});
}

std::vector<McpTool> build_tools() {
  Json none = schema(Json::object());
  Json text_only = schema(
      {{"text", str("what to say (the first line is the subject)", 65536)}, {"task", task_arg()}},
      {"text"});
  return {
      {"ready", "Ready tasks",
       "List tasks that are ready to take: pending, unassigned, every dependency done.",
       schema({{"role", str("only tasks for this role")}, {"limit", limit_arg()}}), true,
       run_ready},
      {"show", "Show a task",
       "Show a task in full: description, status, assignee, branch, dependencies and comments.",
       schema({{"task", task_arg()}}), true, run_show},
      {"claim", "Claim a task",
       "Take a ready task for yourself; it is assigned to you and gets its own branch.",
       schema({{"task", task_arg("the task id (t_…)")}}, {"task"}), false, run_claim},
      {"update", "Update your task",
       "Change your task's status with a reason: in_progress when you start, blocked when you "
       "cannot go on, pending to give it back.",
       schema({{"task", task_arg()},
               {"status", Json{{"type", "string"},
                               {"enum", {"in_progress", "blocked", "pending", "review"}},
                               {"description", "the new status"}}},
               {"reason", str("why (shown in the task's history)", 4096)}},
              {"status"}),
       false, run_update},
      {"comment", "Comment on a task", "Add a comment to a task (progress, a question, a finding).",
       schema({{"task", task_arg()}, {"body", str("the comment", 65536)}}, {"body"}), false,
       run_comment},
      {"report", "Submit a task report",
       "Submit your report when you stop working on a task. bosun checks it itself (the "
       "proof, your commits, the project's tests) and answers with the result: a done "
       "without proof is refused.",
       report_schema(), false, run_report},
      {"inbox", "Your inbox", "Your messages, unread first.",
       schema({{"unread", Json{{"type", "boolean"}, {"description", "only unread ones"}}},
               {"limit", limit_arg()}}),
       true, run_inbox},
      {"read", "Read a message", "Read a message in full and mark it read.",
       schema({{"message", str("the message id (m_…)", 64)}}, {"message"}), false, run_read},
      {"send", "Send a message",
       "Send a message to another agent (by name), to 'user' (the person) or to 'supervisor'.",
       schema({{"to", str("an agent's name, 'user' or 'supervisor'", 64)},
               {"subject", str("one line", 200)},
               {"body", Json{{"type", "string"}, {"maxLength", 65536}}},
               {"task", task_arg("the task it is about (t_…)")},
               {"urgent", Json{{"type", "boolean"}}}},
              {"to", "subject"}),
       false, run_send},
      {"done", "Tell the supervisor you are done",
       "Tell the supervisor your task is done, after submitting its report.", text_only, false,
       run_done},
      {"status", "Tell the supervisor where you are",
       "Tell the supervisor how your task is going (also the answer to a [HEARTBEAT]).", text_only,
       false, run_status},
      {"blocked", "Tell the supervisor you are blocked",
       "Tell the supervisor what keeps you from going on with your task.", text_only, false,
       run_blocked},
      {"instructions", "Your instructions",
       "Your instructions: your role, where you work, how to work with bosun, the project's "
       "decisions for your role.",
       none, true, run_instructions},
      {"decisions", "The project's decisions",
       "The project's recorded gotchas, workarounds, conventions and decisions for your role.",
       schema({{"project", str("a project id or name; default: yours")},
               {"role", str("a role; default: yours")}}),
       true, run_decisions},
      {"decision_add", "Propose a decision",
       "Propose a gotcha, workaround, convention or decision for the project; a person accepts "
       "it before it reaches other agents.",
       schema({{"kind", Json{{"type", "string"},
                             {"enum", {"gotcha", "workaround", "convention", "decision"}}}},
               {"text", str("what to know", 4096)},
               {"roles", Json{{"type", "array"},
                              {"items", Json{{"type", "string"}}},
                              {"description", "the roles it is for; default: all"}}},
               {"project", str("a project id or name; default: yours")}},
              {"kind", "text"}),
       false, run_decision_add},
      {"handoff", "Handoff of your work",
       "Everything needed to carry on with a task after a context reset: the task, its "
       "comments, reports with their checks, and its history.",
       schema({{"task", task_arg()}}), true, run_handoff},
      {"journal_add", "Write in the journal", "Add a line to the crew's journal.",
       schema({{"text", str("the entry", 4096)},
               {"kind", str("a short word: note, finding, … (default note)", 32)}},
              {"text"}),
       false, run_journal_add},
      {"step", "Your pipeline step",
       "When your task is a step of a pipeline run: the run (its task, its steps with their "
       "state, outputs, handoffs and gates) and which step is yours. Hand in the step's output "
       "with `report` on the task (with handoff, and review for a reviewer): bosun merges your "
       "branch into the run's and checks the step's gates itself.",
       schema({{"task", task_arg()}}), true, run_step},
      {"agents", "The crew", "The crew's agents: name, role and state, to know whom to address.",
       none, true, run_agents},
  };
}

}  // namespace

std::span<const McpTool> mcp_tools() {
  static const std::vector<McpTool> tools = build_tools();
  return tools;
}

const McpTool* find_mcp_tool(std::string_view name) {
  for (const auto& t : mcp_tools()) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

Awaitable<Result<std::string>> instructions_text(Services& services, const Principal& caller) {
  if (caller.kind != Principal::Kind::kAgent) {
    co_return bad_request("not_an_agent",
                          "instructions are an agent's own: call with an agent's token");
  }
  auto me = services.agents.view(caller.agent_id);
  if (!me) co_return tl::unexpected(me.error());
  auto text = read_file(services.agents.instructions_file(me->name()));
  if (!text) co_return std::string("You are " + me->name() + ", an agent that bosun runs.\n");
  co_return std::move(*text);
}

Awaitable<Result<Json>> decisions_for(Services& services, const Principal& caller,
                                      std::string project, std::string role) {
  if (caller.kind == Principal::Kind::kAgent) {
    if (auto me = services.agents.view(caller.agent_id)) {
      if (project.empty() && me->record.project_id) project = *me->record.project_id;
      if (role.empty()) role = me->role();
    }
  }
  if (project.empty()) {
    co_return bad_request("missing_field", "field 'project' is required (you are in none)");
  }
  std::string target = "/api/v1/projects/" + percent_encode(project) + "/decisions";
  if (!role.empty()) target += "?role=" + percent_encode(role);
  co_return co_await call_route(services, caller, "GET", target, nullptr);
}

}  // namespace bosun
