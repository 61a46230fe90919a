// Agents and runs: rows ↔ records.
#include "store/agents.h"

#include <fmt/format.h>

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {
namespace {

std::vector<std::string> argv_from_text(const std::string& text) {
  auto j = Json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& a : j) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

Json parse_or(const std::string& text, const Json& fallback) {
  auto j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

constexpr const char* kAgentColumns =
    "id, name, role, profile, project_id, permanent, state, state_source, state_since, argv, cwd,"
    " env, cols, rows, generation, last_output_at, created_at, token, launch, host";

AgentRecord agent_from_row(const Statement& s) {
  AgentRecord a;
  a.id = s.get_text(0);
  a.name = s.get_text(1);
  a.role = s.get_text(2);
  a.profile = s.get_text(3);
  a.project_id = s.get_optional_text(4);
  a.permanent = s.get_int(5) != 0;
  a.state = s.get_text(6);
  a.state_source = s.get_text(7);
  a.state_since_ms = s.get_int(8);
  a.argv = argv_from_text(s.get_text(9));
  a.cwd = s.get_text(10);
  a.env = parse_or(s.get_text(11), Json::object());
  a.cols = static_cast<int>(s.get_int(12));
  a.rows = static_cast<int>(s.get_int(13));
  a.generation = s.get_int(14);
  a.last_output_ms = s.get_optional_int(15);
  a.created_at_ms = s.get_int(16);
  a.token = s.get_text(17);
  a.launch = parse_or(s.get_text(18), Json::object());
  a.host = s.get_text(19);
  return a;
}

constexpr const char* kRunColumns =
    "id, agent_id, generation, argv, cwd, socket, log_path, state, pid, holder_pid, started_at,"
    " ended_at, exit_code, signal, error, lost_reason, end_offset, gaps";

RunRecord run_from_row(const Statement& s) {
  RunRecord r;
  r.id = s.get_int(0);
  r.agent_id = s.get_text(1);
  r.generation = s.get_int(2);
  r.argv = argv_from_text(s.get_text(3));
  r.cwd = s.get_text(4);
  r.socket = s.get_text(5);
  r.log_path = s.get_text(6);
  r.state = s.get_text(7);
  r.pid = s.get_optional_int(8);
  r.holder_pid = s.get_optional_int(9);
  r.started_at_ms = s.get_int(10);
  r.ended_at_ms = s.get_optional_int(11);
  r.exit_code = s.get_optional_int(12);
  r.signal = s.get_optional_int(13);
  r.error = s.get_optional_text(14);
  r.lost_reason = s.get_optional_text(15);
  r.end_offset = s.get_int(16);
  r.gaps = parse_or(s.get_text(17), Json::array());
  return r;
}

}  // namespace

Json to_json(const RunRecord& run) {
  Json j{{"id", run.id},
         {"generation", run.generation},
         {"argv", run.argv},
         {"cwd", run.cwd},
         {"state", run.state},
         {"pid", run.pid ? Json(*run.pid) : Json()},
         {"holder_pid", run.holder_pid ? Json(*run.holder_pid) : Json()},
         {"started_at", format_time(from_unix_ms(run.started_at_ms))},
         {"ended_at", run.ended_at_ms ? Json(format_time(from_unix_ms(*run.ended_at_ms))) : Json()},
         {"exit_code", run.exit_code ? Json(*run.exit_code) : Json()},
         {"signal", run.signal ? Json(*run.signal) : Json()},
         {"error", run.error ? Json(*run.error) : Json()},
         {"lost_reason", run.lost_reason ? Json(*run.lost_reason) : Json()},
         {"end_offset", run.end_offset},
         {"gaps", run.gaps}};
  return j;
}

Status AgentStore::insert(const AgentRecord& a) {
  auto stmt = db_.prepare(fmt::format(
      "INSERT INTO agents({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kAgentColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, a.id).bind(2, a.name).bind(3, a.role).bind(4, a.profile).bind(5, a.project_id);
  stmt->bind(6, a.permanent ? 1 : 0).bind(7, a.state).bind(8, a.state_source);
  stmt->bind(9, a.state_since_ms).bind(10, dump_json(Json(a.argv))).bind(11, a.cwd);
  stmt->bind(12, dump_json(a.env)).bind(13, a.cols).bind(14, a.rows).bind(15, a.generation);
  stmt->bind(16, a.last_output_ms).bind(17, a.created_at_ms).bind(18, a.token);
  stmt->bind(19, dump_json(a.launch)).bind(20, a.host.empty() ? host_ : a.host);
  return stmt->run();
}

Status AgentStore::update(const AgentRecord& a) {
  auto stmt = db_.prepare(
      "UPDATE agents SET name=?2, role=?3, profile=?4, project_id=?5, permanent=?6, state=?7,"
      " state_source=?8, state_since=?9, argv=?10, cwd=?11, env=?12, cols=?13, rows=?14,"
      " generation=?15, last_output_at=?16, launch=?17, token=?18 WHERE id=?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, a.id).bind(2, a.name).bind(3, a.role).bind(4, a.profile).bind(5, a.project_id);
  stmt->bind(6, a.permanent ? 1 : 0).bind(7, a.state).bind(8, a.state_source);
  stmt->bind(9, a.state_since_ms).bind(10, dump_json(Json(a.argv))).bind(11, a.cwd);
  stmt->bind(12, dump_json(a.env)).bind(13, a.cols).bind(14, a.rows).bind(15, a.generation);
  stmt->bind(16, a.last_output_ms).bind(17, dump_json(a.launch)).bind(18, a.token);
  return stmt->run();
}

Result<AgentCounters> AgentStore::counters(const std::string& id) {
  auto stmt =
      db_.prepare("SELECT tasks_since_reset, reset_count, last_reset_at FROM agents WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("agent_not_found", "no agent " + id);
  AgentCounters c;
  c.tasks_since_reset = stmt->get_int(0);
  c.reset_count = stmt->get_int(1);
  c.last_reset_ms = stmt->get_optional_int(2);
  return c;
}

Status AgentStore::set_counters(const std::string& id, const AgentCounters& c) {
  auto stmt = db_.prepare(
      "UPDATE agents SET tasks_since_reset=?2, reset_count=?3, last_reset_at=?4 WHERE id=?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, c.tasks_since_reset).bind(3, c.reset_count).bind(4, c.last_reset_ms);
  return stmt->run();
}

Status AgentStore::remove(const std::string& id) {
  auto stmt = db_.prepare("DELETE FROM agents WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return stmt->run();
}

Result<AgentRecord> AgentStore::find(const std::string& id_or_name) {
  auto stmt = db_.prepare(
      fmt::format("SELECT {} FROM agents WHERE id = ?1 OR name = ?1 LIMIT 1", kAgentColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id_or_name);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("agent_not_found", "no agent " + id_or_name);
  return agent_from_row(*stmt);
}

Result<std::vector<AgentRecord>> AgentStore::list() {
  auto stmt =
      db_.prepare(fmt::format("SELECT {} FROM agents ORDER BY created_at, name", kAgentColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<AgentRecord>(stmt, agent_from_row);
}

Result<std::vector<AgentRecord>> AgentStore::local() {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM agents WHERE ?1 = '' OR host = ?1 OR host = '' ORDER BY created_at, name",
      kAgentColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, host_);
  return collect<AgentRecord>(stmt, agent_from_row);
}

Result<std::vector<AgentRecord>> AgentStore::on_host(const std::string& host) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM agents WHERE host = ?1 ORDER BY created_at, name", kAgentColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, host);
  return collect<AgentRecord>(stmt, agent_from_row);
}

Result<int64_t> AgentStore::count() {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM agents");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<int64_t> AgentStore::insert_run(const RunRecord& r) {
  auto stmt = db_.prepare(
      "INSERT INTO runs(agent_id, generation, argv, cwd, socket, log_path, state, started_at)"
      " VALUES(?,?,?,?,?,?,?,?) RETURNING id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, r.agent_id).bind(2, r.generation).bind(3, dump_json(Json(r.argv))).bind(4, r.cwd);
  stmt->bind(5, r.socket).bind(6, r.log_path).bind(7, r.state).bind(8, r.started_at_ms);
  return inserted_id(*stmt);
}

Status AgentStore::update_run(const RunRecord& r) {
  auto stmt = db_.prepare(
      "UPDATE runs SET state=?2, pid=?3, holder_pid=?4, ended_at=?5, exit_code=?6, signal=?7,"
      " error=?8, lost_reason=?9, end_offset=?10, gaps=?11 WHERE id=?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, r.id).bind(2, r.state).bind(3, r.pid).bind(4, r.holder_pid);
  stmt->bind(5, r.ended_at_ms).bind(6, r.exit_code).bind(7, r.signal).bind(8, r.error);
  stmt->bind(9, r.lost_reason).bind(10, r.end_offset).bind(11, dump_json(r.gaps));
  return stmt->run();
}

Result<RunRecord> AgentStore::latest_run(const std::string& agent_id) {
  auto stmt = db_.prepare(
      fmt::format("SELECT {} FROM runs WHERE agent_id = ? ORDER BY id DESC LIMIT 1", kRunColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("run_not_found", "agent " + agent_id + " has no run");
  return run_from_row(*stmt);
}

Result<RunRecord> AgentStore::find_run(const std::string& agent_id, int64_t generation) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM runs WHERE agent_id = ? AND generation = ? ORDER BY id DESC LIMIT 1",
      kRunColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id).bind(2, generation);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) {
    return not_found("run_not_found", fmt::format("agent {} has no run {}", agent_id, generation));
  }
  return run_from_row(*stmt);
}

Result<std::vector<RunRecord>> AgentStore::open_runs() {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM runs WHERE state IN ('starting', 'running') ORDER BY id", kRunColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<RunRecord>(stmt, run_from_row);
}

}  // namespace bosun
