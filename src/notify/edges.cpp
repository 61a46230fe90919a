// Edges: the rules from events to the conditions a person hears about.
#include "notify/edges.h"

#include <fmt/format.h>

namespace bosun {
namespace {

using Move = EdgeMove::Move;

EdgeMove make(Move move, std::string key, EdgeKind kind, std::string title = {},
              std::string body = {}, std::string link = {}) {
  EdgeMove m;
  m.move = move;
  m.key = std::move(key);
  m.kind = kind;
  m.title = std::move(title);
  m.body = std::move(body);
  m.link = std::move(link);
  return m;
}

std::string text(const Json& j, const char* key) {
  return string_field(j, key);
}

// The words an agent's waiting screen or hook gave: the question, else what showed it.
std::string question_of(const Json& data) {
  for (const char* key : {"detail", "dialog", "evidence"}) {
    std::string s = text(data, key);
    if (!s.empty()) return s;
  }
  return {};
}

std::string how_it_ended(const Json& data) {
  if (data.contains("error") && data["error"].is_string()) return data["error"].get<std::string>();
  if (data.contains("signal") && data["signal"].is_number_integer() &&
      data["signal"].get<int>() != 0) {
    return fmt::format("killed by signal {}", data["signal"].get<int>());
  }
  if (data.contains("exit_code") && data["exit_code"].is_number_integer()) {
    return fmt::format("exit {}", data["exit_code"].get<int>());
  }
  return "ended";
}

bool unexpected_exit(const Json& data) {
  if (text(data, "then") != "none") return false;  // a person or the supervisor asked for it
  bool signaled = data.contains("signal") && data["signal"].is_number_integer() &&
                  data["signal"].get<int>() != 0;
  bool failed = data.contains("exit_code") && data["exit_code"].is_number_integer() &&
                data["exit_code"].get<int>() != 0;
  bool error = data.contains("error") && data["error"].is_string();
  return signaled || failed || error;
}

void agent_moves(const Event& e, const Json& data, const EdgeFacts& f, std::vector<EdgeMove>& out) {
  const std::string& id = e.subject;
  std::string name = text(data, "name");
  std::string link = "#/terminals/" + name;
  if (e.type == "agent.state") {
    std::string state = text(data, "state");
    if (state == "waiting_input") {
      out.push_back(make(Move::kOpen, "waiting:" + id, EdgeKind::kWaitingInput,
                         fmt::format("{} is waiting for you", name), question_of(data), link));
    } else {
      out.push_back(make(Move::kClose, "waiting:" + id, EdgeKind::kWaitingInput));
    }
    if (state == "idle" || state == "exited") {
      out.push_back(make(Move::kClose, "stuck:" + id, EdgeKind::kStuck));
      out.push_back(make(Move::kClose, "failing:" + id, EdgeKind::kStuck));
    }
  } else if (e.type == "agent.stuck") {
    out.push_back(make(Move::kOpen, "stuck:" + id, EdgeKind::kStuck,
                       fmt::format("{} is stuck", name), text(data, "message"), link));
  } else if (e.type == "agent.failing") {
    out.push_back(make(Move::kOpen, "failing:" + id, EdgeKind::kStuck,
                       fmt::format("{} keeps failing", name),
                       fmt::format("{} API errors within {}; last: {}", data.value("errors", 0),
                                   text(data, "window"), text(data, "detail")),
                       link));
  } else if (e.type == "agent.exited" && unexpected_exit(data)) {
    out.push_back(make(Move::kOnce, fmt::format("exited:{}:{}", id, e.seq), EdgeKind::kExited,
                       fmt::format("{} exited ({})", name, how_it_ended(data)), {}, link));
  } else if (e.type == "agent.lost") {
    out.push_back(make(Move::kOnce, fmt::format("lost:{}:{}", id, e.seq), EdgeKind::kExited,
                       fmt::format("{} was lost", name), text(data, "reason"), link));
  } else if (e.type == "agent.restart_gave_up") {
    out.push_back(make(Move::kOnce, fmt::format("gave_up:{}:{}", id, e.seq), EdgeKind::kExited,
                       fmt::format("{} is not restarted again", name), text(data, "reason"), link));
  } else if (e.type == "agent.removed") {
    for (const char* k : {"waiting:", "stuck:", "failing:"}) {
      out.push_back(make(Move::kClose, k + id, EdgeKind::kStuck));
    }
  }
  for (auto& m : out) {
    m.project = f.agent_project;
    m.role = f.agent_role;
  }
}

void task_moves(const Event& e, const Json& data, const EdgeFacts& f, std::vector<EdgeMove>& out) {
  const Json& task = data.contains("task") && data["task"].is_object() ? data["task"] : data;
  std::string title = text(task, "title");
  std::string from = text(data, "from");
  std::string to = e.type == "task.created" ? text(task, "status") : text(data, "to");
  if (to == "review") {
    out.push_back(make(Move::kOpen, "review:" + e.subject, EdgeKind::kReview,
                       "Task in review: " + title, text(data, "reason"), "#/review/" + e.subject));
  } else if (from == "review") {
    out.push_back(make(Move::kClose, "review:" + e.subject, EdgeKind::kReview));
  }
  for (auto& m : out) {
    m.project = text(task, "project_id");
    m.role = text(task, "role");
  }
  bool ended = to == "done" || to == "cancelled" || to == "failed";
  if (ended && f.board_done) {
    out.push_back(make(Move::kOpen, "board", EdgeKind::kFinished, "The board is done",
                       fmt::format("{} task{} done, nothing left to work on", f.tasks_done,
                                   f.tasks_done == 1 ? "" : "s"),
                       "#/board"));
  } else if (!to.empty() && !ended && to != "backlog") {
    out.push_back(make(Move::kClose, "board", EdgeKind::kFinished));
  }
}

void run_moves(const Event& e, const Json& data, std::vector<EdgeMove>& out) {
  std::string run = text(data, "run");
  if (run.empty()) return;
  std::string link = "#/events";
  if (e.type == "pipeline.run.waiting") {
    out.push_back(make(Move::kOpen, "gate:" + run, EdgeKind::kReview,
                       fmt::format("Pipeline run {} waits for you", run), text(data, "reason"),
                       link));
    return;
  }
  out.push_back(make(Move::kClose, "gate:" + run, EdgeKind::kReview));
  if (e.type == "pipeline.run.review") {
    out.push_back(make(Move::kOpen, "run_review:" + run, EdgeKind::kReview,
                       fmt::format("Pipeline run {} is ready for review", run), {}, link));
  } else if (e.type == "pipeline.run.finished") {
    out.push_back(make(Move::kClose, "run_review:" + run, EdgeKind::kReview));
    out.push_back(make(Move::kOnce, "finished:" + run, EdgeKind::kFinished,
                       fmt::format("Pipeline run {} {}", run, text(data, "state")),
                       text(data, "reason"), link));
  }
}

void provider_moves(const Event& e, const Json& data, std::vector<EdgeMove>& out) {
  std::string provider = e.subject;
  std::string agent = text(data, "agent");
  std::string key = "limit:" + provider + (agent.empty() ? "" : "/" + agent);
  std::string who = agent.empty() ? provider : fmt::format("{} ({})", provider, agent);
  if (e.type == "provider.rate_limited") {
    out.push_back(make(Move::kOpen, key, EdgeKind::kLimit,
                       fmt::format("{} hit its usage limit", who),
                       fmt::format("no new task for it until {}", text(data, "until")), "#/crew"));
  } else {
    auto m = make(Move::kClose, key, EdgeKind::kLimit);
    m.ended_title = fmt::format("{} resumed after its usage limit", who);
    out.push_back(std::move(m));
  }
}

}  // namespace

bool may_move_edges(const std::string& type) {
  return type.starts_with("agent.") || type == "task.updated" || type == "task.created" ||
         type.starts_with("pipeline.run.") || type == "provider.rate_limited" ||
         type == "provider.resumed";
}

std::vector<EdgeMove> edge_moves(const Event& event, const Json& data, const EdgeFacts& facts) {
  std::vector<EdgeMove> out;
  const std::string& type = event.type;
  if (type.starts_with("agent.")) {
    agent_moves(event, data, facts, out);
  } else if (type == "task.updated" || type == "task.created") {
    task_moves(event, data, facts, out);
  } else if (type.starts_with("pipeline.run.")) {
    run_moves(event, data, out);
  } else if (type == "provider.rate_limited" || type == "provider.resumed") {
    provider_moves(event, data, out);
  }
  return out;
}

}  // namespace bosun
