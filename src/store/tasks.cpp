// Tasks: rows ↔ records, readiness in SQL, claims and cycle checks; the rules a change obeys are
// in task_rules.cpp.
#include "store/tasks.h"

#include <algorithm>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "store/rows.h"
#include "store/task_rules.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {

namespace {

// The columns every task query reads; `ready` is computed here, in SQL, so a list, a
// single task and a claim all agree on it.
constexpr const char* kTaskSelect =
    "SELECT t.id, t.title, t.description, t.role, t.assignee, a.name, t.status, t.priority,"
    " t.parent_id, t.project_id, t.created_at, t.updated_at, t.started_at, t.done_at,"
    " (SELECT group_concat(d.depends_on, ' ') FROM task_deps d WHERE d.task_id = t.id),"
    " (t.status = 'pending' AND t.assignee IS NULL AND t.waiting = 0),"
    " t.branch, t.base_branch, t.merged_commit, t.pipeline_run_id, t.step"
    " FROM tasks t LEFT JOIN agents a ON a.id = t.assignee";

// A ready task's row, as the partial indexes tasks_ready and tasks_ready_role are defined (a
// query uses them only when its WHERE holds these same terms).
constexpr const char* kReadyRow = "status = 'pending' AND assignee IS NULL AND waiting = 0";

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

Task task_from_row(const Statement& s) {
  Task t;
  t.id = s.get_text(0);
  t.title = s.get_text(1);
  t.description = s.get_text(2);
  t.role = s.get_text(3);
  t.assignee = s.get_optional_text(4);
  t.assignee_name = s.get_optional_text(5);
  // An unknown status can only come from a hand-edited database; show it as blocked.
  t.status = parse_task_status(s.get_text(6)).value_or(TaskStatus::kBlocked);
  t.priority = static_cast<int>(s.get_int(7));
  t.parent_id = s.get_optional_text(8);
  t.project_id = s.get_optional_text(9);
  t.created_at_ms = s.get_int(10);
  t.updated_at_ms = s.get_int(11);
  t.started_at_ms = s.get_optional_int(12);
  t.done_at_ms = s.get_optional_int(13);
  t.depends_on = split_words(s.get_text(14));
  t.ready = s.get_int(15) != 0;
  t.branch = s.get_optional_text(16);
  t.base_branch = s.get_optional_text(17);
  t.merged_commit = s.get_optional_text(18);
  t.pipeline_run_id = s.get_optional_text(19);
  t.step = s.get_optional_text(20);
  return t;
}

Json optional_text(const std::optional<std::string>& text) {
  return text ? Json(*text) : Json();
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

Json to_json(const Task& t) {
  return Json{{"id", t.id},
              {"title", t.title},
              {"description", t.description},
              {"role", t.role},
              {"assignee", optional_text(t.assignee)},
              {"assignee_name", optional_text(t.assignee_name)},
              {"status", to_string(t.status)},
              {"priority", t.priority},
              {"parent_id", optional_text(t.parent_id)},
              {"project_id", optional_text(t.project_id)},
              {"depends_on", t.depends_on},
              {"ready", t.ready},
              {"created_at", format_time(from_unix_ms(t.created_at_ms))},
              {"updated_at", format_time(from_unix_ms(t.updated_at_ms))},
              {"started_at", time_or_null(t.started_at_ms)},
              {"done_at", time_or_null(t.done_at_ms)},
              {"branch", optional_text(t.branch)},
              {"base_branch", optional_text(t.base_branch)},
              {"merged_commit", optional_text(t.merged_commit)},
              {"pipeline_run", optional_text(t.pipeline_run_id)},
              {"step", optional_text(t.step)}};
}

Json to_json(const TaskComment& c) {
  return Json{{"id", c.id},
              {"task_id", c.task_id},
              {"author", c.author},
              {"body", c.body},
              {"created_at", format_time(from_unix_ms(c.created_at_ms))}};
}

Json to_json(const TaskHistoryEntry& h) {
  return Json{{"id", h.id},
              {"task_id", h.task_id},
              {"at", format_time(from_unix_ms(h.at_ms))},
              {"actor", h.actor},
              {"field", h.field},
              {"from", optional_text(h.from)},
              {"to", optional_text(h.to)},
              {"reason", h.reason}};
}

Json to_json(const std::vector<FieldChange>& changes) {
  Json out = Json::array();
  for (const auto& c : changes) {
    out.push_back(
        Json{{"field", c.field}, {"from", optional_text(c.from)}, {"to", optional_text(c.to)}});
  }
  return out;
}

Json task_updated_data(const Task& task, const std::vector<FieldChange>& changes,
                       const std::string& by, const std::string& reason) {
  Json data{{"id", task.id},
            {"task", to_json(task)},
            {"by", by},
            {"reason", reason},
            {"changes", to_json(changes)}};
  for (const auto& c : changes) {
    if (c.field != "status") continue;
    data["from"] = optional_text(c.from);
    data["to"] = optional_text(c.to);
  }
  return data;
}

Result<Task> TaskStore::find(const std::string& id) {
  auto stmt = db_.prepare(std::string(kTaskSelect) + " WHERE t.id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return not_found("task_not_found", "no task " + id);
  return task_from_row(*stmt);
}

Result<std::vector<Task>> TaskStore::list(const TaskQuery& q) {
  std::optional<int64_t> after_rowid;
  if (q.after) {
    auto stmt = db_.prepare("SELECT rowid FROM tasks WHERE id = ?");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->bind(1, *q.after);
    auto row = stmt->step();
    if (!row) return tl::unexpected(row.error());
    if (!*row) return bad_request("invalid_query", "after: no task " + *q.after);
    after_rowid = stmt->get_int(0);
  }
  // Only the filters asked for are in the statement ("?2 IS NULL OR …" keeps SQLite from using
  // an index: a 100,000-task board was read whole to find one agent's task); each shape is
  // prepared once and cached. Status names come from the enum, never from input. ?6 and ?7
  // are always there, so binding any number up to 7 is in range.
  std::string sql = std::string(kTaskSelect) + " WHERE t.rowid > ?6";
  if (!q.statuses.empty()) {
    sql += " AND t.status IN (";
    for (size_t i = 0; i < q.statuses.size(); ++i)
      sql += fmt::format("{}'{}'", i > 0 ? ", " : "", to_string(q.statuses[i]));
    sql += ")";
  }
  if (q.assignee) sql += " AND t.assignee = ?2";
  if (q.role) sql += " AND t.role = ?3";
  if (q.project_id) sql += " AND t.project_id = ?4";
  if (q.parent_id) sql += " AND t.parent_id = ?5";
  sql += " ORDER BY t.rowid LIMIT ?7";
  auto stmt = db_.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(2, q.assignee).bind(3, q.role).bind(4, q.project_id);
  stmt->bind(5, q.parent_id).bind(6, after_rowid.value_or(0)).bind(7, q.limit);
  return collect<Task>(stmt, task_from_row);
}

Result<std::vector<Task>> TaskStore::ready(std::span<const std::string> roles, int64_t limit) {
  // The ready tasks are indexes of their own (tasks_ready, and tasks_ready_role by role): the
  // first `limit` of them, or of each role and of those without one, are a range of an index
  // whatever the board's size. Named, since without statistics SQLite would pick tasks_queue
  // and walk every pending task.
  auto arm = [](const char* index, const std::string& role) {
    return fmt::format(
        "SELECT id FROM (SELECT id FROM tasks INDEXED BY {} WHERE {}{}"
        " ORDER BY priority, created_at, rowid LIMIT ?1) AS arm",
        index, kReadyRow, role);
  };
  std::string arms = arm("tasks_ready", "");
  if (!roles.empty()) {
    arms = arm("tasks_ready_role", " AND role = ''");
    for (size_t i = 0; i < roles.size(); ++i)
      arms += " UNION ALL " + arm("tasks_ready_role", fmt::format(" AND role = ?{}", i + 2));
  }
  auto ready_stmt = db_.prepare(std::string(kTaskSelect) + " WHERE t.id IN (" + arms +
                                ") ORDER BY t.priority, t.created_at, t.rowid LIMIT ?1");
  if (!ready_stmt) return tl::unexpected(ready_stmt.error());
  ready_stmt->bind(1, limit);
  for (size_t i = 0; i < roles.size(); ++i)
    ready_stmt->bind(static_cast<int>(i) + 2, roles[i]);
  return collect<Task>(ready_stmt, task_from_row);
}

Result<bool> TaskStore::holds_task(const std::string& agent_id) {
  // A task of its own branch in review whose check has not run yet holds it too: the verifier
  // reads that branch in the agent's worktree, which a next task would switch away.
  auto stmt = db_.prepare(
      "SELECT 1 FROM tasks t WHERE t.assignee = ?1"
      "   AND t.status IN ('assigned', 'in_progress', 'review')"
      "   AND (t.status <> 'review' OR (t.branch IS NOT NULL"
      "       AND (SELECT r.verified = 'pending' AND r.status IN ('done', 'partial')"
      "            FROM reports r WHERE r.task_id = t.id ORDER BY r.id DESC LIMIT 1)))"
      " LIMIT 1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return *row;
}

Result<std::optional<Task>> TaskStore::returned_to(const std::string& agent_id) {
  // Asked of every idle agent on every dispatch: first whether the agent holds any task ever
  // sent back (few are), before looking closely at each task it holds.
  {
    auto any = db_.prepare(
        "SELECT 1 FROM task_history s JOIN tasks t ON t.id = s.task_id"
        " WHERE s.field = 'status' AND s.from_value = 'review'"
        "   AND t.assignee = ?1 AND t.status = 'assigned' LIMIT 1");
    if (!any) return tl::unexpected(any.error());
    any->bind(1, agent_id);
    auto found = any->step();
    if (!found) return tl::unexpected(found.error());
    if (!*found) return std::optional<Task>();
  }
  auto stmt = db_.prepare(
      std::string(kTaskSelect) +
      " WHERE t.assignee = ?1 AND t.status = 'assigned'"
      "   AND (SELECT h.from_value FROM task_history h WHERE h.task_id = t.id"
      "        AND h.field = 'status' ORDER BY h.id DESC LIMIT 1) = 'review'"
      "   AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.task_id = t.id AND m.type = 'task'"
      "        AND m.created_at >= (SELECT max(h.at) FROM task_history h"
      "                             WHERE h.task_id = t.id AND h.field = 'status'))"
      " ORDER BY t.priority, t.updated_at LIMIT 1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<Task>();
  return std::optional<Task>(task_from_row(*stmt));
}

Result<bool> TaskStore::busy_with_other(const std::string& agent_id, const std::string& task_id) {
  auto stmt = db_.prepare(
      "SELECT 1 FROM tasks t WHERE t.assignee = ?1 AND t.id <> ?2 AND (t.status = 'in_progress'"
      " OR (t.status = 'assigned' AND EXISTS (SELECT 1 FROM messages m WHERE m.task_id = t.id"
      "     AND m.type = 'task' AND m.state IN ('queued', 'delivered')))) LIMIT 1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id).bind(2, task_id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return *row;
}

Status TaskStore::set_branch(const std::string& id, const std::string& branch,
                             const std::string& base, const std::string& project_id) {
  auto stmt = db_.prepare(
      "UPDATE tasks SET branch = ?2, base_branch = ?3, project_id = COALESCE(project_id, ?4)"
      " WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, branch).bind(3, base).bind(4, project_id);
  return stmt->run();
}

Status TaskStore::set_merged_commit(const std::string& id, const std::string& commit) {
  auto stmt = db_.prepare("UPDATE tasks SET merged_commit = ?2 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, commit);
  return stmt->run();
}

Status TaskStore::set_pipeline_run(const std::string& id, const std::optional<std::string>& run) {
  auto stmt = db_.prepare("UPDATE tasks SET pipeline_run_id = ?2 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, run);
  return stmt->run();
}

Status TaskStore::set_step(const std::string& id, const std::string& run, const std::string& step,
                           const std::string& base) {
  auto stmt = db_.prepare(
      "UPDATE tasks SET pipeline_run_id = ?2, step = ?3, base_branch = ?4 WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, run).bind(3, step).bind(4, base);
  return stmt->run();
}

Result<std::vector<std::string>> TaskStore::children(const std::string& id) {
  auto stmt = db_.prepare("SELECT id FROM tasks WHERE parent_id = ? ORDER BY rowid");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return collect<std::string>(stmt, [](const Statement& s) { return s.get_text(0); });
}

Result<int64_t> TaskStore::count() {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM tasks");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<int64_t> TaskStore::count_in(const std::vector<TaskStatus>& statuses) {
  std::string sql = "SELECT COUNT(*) FROM tasks WHERE status IN (";
  for (size_t i = 0; i < statuses.size(); ++i)
    sql += i ? ", ?" : "?";
  auto stmt = db_.prepare(sql + ")");
  if (!stmt) return tl::unexpected(stmt.error());
  for (size_t i = 0; i < statuses.size(); ++i) {
    stmt->bind(static_cast<int>(i + 1), to_string(statuses[i]));
  }
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return stmt->get_int(0);
}

Result<std::vector<std::string>> TaskStore::dependencies_of(const std::string& id) {
  auto stmt = db_.prepare("SELECT depends_on FROM task_deps WHERE task_id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return collect<std::string>(stmt, [](const Statement& s) { return s.get_text(0); });
}

Result<std::optional<std::string>> TaskStore::find_cycle(const std::string& task_id,
                                                         const std::vector<std::string>& deps) {
  if (std::find(deps.begin(), deps.end(), task_id) != deps.end()) {
    return std::optional<std::string>(task_id + " → " + task_id);
  }
  // Breadth-first from the new dependencies along existing edges: reaching task_id again
  // means the new edge closes a cycle. The graph was acyclic before, so this ends.
  std::map<std::string, std::string> came_from;
  std::deque<std::string> queue;
  for (const auto& d : deps) {
    if (came_from.emplace(d, task_id).second) queue.push_back(d);
  }
  while (!queue.empty()) {
    std::string node = queue.front();
    queue.pop_front();
    auto next = dependencies_of(node);
    if (!next) return tl::unexpected(next.error());
    for (const auto& n : *next) {
      if (n == task_id) {
        std::vector<std::string> path{task_id};
        std::vector<std::string> back;
        for (std::string at = node; at != task_id; at = came_from[at])
          back.push_back(at);
        path.insert(path.end(), back.rbegin(), back.rend());
        path.push_back(task_id);
        return std::optional<std::string>(join(path, " → "));
      }
      if (came_from.emplace(n, node).second) queue.push_back(n);
    }
  }
  return std::optional<std::string>();
}

Status TaskStore::validate_dependencies(const std::string& task_id,
                                        const std::vector<std::string>& deps) {
  if (deps.size() > kMaxTaskDependencies) {
    return bad_request("invalid_field",
                       fmt::format("depends_on has {} tasks; at most {} are allowed", deps.size(),
                                   kMaxTaskDependencies));
  }
  for (const auto& d : deps) {
    if (d == task_id) continue;  // reported as a cycle below
    auto dep = find(d);
    if (!dep) {
      if (dep.error().kind == ErrorKind::kNotFound)
        return not_found("task_not_found", "depends_on: no task " + d);
      return tl::unexpected(dep.error());
    }
  }
  auto cycle = find_cycle(task_id, deps);
  if (!cycle) return tl::unexpected(cycle.error());
  if (*cycle) {
    return unprocessable("dependency_cycle", "these dependencies would make a cycle: " + **cycle);
  }
  return {};
}

Status TaskStore::set_dependencies(const std::string& task_id,
                                   const std::vector<std::string>& deps) {
  auto clear = db_.prepare("DELETE FROM task_deps WHERE task_id = ?");
  if (!clear) return tl::unexpected(clear.error());
  clear->bind(1, task_id);
  if (auto st = clear->run(); !st) return st;
  for (const auto& d : deps) {
    auto insert = db_.prepare("INSERT INTO task_deps(task_id, depends_on) VALUES(?, ?)");
    if (!insert) return tl::unexpected(insert.error());
    insert->bind(1, task_id).bind(2, d);
    if (auto st = insert->run(); !st) return st;
  }
  return {};
}

Status TaskStore::add_history(const TaskHistoryEntry& h) {
  auto stmt = db_.prepare(
      "INSERT INTO task_history(task_id, at, actor, field, from_value, to_value, reason)"
      " VALUES(?,?,?,?,?,?,?)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, h.task_id).bind(2, h.at_ms).bind(3, h.actor).bind(4, h.field).bind(5, h.from);
  stmt->bind(6, h.to).bind(7, h.reason);
  return stmt->run();
}

Result<Task> TaskStore::create(const NewTask& n, const std::string& actor, int64_t now_ms) {
  if (auto st = validate_task_title(n.title); !st) return tl::unexpected(st.error());
  if (auto st = validate_task_description(n.description); !st) return tl::unexpected(st.error());
  if (auto st = validate_task_name("role", n.role, true); !st) return tl::unexpected(st.error());
  if (auto st = validate_task_priority(n.priority); !st) return tl::unexpected(st.error());
  if (n.project_id) {
    if (auto st = validate_task_name("project", *n.project_id, false); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (!status_is_unassigned(n.status)) {
    return bad_request("invalid_field",
                       "a new task is pending (or backlog); assign it to start it");
  }
  if (n.status == TaskStatus::kBacklog && n.assignee) {
    return bad_request("invalid_field", "a backlog task cannot have an assignee");
  }
  std::string id = n.id.empty() ? new_id("t_") : n.id;
  if (n.parent_id) {
    auto parent = find(*n.parent_id);
    if (!parent) {
      if (parent.error().kind == ErrorKind::kNotFound) {
        return not_found("task_not_found", "parent_id: no task " + *n.parent_id);
      }
      return tl::unexpected(parent.error());
    }
  }
  auto deps = sorted_unique(n.depends_on);
  if (auto st = validate_dependencies(id, deps); !st) return tl::unexpected(st.error());
  TaskStatus status = n.assignee ? TaskStatus::kAssigned : n.status;
  auto stmt = db_.prepare(
      "INSERT INTO tasks(id, project_id, title, description, role, assignee, status, priority,"
      " parent_id, created_at, updated_at, started_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, n.project_id).bind(3, n.title).bind(4, n.description).bind(5, n.role);
  stmt->bind(6, n.assignee).bind(7, to_string(status)).bind(8, n.priority).bind(9, n.parent_id);
  stmt->bind(10, now_ms).bind(11, now_ms);
  if (n.assignee) {
    stmt->bind(12, now_ms);
  } else {
    stmt->bind(12, nullptr);
  }
  if (auto st = stmt->run(); !st) return tl::unexpected(st.error());
  if (auto st = set_dependencies(id, deps); !st) return tl::unexpected(st.error());
  if (auto st =
          add_history({0, id, now_ms, actor, "status", std::nullopt, to_string(status), "created"});
      !st) {
    return tl::unexpected(st.error());
  }
  if (n.assignee) {
    if (auto st = add_history(
            {0, id, now_ms, actor, "assignee", std::nullopt, *n.assignee, "assigned at creation"});
        !st) {
      return tl::unexpected(st.error());
    }
  }
  return find(id);
}

Result<std::vector<FieldChange>> TaskStore::update(const std::string& id, const TaskChange& change,
                                                   const std::string& actor, int64_t now_ms) {
  TRY(current, find(id));
  const Task& cur = *current;
  TRY(next, with_fields(cur, change));
  TRY_OK(move_status(id, cur, change, *next));
  bool deps_changed = false;
  if (change.depends_on) {
    auto deps = sorted_unique(*change.depends_on);
    TRY_OK(validate_dependencies(id, deps));
    deps_changed = deps != cur.depends_on;
    next->depends_on = deps;
  }
  std::vector<FieldChange> changes = field_changes(cur, *next, deps_changed);
  if (changes.empty()) return changes;
  TRY_OK(write_update(*next, now_ms));
  if (deps_changed) {
    TRY_OK(set_dependencies(id, next->depends_on));
  }
  for (const auto& c : changes) {
    TRY_OK(add_history({0, id, now_ms, actor, c.field, c.from, c.to, change.reason}));
  }
  return changes;
}

Status TaskStore::write_update(const Task& next, int64_t now_ms) {
  auto stmt = db_.prepare(
      "UPDATE tasks SET title = ?2, description = ?3, role = ?4, assignee = ?5, status = ?6,"
      " priority = ?7, updated_at = ?8,"
      " started_at = CASE WHEN started_at IS NULL AND ?6 IN ('assigned', 'in_progress')"
      "                   THEN ?8 ELSE started_at END,"
      " done_at = CASE WHEN ?6 = 'done' THEN ?8 ELSE done_at END"
      " WHERE id = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, next.id).bind(2, next.title).bind(3, next.description).bind(4, next.role);
  stmt->bind(5, next.assignee).bind(6, to_string(next.status)).bind(7, next.priority);
  stmt->bind(8, now_ms);
  return stmt->run();
}

Result<std::string> TaskStore::agent_label(const std::string& agent_id) {
  auto stmt = db_.prepare("SELECT name FROM agents WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, agent_id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  if (!*row) return agent_id;
  return fmt::format("{} ({})", stmt->get_text(0), agent_id);
}

Result<Task> TaskStore::claim(const std::string& id, const std::string& agent_id,
                              const std::string& actor, int64_t now_ms, const std::string& reason) {
  // One conditional UPDATE decides the race: it changes the row only while the task is
  // still pending, unassigned and ready.
  auto stmt = db_.prepare(
      fmt::format("UPDATE tasks SET status = 'assigned', assignee = ?2, updated_at = ?3,"
                  " started_at = COALESCE(started_at, ?3) WHERE id = ?1 AND {}",
                  kReadyRow));
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id).bind(2, agent_id).bind(3, now_ms);
  if (auto st = stmt->run(); !st) return tl::unexpected(st.error());
  if (db_.changes() == 1) {
    for (const auto& entry :
         {TaskHistoryEntry{0, id, now_ms, actor, "status", "pending", "assigned", reason},
          TaskHistoryEntry{0, id, now_ms, actor, "assignee", std::nullopt, agent_id, reason}}) {
      if (auto st = add_history(entry); !st) return tl::unexpected(st.error());
    }
    return find(id);
  }
  auto task = find(id);
  if (!task) return tl::unexpected(task.error());
  if (task->assignee) {
    auto holder = agent_label(*task->assignee);
    if (!holder) return tl::unexpected(holder.error());
    return conflict("task_claimed", fmt::format("{} is already claimed by {}", id, *holder));
  }
  if (task->status != TaskStatus::kPending) {
    return conflict("invalid_transition",
                    fmt::format("cannot claim {}: it is {}, and only pending tasks can be claimed",
                                id, to_string(task->status)));
  }
  std::vector<std::string> waiting;
  for (const auto& d : task->depends_on) {
    auto dep = find(d);
    if (dep && dep->status != TaskStatus::kDone) {
      waiting.push_back(fmt::format("{} ({})", d, to_string(dep->status)));
    }
  }
  return conflict("task_not_ready",
                  fmt::format("{} is not ready: it waits for {}", id, join(waiting, ", ")));
}

Status TaskStore::remove(const std::string& id) {
  auto task = find(id);
  if (!task) return tl::unexpected(task.error());
  auto assigned = db_.prepare(
      "SELECT COUNT(*) FROM task_history WHERE task_id = ? AND field = 'assignee'"
      " AND to_value IS NOT NULL");
  if (!assigned) return tl::unexpected(assigned.error());
  assigned->bind(1, id);
  auto row = assigned->step();
  if (!row) return tl::unexpected(row.error());
  bool ever_assigned = assigned->get_int(0) > 0 || task->started_at_ms.has_value();
  if (!status_is_unassigned(task->status) || ever_assigned) {
    return conflict(
        "task_started",
        fmt::format("cannot delete {}: it is {} and {}; cancel it instead", id,
                    to_string(task->status), ever_assigned ? "was assigned" : "has started"));
  }
  auto kids = children(id);
  if (!kids) return tl::unexpected(kids.error());
  if (!kids->empty()) {
    return conflict("task_has_subtasks",
                    fmt::format("cannot delete {}: it has subtasks {}", id, join(*kids, ", ")));
  }
  auto dependents = db_.prepare("SELECT task_id FROM task_deps WHERE depends_on = ? ORDER BY 1");
  if (!dependents) return tl::unexpected(dependents.error());
  dependents->bind(1, id);
  auto waiting = collect<std::string>(dependents, [](const Statement& s) { return s.get_text(0); });
  if (!waiting) return tl::unexpected(waiting.error());
  if (!waiting->empty()) {
    return conflict("task_has_dependents",
                    fmt::format("cannot delete {}: {} depend on it", id, join(*waiting, ", ")));
  }
  auto stmt = db_.prepare("DELETE FROM tasks WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  return stmt->run();
}

Result<TaskComment> TaskStore::add_comment(const std::string& task_id, const std::string& author,
                                           const std::string& body, int64_t now_ms) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return bad_request("invalid_field", "body must not be empty");
  }
  if (body.size() > kMaxTaskComment) {
    return bad_request("invalid_field", fmt::format("body is {} bytes; at most {} are allowed",
                                                    body.size(), kMaxTaskComment));
  }
  if (auto task = find(task_id); !task) return tl::unexpected(task.error());
  auto stmt = db_.prepare(
      "INSERT INTO task_comments(task_id, author, body, created_at) VALUES(?,?,?,?)"
      " RETURNING id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, task_id).bind(2, author).bind(3, body).bind(4, now_ms);
  TRY(id, inserted_id(*stmt));
  return TaskComment{*id, task_id, author, body, now_ms};
}

Result<std::vector<TaskComment>> TaskStore::comments(const std::string& task_id) {
  auto stmt = db_.prepare(
      "SELECT id, task_id, author, body, created_at FROM task_comments WHERE task_id = ?"
      " ORDER BY id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, task_id);
  return collect<TaskComment>(stmt, [](const Statement& s) {
    return TaskComment{s.get_int(0), s.get_text(1), s.get_text(2), s.get_text(3), s.get_int(4)};
  });
}

Result<std::vector<TaskHistoryEntry>> TaskStore::history(const std::string& task_id) {
  auto stmt = db_.prepare(
      "SELECT id, task_id, at, actor, field, from_value, to_value, reason FROM task_history"
      " WHERE task_id = ? ORDER BY id");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, task_id);
  return collect<TaskHistoryEntry>(stmt, [](const Statement& s) {
    return TaskHistoryEntry{s.get_int(0),           s.get_text(1), s.get_int(2),
                            s.get_text(3),          s.get_text(4), s.get_optional_text(5),
                            s.get_optional_text(6), s.get_text(7)};
  });
}

Result<TaskComment> comment_on_task(TaskStore& tasks, EventBus::Transaction& tx,
                                    const std::string& task_id, const std::string& author,
                                    const std::string& body, int64_t now_ms) {
  auto comment = tasks.add_comment(task_id, author, body, now_ms);
  if (!comment) return comment;
  if (auto ev = tx.publish("task.comment", task_id,
                           Json{{"task_id", task_id}, {"comment", to_json(*comment)}});
      !ev) {
    return tl::unexpected(ev.error());
  }
  return comment;
}

}  // namespace bosun
