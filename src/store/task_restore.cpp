// Tasks written back as they were (an import): the row, its comments, history and reports.
#include <algorithm>

#include "store/tasks.h"
#include "util/json.h"

namespace bosun {

Result<bool> TaskStore::exists(const std::string& id) {
  auto stmt = db_.prepare("SELECT 1 FROM tasks WHERE id = ?");
  if (!stmt) return tl::unexpected(stmt.error());
  stmt->bind(1, id);
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return *row;
}

Status TaskStore::restore(const TaskSnapshot& s) {
  const Task& t = s.task;
  TRY(here, exists(t.id));
  if (*here) return conflict("task_exists", "a task " + t.id + " is already on the board");
  auto row = db_.prepare(
      "INSERT INTO tasks(id, project_id, title, description, role, assignee, status, priority,"
      " parent_id, created_at, updated_at, started_at, done_at, branch, base_branch,"
      " merged_commit) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!row) return tl::unexpected(row.error());
  row->bind(1, t.id).bind(2, t.project_id).bind(3, t.title).bind(4, t.description);
  row->bind(5, t.role).bind(6, t.assignee).bind(7, to_string(t.status)).bind(8, t.priority);
  row->bind(9, t.parent_id).bind(10, t.created_at_ms).bind(11, t.updated_at_ms);
  row->bind(12, t.started_at_ms).bind(13, t.done_at_ms).bind(14, t.branch);
  row->bind(15, t.base_branch).bind(16, t.merged_commit);
  TRY_OK(row->run());
  for (const auto& c : s.comments) {
    auto stmt =
        db_.prepare("INSERT INTO task_comments(task_id, author, body, created_at) VALUES(?,?,?,?)");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->bind(1, t.id).bind(2, c.author).bind(3, c.body).bind(4, c.created_at_ms);
    TRY_OK(stmt->run());
  }
  for (auto h : s.history) {
    h.task_id = t.id;
    TRY_OK(add_history(h));
  }
  for (auto r : s.reports) {
    r.task_id = t.id;
    TRY_OK(add_report(r));
  }
  return {};
}

Status TaskStore::restore_dependencies(const std::string& id,
                                       const std::vector<std::string>& deps) {
  std::vector<std::string> sorted = deps;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return set_dependencies(id, sorted);
}

}  // namespace bosun
