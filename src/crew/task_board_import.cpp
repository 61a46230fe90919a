// TaskBoard::import: tasks restored as an export wrote them, fitted to this board, in one
// transaction.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "crew/task_board.h"
#include "util/text.h"

namespace bosun {

Json to_json(const ImportSummary& summary) {
  Json skipped = Json::array();
  for (const auto& [id, why] : summary.skipped)
    skipped.push_back(Json{{"id", id}, {"reason", why}});
  return Json{{"created", summary.created}, {"skipped", skipped}, {"notes", summary.notes}};
}

namespace {

bool in_flight(TaskStatus s) {
  return s == TaskStatus::kAssigned || s == TaskStatus::kInProgress || s == TaskStatus::kReview;
}

bool finished(TaskStatus s) {
  return s == TaskStatus::kDone || s == TaskStatus::kFailed || s == TaskStatus::kCancelled;
}

// File order, except that a parent comes before its children (its row must exist first);
// 422 for tasks that are each other's parents.
Result<std::vector<TaskSnapshot*>> parents_first(std::vector<TaskSnapshot>& tasks) {
  std::map<std::string, TaskSnapshot*> by_id;
  for (auto& s : tasks)
    by_id[s.task.id] = &s;
  std::set<std::string> placed;
  std::vector<TaskSnapshot*> order;
  for (auto& s : tasks) {
    // The chain of parents not placed yet, from this task up.
    std::vector<TaskSnapshot*> chain;
    std::set<std::string> on_chain;
    TaskSnapshot* at = &s;
    while (at && !placed.count(at->task.id)) {
      if (!on_chain.insert(at->task.id).second) {
        std::vector<std::string> ids;
        ids.reserve(chain.size() + 1);
        for (const auto* c : chain)
          ids.push_back(c->task.id);
        ids.push_back(at->task.id);
        return unprocessable("parent_cycle",
                             "these tasks are each other's parents: " + join(ids, " → "));
      }
      chain.push_back(at);
      auto parent = at->task.parent_id ? by_id.find(*at->task.parent_id) : by_id.end();
      at = parent == by_id.end() ? nullptr : parent->second;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      placed.insert((*it)->task.id);
      order.push_back(*it);
    }
  }
  return order;
}

// A cycle can only run through imported tasks (no task already here waits for one that was not),
// so one walk over the import's own edges finds any: 422 naming it.
Status no_cycle(const std::map<std::string, std::vector<std::string>>& deps) {
  enum class Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  // Iterative depth-first walk: (task, index of the next dependency to visit).
  for (const auto& [root, unused] : deps) {
    if (mark[root] != Mark::kNew) continue;
    std::vector<std::pair<std::string, size_t>> stack{{root, 0}};
    mark[root] = Mark::kOnPath;
    path.push_back(root);
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      auto edges = deps.find(id);
      if (edges == deps.end() || next >= edges->second.size()) {
        mark[id] = Mark::kDone;
        path.pop_back();
        stack.pop_back();
        continue;
      }
      const std::string& dep = edges->second[next++];
      Mark m = mark[dep];
      if (m == Mark::kOnPath) {
        auto from = std::find(path.begin(), path.end(), dep);
        std::vector<std::string> cycle(from, path.end());
        cycle.push_back(dep);
        return unprocessable("dependency_cycle",
                             "the file's dependencies make a cycle: " + join(cycle, " → "));
      }
      if (m == Mark::kNew) {
        mark[dep] = Mark::kOnPath;
        path.push_back(dep);
        stack.emplace_back(dep, 0);
      }
    }
  }
  return {};
}

}  // namespace

Result<ImportSummary> TaskBoard::import(std::vector<TaskSnapshot> tasks,
                                        std::vector<std::string> notes, const std::string& by,
                                        bool dry_run) {
  ImportSummary summary;
  summary.notes = std::move(notes);
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TaskStore& board = store_.tasks();

  // Ids already here are left as they are; the rest come in.
  std::vector<TaskSnapshot> incoming;
  std::set<std::string> coming;
  for (auto& s : tasks) {
    TRY(here, board.exists(s.task.id));
    if (*here) {
      summary.skipped.emplace_back(s.task.id, "a task with this id is already on the board");
    } else {
      coming.insert(s.task.id);
      incoming.push_back(std::move(s));
    }
  }
  auto known = [&](const std::string& id) -> Result<bool> {
    if (coming.count(id)) return true;
    return board.exists(id);
  };
  auto note = [&](const Task& t, const std::string& what) {
    summary.notes.push_back(fmt::format("{}: {}", t.id, what));
  };
  int64_t now = now_ms();
  std::map<std::string, std::vector<std::string>> deps;
  for (auto& s : incoming) {
    Task& t = s.task;
    if (t.parent_id) {
      TRY(parent, known(*t.parent_id));
      if (!*parent) {
        note(t, fmt::format("its parent {} is neither in the file nor on the board; it has none "
                            "here",
                            *t.parent_id));
        t.parent_id.reset();
      }
    }
    for (const auto& d : t.depends_on) {
      TRY(dep, known(d));
      if (*dep) {
        deps[t.id].push_back(d);
      } else {
        note(t, fmt::format("it waited for {}, which is neither in the file nor on the board; "
                            "that dependency was dropped",
                            d));
      }
    }
    t.depends_on.clear();
    if (t.project_id) {
      auto project = store_.projects().find(*t.project_id);
      if (!project && project.error().kind != ErrorKind::kNotFound) {
        return tl::unexpected(project.error());
      }
      if (!project) {
        note(t, fmt::format("its project {} is not here; it has none", *t.project_id));
        t.project_id.reset();
      } else {
        t.project_id = project->id;
      }
    }
    if (t.assignee) {
      auto agent = store_.agents().find(*t.assignee);
      if (!agent && agent.error().kind != ErrorKind::kNotFound) {
        return tl::unexpected(agent.error());
      }
      bool here = agent && agent->id == *t.assignee;
      if (!here && in_flight(t.status)) {
        note(t, fmt::format("it was {} with agent {}, which is not here; pending",
                            to_string(t.status), *t.assignee));
        t.status = TaskStatus::kPending;
        t.assignee.reset();
      } else if (!here && !finished(t.status)) {
        t.assignee.reset();  // a pending, backlog or blocked task waits for any agent
      }
    } else if (in_flight(t.status)) {
      note(t, fmt::format("it was {} with no agent; pending", to_string(t.status)));
      t.status = TaskStatus::kPending;
    }
    if (t.created_at_ms <= 0) t.created_at_ms = now;
    if (t.updated_at_ms < t.created_at_ms) t.updated_at_ms = t.created_at_ms;
    if (t.status != TaskStatus::kDone) t.done_at_ms.reset();
    s.history.push_back(TaskHistoryEntry{0, t.id, now, by, "status", std::nullopt,
                                         to_string(t.status), "imported"});
  }

  TRY(order, parents_first(incoming));
  for (TaskSnapshot* s : *order) {
    TRY_OK(board.restore(*s));
  }
  for (const auto& [id, list] : deps) {
    TRY_OK(board.restore_dependencies(id, list));
  }
  TRY_OK(no_cycle(deps));
  for (const auto& s : incoming) {
    summary.created.push_back(s.task.id);
    if (dry_run) continue;
    TRY(task, board.find(s.task.id));
    TRY_OK(tx.publish(
        "task.created", task->id,
        Json{{"id", task->id}, {"task", to_json(*task)}, {"by", by}, {"imported", true}}));
  }
  if (!dry_run) TRY_OK(tx.commit());
  return summary;
}

}  // namespace bosun
