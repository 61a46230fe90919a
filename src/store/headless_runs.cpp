// HeadlessRuns (store): the headless_runs table.
#include "store/headless_runs.h"

#include <fmt/format.h>

#include "store/rows.h"

namespace bosun {
namespace {

constexpr const char* kColumns =
    "id, agent, task_id, profile, argv, cwd, state, success, reason, result_text, turns,"
    " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, session_id,"
    " exit_code, events_path, started_at, ended_at";

HeadlessRunRecord row(const Statement& s) {
  HeadlessRunRecord r;
  r.id = s.get_text(0);
  r.agent = s.get_text(1);
  r.task_id = s.get_optional_text(2);
  r.profile = s.get_text(3);
  Json argv = Json::parse(s.get_text(4), nullptr, false);
  if (argv.is_array()) {
    for (const auto& a : argv) {
      if (a.is_string()) r.argv.push_back(a.get<std::string>());
    }
  }
  r.cwd = s.get_text(5);
  r.state = s.get_text(6);
  if (auto v = s.get_optional_int(7)) r.success = *v != 0;
  r.reason = s.get_text(8);
  r.result_text = s.get_text(9);
  r.turns = s.get_int(10);
  r.input_tokens = s.get_int(11);
  r.output_tokens = s.get_int(12);
  r.cache_read_tokens = s.get_int(13);
  r.cache_write_tokens = s.get_int(14);
  r.cost_usd = s.get_optional_double(15);
  r.session_id = s.get_text(16);
  r.exit_code = s.get_optional_int(17);
  r.events_path = s.get_text(18);
  r.started_at_ms = s.get_int(19);
  r.ended_at_ms = s.get_optional_int(20);
  return r;
}

// Binds every column in kColumns order.
void bind_all(Statement& s, const HeadlessRunRecord& r) {
  s.bind(1, r.id).bind(2, r.agent).bind(3, r.task_id).bind(4, r.profile);
  s.bind(5, dump_json(Json(r.argv))).bind(6, r.cwd).bind(7, r.state);
  if (r.success) {
    s.bind(8, *r.success ? 1 : 0);
  } else {
    s.bind(8, nullptr);
  }
  s.bind(9, r.reason).bind(10, r.result_text).bind(11, r.turns).bind(12, r.input_tokens);
  s.bind(13, r.output_tokens).bind(14, r.cache_read_tokens).bind(15, r.cache_write_tokens);
  if (r.cost_usd) {
    s.bind(16, *r.cost_usd);
  } else {
    s.bind(16, nullptr);
  }
  s.bind(17, r.session_id).bind(18, r.exit_code).bind(19, r.events_path);
  s.bind(20, r.started_at_ms).bind(21, r.ended_at_ms);
}

}  // namespace

Json to_json(const HeadlessRunRecord& r) {
  return Json{{"id", r.id},
              {"agent", r.agent.empty() ? Json() : Json(r.agent)},
              {"task_id", r.task_id ? Json(*r.task_id) : Json()},
              {"profile", r.profile},
              {"argv", r.argv},
              {"cwd", r.cwd},
              {"state", r.state},
              {"success", r.success ? Json(*r.success) : Json()},
              {"reason", r.reason},
              {"text", r.result_text},
              {"turns", r.turns},
              {"usage", Json{{"input_tokens", r.input_tokens},
                             {"output_tokens", r.output_tokens},
                             {"cache_read_tokens", r.cache_read_tokens},
                             {"cache_write_tokens", r.cache_write_tokens}}},
              {"cost_usd", r.cost_usd ? Json(*r.cost_usd) : Json()},
              {"session_id", r.session_id.empty() ? Json() : Json(r.session_id)},
              {"exit_code", r.exit_code ? Json(*r.exit_code) : Json()},
              {"events_path", r.events_path},
              {"started_at", format_time(from_unix_ms(r.started_at_ms))},
              {"ended_at", time_or_null(r.ended_at_ms)}};
}

Json to_json(const UsageTotals& t) {
  return Json{{"runs", t.runs},
              {"input_tokens", t.input_tokens},
              {"output_tokens", t.output_tokens},
              {"cache_read_tokens", t.cache_read_tokens},
              {"cache_write_tokens", t.cache_write_tokens},
              {"cost_usd", t.cost_usd}};
}

Status HeadlessRunStore::insert(const HeadlessRunRecord& r) {
  auto stmt = db_.prepare(fmt::format(
      "INSERT INTO headless_runs({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  bind_all(*stmt, r);
  return stmt->run();
}

Status HeadlessRunStore::update(const HeadlessRunRecord& r) {
  static const std::string upsert = upsert_sql("headless_runs", kColumns, "id");
  auto stmt = db_.prepare(upsert);
  if (!stmt) return tl::unexpected(stmt.error());
  bind_all(*stmt, r);
  return stmt->run();
}

Result<std::optional<HeadlessRunRecord>> HeadlessRunStore::find(const std::string& id) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM headless_runs WHERE id = ?1", kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto more = stmt->step();
  if (!more) return tl::unexpected(more.error());
  if (!*more) return std::optional<HeadlessRunRecord>();
  return std::optional<HeadlessRunRecord>(row(*stmt));
}

Result<std::vector<HeadlessRunRecord>> HeadlessRunStore::list(
    const std::optional<std::string>& agent, const std::optional<std::string>& task_id, int limit) {
  auto stmt = db_.prepare(fmt::format(
      "SELECT {} FROM headless_runs WHERE (?1 IS NULL OR agent = ?1) AND (?2 IS NULL OR "
      "task_id = ?2) ORDER BY started_at DESC, id DESC LIMIT ?3",
      kColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent).bind(2, task_id).bind(3, limit);
  return collect<HeadlessRunRecord>(stmt, row);
}

Result<std::vector<std::pair<std::string, UsageTotals>>> HeadlessRunStore::usage(
    const std::string& by, const std::optional<std::string>& agent,
    const std::optional<std::string>& task_id) {
  // The grouping is one of these fixed expressions, never text from the request.
  std::string_view key;
  if (by == "agent" || by == "task_id") {
    key = by;
  } else if (by == "day") {
    key = db_.kind() == Database::Kind::kSqlite
              ? "date(started_at / 1000, 'unixepoch')"
              : "to_char(to_timestamp(started_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  } else {
    return bad_request("invalid_field", "by: agent, task or day");
  }
  auto stmt = db_.prepare(
      fmt::format("SELECT COALESCE({0}, ''), COUNT(*), SUM(input_tokens), SUM(output_tokens),"
                  " SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(COALESCE(cost_usd, 0))"
                  " FROM headless_runs WHERE state = 'finished' AND (?1 IS NULL OR agent = ?1)"
                  " AND (?2 IS NULL OR task_id = ?2) GROUP BY 1 ORDER BY 1",
                  key));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent).bind(2, task_id);
  return collect<std::pair<std::string, UsageTotals>>(stmt, [](const Statement& s) {
    UsageTotals t;
    t.runs = s.get_int(1);
    t.input_tokens = s.get_int(2);
    t.output_tokens = s.get_int(3);
    t.cache_read_tokens = s.get_int(4);
    t.cache_write_tokens = s.get_int(5);
    t.cost_usd = s.get_optional_double(6).value_or(0);
    return std::pair{s.get_text(0), t};
  });
}

Status HeadlessRunStore::close_abandoned(int64_t now_ms) {
  auto stmt = db_.prepare(
      "UPDATE headless_runs SET state = 'finished', success = 0, reason = 'daemon_stopped',"
      " ended_at = ?1 WHERE state = 'running'");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, now_ms);
  return stmt->run();
}

}  // namespace bosun
