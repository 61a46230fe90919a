// Task reports: rows of the reports table — what agents submitted and what the check found.
#include <fmt/format.h>

#include "store/rows.h"
#include "store/tasks.h"
#include "util/clock.h"

namespace bosun {

namespace {

constexpr const char* kReportSelect =
    "SELECT id, task_id, agent_id, author, status, body, verified, check_log, created_at,"
    " checked_at FROM reports";

TaskReport report_from_row(const Statement& s) {
  TaskReport r;
  r.id = s.get_int(0);
  r.task_id = s.get_text(1);
  r.agent_id = s.get_optional_text(2);
  r.author = s.get_text(3);
  r.status = s.get_text(4);
  r.body = Json::parse(s.get_text(5), nullptr, false);
  if (r.body.is_discarded()) r.body = Json::object();
  r.verified = s.get_text(6);
  r.check_log = s.get_text(7);
  r.created_at_ms = s.get_int(8);
  r.checked_at_ms = s.get_optional_int(9);
  return r;
}

}  // namespace

Json to_json(const TaskReport& r) {
  return Json{
      {"id", r.id},
      {"task_id", r.task_id},
      {"agent_id", r.agent_id ? Json(*r.agent_id) : Json()},
      {"author", r.author},
      {"status", r.status},
      {"body", r.body},
      {"verified", r.verified},
      {"check_log", r.check_log},
      {"created_at", format_time(from_unix_ms(r.created_at_ms))},
      {"checked_at", r.checked_at_ms ? Json(format_time(from_unix_ms(*r.checked_at_ms))) : Json()}};
}

Result<TaskReport> TaskStore::add_report(const TaskReport& r) {
  auto stmt = db_.prepare(
      "INSERT INTO reports(task_id, agent_id, author, status, body, verified, check_log,"
      " created_at, checked_at) VALUES(?,?,?,?,?,?,?,?,?) RETURNING id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, r.task_id).bind(2, r.agent_id).bind(3, r.author).bind(4, r.status);
  stmt->bind(5, dump_json(r.body)).bind(6, r.verified).bind(7, r.check_log);
  stmt->bind(8, r.created_at_ms).bind(9, r.checked_at_ms);
  TRY(id, inserted_id(*stmt));
  return find_report(*id);
}

Result<TaskReport> TaskStore::find_report(int64_t id) {
  auto stmt = db_.prepare(std::string(kReportSelect) + " WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("report_not_found", fmt::format("no report {}", id));
  return report_from_row(*stmt);
}

Result<std::vector<TaskReport>> TaskStore::reports(const std::string& task_id) {
  auto stmt = db_.prepare(std::string(kReportSelect) + " WHERE task_id = ? ORDER BY id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, task_id);
  return collect<TaskReport>(stmt, report_from_row);
}

Result<std::vector<TaskReport>> TaskStore::unchecked_reports() {
  auto stmt = db_.prepare(std::string(kReportSelect) +
                          " WHERE verified = 'pending' AND status IN ('done', 'partial')"
                          " ORDER BY id");
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<TaskReport>(stmt, report_from_row);
}

Status TaskStore::record_check(int64_t report_id, const std::string& verified,
                               const std::string& log, int64_t now_ms) {
  auto stmt = db_.prepare(
      "UPDATE reports SET verified = ?2, check_log = ?3, checked_at = ?4 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, report_id).bind(2, verified).bind(3, log).bind(4, now_ms);
  if (auto st = stmt->run(); !st) return st;
  if (db_.changes() != 1)
    return not_found("report_not_found", fmt::format("no report {}", report_id));
  return {};
}

}  // namespace bosun
