// PipelineRuns (store): the pipeline_runs table; a run's steps are one JSON column, written
// whole with the run, so a run and its steps never disagree.
#include "store/pipeline_runs.h"

#include <fmt/format.h>

#include "store/rows.h"

namespace bosun {
namespace {

constexpr const char* kColumns =
    "id, pipeline, definition, file, task_id, project_id, branch, worktree, base_branch,"
    " base_commit, mode, state, reason, loops, steps, merged_commit, created_by, created_at,"
    " updated_at, ended_at";

std::vector<std::string> strings(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& s : j) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::optional<int64_t> number(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

Json stored(const StepRun& s) {
  Json gates = Json::array();
  for (const auto& g : s.gates) {
    gates.push_back(
        Json{{"gate", g.gate}, {"result", g.result}, {"evidence", g.evidence}, {"at", g.at_ms}});
  }
  return Json{{"id", s.id},
              {"state", s.state},
              {"attempts", s.attempts},
              {"resumed", s.resumed},
              {"discard", s.discard},
              {"start_commit", s.start_commit},
              {"end_commit", s.end_commit},
              {"commits", s.commits},
              {"handoffs", s.handoffs},
              {"headless_runs", s.headless_runs},
              {"tasks", s.tasks},
              {"changed", s.changed},
              {"test_files", s.test_files},
              {"output", s.output},
              {"report", s.report},
              {"gates", gates},
              {"evidence", s.evidence},
              {"comments", s.comments},
              {"started_at", s.started_at_ms ? Json(*s.started_at_ms) : Json()},
              {"ended_at", s.ended_at_ms ? Json(*s.ended_at_ms) : Json()}};
}

StepRun step_from(const Json& j) {
  StepRun s;
  s.id = string_field(j, "id");
  s.state = string_field(j, "state");
  s.attempts = static_cast<int>(number(j, "attempts").value_or(0));
  s.resumed = j.value("resumed", false);
  s.discard = j.value("discard", false);
  s.start_commit = string_field(j, "start_commit");
  s.end_commit = string_field(j, "end_commit");
  s.commits = strings(j.value("commits", Json()));
  if (auto it = j.find("handoffs"); it != j.end() && it->is_array()) {
    for (const auto& h : *it) {
      if (h.is_object()) s.handoffs.push_back(h);
    }
  }
  s.headless_runs = strings(j.value("headless_runs", Json()));
  s.tasks = strings(j.value("tasks", Json()));
  s.changed = strings(j.value("changed", Json()));
  s.test_files = strings(j.value("test_files", Json()));
  s.output = string_field(j, "output");
  s.report = j.value("report", Json());
  if (auto it = j.find("gates"); it != j.end() && it->is_array()) {
    for (const auto& g : *it) {
      s.gates.push_back(GateResult{string_field(g, "gate"), string_field(g, "result"),
                                   string_field(g, "evidence"), number(g, "at").value_or(0)});
    }
  }
  s.evidence = string_field(j, "evidence");
  s.comments = string_field(j, "comments");
  s.started_at_ms = number(j, "started_at");
  s.ended_at_ms = number(j, "ended_at");
  return s;
}

PipelineRun row(const Statement& s) {
  PipelineRun r;
  r.id = s.get_text(0);
  r.pipeline = s.get_text(1);
  r.definition = s.get_text(2);
  r.file = s.get_text(3);
  r.task_id = s.get_text(4);
  r.project_id = s.get_text(5);
  r.branch = s.get_text(6);
  r.worktree = s.get_text(7);
  r.base_branch = s.get_text(8);
  r.base_commit = s.get_text(9);
  r.mode = s.get_text(10);
  r.state = s.get_text(11);
  r.reason = s.get_text(12);
  r.loops = static_cast<int>(s.get_int(13));
  Json steps = Json::parse(s.get_text(14), nullptr, false);
  if (steps.is_array()) {
    for (const auto& j : steps) {
      if (j.is_object()) r.steps.push_back(step_from(j));
    }
  }
  r.merged_commit = s.get_text(15);
  r.created_by = s.get_text(16);
  r.created_at_ms = s.get_int(17);
  r.updated_at_ms = s.get_int(18);
  r.ended_at_ms = s.get_optional_int(19);
  return r;
}

void bind_all(Statement& s, const PipelineRun& r) {
  Json steps = Json::array();
  for (const auto& step : r.steps)
    steps.push_back(stored(step));
  s.bind(1, r.id).bind(2, r.pipeline).bind(3, r.definition).bind(4, r.file).bind(5, r.task_id);
  s.bind(6, r.project_id).bind(7, r.branch).bind(8, r.worktree).bind(9, r.base_branch);
  s.bind(10, r.base_commit).bind(11, r.mode).bind(12, r.state).bind(13, r.reason);
  s.bind(14, r.loops).bind(15, dump_json(steps)).bind(16, r.merged_commit);
  s.bind(17, r.created_by).bind(18, r.created_at_ms).bind(19, r.updated_at_ms);
  s.bind(20, r.ended_at_ms);
}

}  // namespace

StepRun* PipelineRun::step(const std::string& id) {
  for (auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const StepRun* PipelineRun::step(const std::string& id) const {
  for (const auto& s : steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

Json to_json(const GateResult& g) {
  return Json{{"gate", g.gate},
              {"result", g.result},
              {"evidence", g.evidence},
              {"at", time_or_null(g.at_ms ? std::optional<int64_t>(g.at_ms) : std::nullopt)}};
}

Json to_json(const StepRun& s) {
  Json gates = Json::array();
  for (const auto& g : s.gates)
    gates.push_back(to_json(g));
  return Json{{"id", s.id},
              {"state", s.state},
              {"attempts", s.attempts},
              {"start_commit", s.start_commit.empty() ? Json() : Json(s.start_commit)},
              {"end_commit", s.end_commit.empty() ? Json() : Json(s.end_commit)},
              {"commits", s.commits},
              {"handoffs", s.handoffs},
              {"headless_runs", s.headless_runs},
              {"tasks", s.tasks},
              {"changed", s.changed},
              {"test_files", s.test_files},
              {"output", s.output},
              {"report", s.report},
              {"gates", gates},
              {"evidence", s.evidence.empty() ? Json() : Json(s.evidence)},
              {"comments", s.comments.empty() ? Json() : Json(s.comments)},
              {"started_at", time_or_null(s.started_at_ms)},
              {"ended_at", time_or_null(s.ended_at_ms)}};
}

Json to_json(const PipelineRun& r) {
  Json steps = Json::array();
  for (const auto& s : r.steps)
    steps.push_back(to_json(s));
  return Json{{"id", r.id},
              {"pipeline", r.pipeline},
              {"file", r.file},
              {"task_id", r.task_id},
              {"project_id", r.project_id},
              {"branch", r.branch},
              {"worktree", r.worktree},
              {"base_branch", r.base_branch},
              {"base_commit", r.base_commit},
              {"mode", r.mode},
              {"state", r.state},
              {"reason", r.reason.empty() ? Json() : Json(r.reason)},
              {"loops", r.loops},
              {"steps", steps},
              {"merged_commit", r.merged_commit.empty() ? Json() : Json(r.merged_commit)},
              {"created_by", r.created_by},
              {"created_at", format_time(from_unix_ms(r.created_at_ms))},
              {"updated_at", format_time(from_unix_ms(r.updated_at_ms))},
              {"ended_at", time_or_null(r.ended_at_ms)}};
}

Status PipelineRunStore::insert(const PipelineRun& r) {
  auto stmt = db_.prepare(fmt::format(
      "INSERT INTO pipeline_runs({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  bind_all(*stmt, r);
  TRY_OK(stmt->run());
  if (host_.empty()) return {};
  auto mine = db_.prepare("UPDATE pipeline_runs SET host = ?2 WHERE id = ?1");
  if (!mine) return tl::unexpected(mine.error());
  mine->bind(1, r.id).bind(2, host_);
  return mine->run();
}

Result<bool> PipelineRunStore::here(const std::string& id) {
  if (host_.empty()) return true;
  auto stmt = db_.prepare("SELECT host FROM pipeline_runs WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  TRY(row, stmt->step());
  return !*row || stmt->get_text(0).empty() || stmt->get_text(0) == host_;
}

Status PipelineRunStore::update(const PipelineRun& r) {
  static const std::string upsert = upsert_sql("pipeline_runs", kColumns, "id");
  auto stmt = db_.prepare(upsert);
  if (!stmt) return tl::unexpected(stmt.error());
  bind_all(*stmt, r);
  return stmt->run();
}

Result<std::optional<PipelineRun>> PipelineRunStore::find(const std::string& id) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM pipeline_runs WHERE id = ?1", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto more = stmt->step();
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<PipelineRun>();
  return std::optional<PipelineRun>(row(*stmt));
}

Result<std::vector<PipelineRun>> PipelineRunStore::list(const std::optional<std::string>& state,
                                                        const std::optional<std::string>& task_id,
                                                        int limit) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM pipeline_runs WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR "
      "task_id = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3",
      kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, state).bind(2, task_id).bind(3, limit);
  return collect<PipelineRun>(stmt, row);
}

Result<std::vector<PipelineRun>> PipelineRunStore::unfinished() {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM pipeline_runs WHERE state NOT IN ('merged', 'failed', 'cancelled')"
      " AND (?1 = '' OR host = ?1 OR host = '') ORDER BY created_at, id",
      kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, host_);
  return collect<PipelineRun>(stmt, row);
}

}  // namespace bosun
