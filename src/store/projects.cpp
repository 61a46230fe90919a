// Projects, worktrees and decisions: rows ↔ records.
#include "store/projects.h"

#include <algorithm>

#include <fmt/format.h>

#include "store/rows.h"
#include "util/clock.h"

namespace bosun {
namespace {

constexpr const char* kProjectColumns =
    "id, name, path, tech_stack, base_branch, execution_mode, test_command, setup_command,"
    " cleanup_command, setup_timeout_ms, worktree_include, created_at, updated_at";

constexpr const char* kWorktreeColumns =
    "id, project_id, agent_id, agent_name, path, branch, base_branch, base_commit, state, setup,"
    " backup_ref, merged_at, merge_commit, created_at, removed_at";

constexpr const char* kDecisionColumns =
    "id, project_id, kind, text, roles, author, created_at, proposed, accepted_by";

std::vector<std::string> string_list(const std::string& text) {
  std::vector<std::string> out;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Project project_row(const Statement& s) {
  Project p;
  p.id = s.get_text(0);
  p.name = s.get_text(1);
  p.path = s.get_text(2);
  p.tech_stack = s.get_text(3);
  p.base_branch = s.get_text(4);
  p.execution_mode = s.get_text(5);
  p.test_command = s.get_optional_text(6);
  p.setup_command = s.get_optional_text(7);
  p.cleanup_command = s.get_optional_text(8);
  p.setup_timeout_ms = s.get_int(9);
  p.worktree_include = string_list(s.get_text(10));
  p.created_at_ms = s.get_int(11);
  p.updated_at_ms = s.get_int(12);
  return p;
}

Worktree worktree_row(const Statement& s) {
  Worktree w;
  w.id = s.get_text(0);
  w.project_id = s.get_text(1);
  w.agent_id = s.get_optional_text(2);
  w.agent_name = s.get_text(3);
  w.path = s.get_text(4);
  w.branch = s.get_text(5);
  w.base_branch = s.get_text(6);
  w.base_commit = s.get_text(7);
  w.state = s.get_text(8);
  auto setup = s.get_optional_text(9);
  w.setup = setup ? Json::parse(*setup, nullptr, false) : Json();
  if (w.setup.is_discarded()) w.setup = Json();
  w.backup_ref = s.get_optional_text(10);
  w.merged_at_ms = s.get_optional_int(11);
  w.merge_commit = s.get_optional_text(12);
  w.created_at_ms = s.get_int(13);
  w.removed_at_ms = s.get_optional_int(14);
  return w;
}

Decision decision_row(const Statement& s) {
  Decision d;
  d.id = s.get_int(0);
  d.project_id = s.get_text(1);
  d.kind = s.get_text(2);
  d.text = s.get_text(3);
  d.roles = string_list(s.get_text(4));
  d.author = s.get_text(5);
  d.created_at_ms = s.get_int(6);
  d.proposed = s.get_int(7) != 0;
  d.accepted_by = s.get_optional_text(8);
  return d;
}

}  // namespace

bool valid_decision_kind(std::string_view kind) {
  return std::find(std::begin(kDecisionKinds), std::end(kDecisionKinds), kind) !=
         std::end(kDecisionKinds);
}

Json to_json(const Project& p) {
  return Json{{"id", p.id},
              {"name", p.name},
              {"path", p.path},
              {"tech_stack", p.tech_stack},
              {"base_branch", p.base_branch},
              {"execution_mode", p.execution_mode},
              {"test_command", text_or_null(p.test_command)},
              {"setup_command", text_or_null(p.setup_command)},
              {"cleanup_command", text_or_null(p.cleanup_command)},
              {"setup_timeout_ms", p.setup_timeout_ms},
              {"worktree_include", p.worktree_include},
              {"created_at", format_time(from_unix_ms(p.created_at_ms))},
              {"updated_at", format_time(from_unix_ms(p.updated_at_ms))}};
}

Json to_json(const Worktree& w) {
  return Json{{"id", w.id},
              {"project_id", w.project_id},
              {"agent_id", text_or_null(w.agent_id)},
              {"agent", w.agent_name},
              {"path", w.path},
              {"branch", w.branch},
              {"base_branch", w.base_branch},
              {"base_commit", w.base_commit},
              {"state", w.state},
              {"setup", w.setup},
              {"backup_ref", text_or_null(w.backup_ref)},
              {"merged_at", time_or_null(w.merged_at_ms)},
              {"merge_commit", text_or_null(w.merge_commit)},
              {"created_at", format_time(from_unix_ms(w.created_at_ms))},
              {"removed_at", time_or_null(w.removed_at_ms)}};
}

Json to_json(const Decision& d) {
  return Json{{"id", d.id},
              {"project_id", d.project_id},
              {"kind", d.kind},
              {"text", d.text},
              {"roles", d.roles},
              {"author", d.author},
              {"created_at", format_time(from_unix_ms(d.created_at_ms))},
              {"proposed", d.proposed},
              {"accepted_by", d.accepted_by ? Json(*d.accepted_by) : Json()}};
}

Status ProjectStore::insert(const Project& p) {
  auto stmt = db_.prepare(
      fmt::format("INSERT INTO projects({}) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                  kProjectColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, p.id).bind(2, p.name).bind(3, p.path).bind(4, p.tech_stack).bind(5, p.base_branch);
  stmt->bind(6, p.execution_mode).bind(7, p.test_command).bind(8, p.setup_command);
  stmt->bind(9, p.cleanup_command).bind(10, p.setup_timeout_ms);
  stmt->bind(11, dump_json(Json(p.worktree_include))).bind(12, p.created_at_ms);
  stmt->bind(13, p.updated_at_ms);
  return stmt->run();
}

Status ProjectStore::update(const Project& p) {
  auto stmt = db_.prepare(
      "UPDATE projects SET name=?2, tech_stack=?3, base_branch=?4, execution_mode=?5,"
      " test_command=?6, setup_command=?7, cleanup_command=?8, setup_timeout_ms=?9,"
      " worktree_include=?10, updated_at=?11 WHERE id=?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, p.id).bind(2, p.name).bind(3, p.tech_stack).bind(4, p.base_branch);
  stmt->bind(5, p.execution_mode).bind(6, p.test_command).bind(7, p.setup_command);
  stmt->bind(8, p.cleanup_command).bind(9, p.setup_timeout_ms);
  stmt->bind(10, dump_json(Json(p.worktree_include))).bind(11, p.updated_at_ms);
  return stmt->run();
}

Result<Project> ProjectStore::find(const std::string& id_or_name) {
  auto stmt = db_.prepare(
      fmt::format("SELECT {} FROM projects WHERE id = ?1 OR name = ?1", kProjectColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id_or_name);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("project_not_found", "no project " + id_or_name);
  return project_row(*stmt);
}

Result<std::optional<Project>> ProjectStore::find_by_path(const std::string& path) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM projects WHERE path = ?1", kProjectColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, path);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Project>();
  return std::optional<Project>(project_row(*stmt));
}

Result<std::vector<Project>> ProjectStore::list() {
  auto stmt =
      db_.prepare(fmt::format("SELECT {} FROM projects ORDER BY created_at, id", kProjectColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  return collect<Project>(stmt, project_row);
}

Status ProjectStore::remove(const std::string& id) {
  auto records = db_.prepare("DELETE FROM worktrees WHERE project_id = ?1");
  if (!records) return tl::unexpected(records.error());
  records->bind(1, id);
  if (auto st = records->run(); !st) return st;
  auto stmt = db_.prepare("DELETE FROM projects WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return stmt->run();
}

Status ProjectStore::insert_worktree(const Worktree& w) {
  auto stmt = db_.prepare(fmt::format(
      "INSERT INTO worktrees({}) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
      kWorktreeColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, w.id).bind(2, w.project_id).bind(3, w.agent_id).bind(4, w.agent_name);
  stmt->bind(5, w.path).bind(6, w.branch).bind(7, w.base_branch).bind(8, w.base_commit);
  stmt->bind(9, w.state);
  stmt->bind(10, w.setup.is_null() ? std::optional<std::string>() : dump_json(w.setup));
  stmt->bind(11, w.backup_ref).bind(12, w.merged_at_ms).bind(13, w.merge_commit);
  stmt->bind(14, w.created_at_ms).bind(15, w.removed_at_ms);
  return stmt->run();
}

Status ProjectStore::update_worktree(const Worktree& w) {
  auto stmt = db_.prepare(
      "UPDATE worktrees SET agent_id=?2, state=?3, setup=?4, backup_ref=?5, merged_at=?6,"
      " merge_commit=?7, removed_at=?8 WHERE id=?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, w.id).bind(2, w.agent_id).bind(3, w.state);
  stmt->bind(4, w.setup.is_null() ? std::optional<std::string>() : dump_json(w.setup));
  stmt->bind(5, w.backup_ref).bind(6, w.merged_at_ms).bind(7, w.merge_commit);
  stmt->bind(8, w.removed_at_ms);
  return stmt->run();
}

Result<Worktree> ProjectStore::worktree(const std::string& id) {
  auto stmt = db_.prepare(fmt::format("SELECT {} FROM worktrees WHERE id = ?1", kWorktreeColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("worktree_not_found", "no worktree " + id);
  return worktree_row(*stmt);
}

Result<std::optional<Worktree>> ProjectStore::active_worktree(const std::string& agent_name) {
  auto stmt =
      db_.prepare(fmt::format("SELECT {} FROM worktrees WHERE agent_name = ?1 AND state = 'active'"
                              " ORDER BY created_at DESC LIMIT 1",
                              kWorktreeColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_name);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Worktree>();
  return std::optional<Worktree>(worktree_row(*stmt));
}

Result<std::vector<Worktree>> ProjectStore::worktrees(const std::optional<std::string>& project_id,
                                                      bool include_removed) {
  auto stmt =
      db_.prepare(fmt::format("SELECT {} FROM worktrees WHERE (?1 IS NULL OR project_id = ?1)"
                              " AND (?2 = 1 OR state = 'active') ORDER BY created_at, id",
                              kWorktreeColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, project_id).bind(2, include_removed ? 1 : 0);
  return collect<Worktree>(stmt, worktree_row);
}

Result<Decision> ProjectStore::add_decision(const Decision& d) {
  auto stmt = db_.prepare(
      "INSERT INTO decisions(project_id, kind, text, roles, author, created_at, proposed)"
      " VALUES(?1,?2,?3,?4,?5,?6,?7) RETURNING id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, d.project_id).bind(2, d.kind).bind(3, d.text);
  stmt->bind(4, dump_json(Json(d.roles))).bind(5, d.author).bind(6, d.created_at_ms);
  stmt->bind(7, d.proposed ? 1 : 0);
  TRY(id, inserted_id(*stmt));
  Decision out = d;
  out.id = *id;
  return out;
}

Result<std::optional<Decision>> ProjectStore::find_decision(const std::string& project_id,
                                                            int64_t id) {
  auto stmt = db_.prepare(
      fmt::format("SELECT {} FROM decisions WHERE project_id = ?1 AND id = ?2", kDecisionColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, project_id).bind(2, id);
  auto all = collect<Decision>(stmt, decision_row);
  if (!all) return tl::unexpected(all.error());
  if (all->empty()) return std::optional<Decision>();
  return std::optional<Decision>(std::move(all->front()));
}

Result<bool> ProjectStore::accept_decision(const std::string& project_id, int64_t id,
                                           const std::string& by) {
  auto stmt = db_.prepare(
      "UPDATE decisions SET proposed = 0, accepted_by = ?3"
      " WHERE project_id = ?1 AND id = ?2 AND proposed = 1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, project_id).bind(2, id).bind(3, by);
  if (auto st = stmt->run(); !st) return tl::unexpected(st.error());
  return db_.changes() > 0;
}

Result<std::vector<Decision>> ProjectStore::decisions(const std::string& project_id,
                                                      const std::optional<std::string>& role,
                                                      bool with_proposals) {
  auto stmt = db_.prepare(
      fmt::format("SELECT {} FROM decisions WHERE project_id = ?1 ORDER BY id", kDecisionColumns));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, project_id);
  auto all = collect<Decision>(stmt, decision_row);
  if (!all) return all;
  std::vector<Decision> out;
  for (auto& d : *all) {
    if (d.proposed && !with_proposals) continue;
    if (!role || d.roles.empty() ||
        std::find(d.roles.begin(), d.roles.end(), *role) != d.roles.end()) {
      out.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace bosun
