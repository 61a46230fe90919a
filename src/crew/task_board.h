// TaskBoard: the one place tasks change. Every change — create, update, claim, report,
// approve, reject, a check's verdict, remove, comment — is one transaction with its history
// rows and its events (task.created, task.updated, report.submitted, report.checked,
// task.comment, task.deleted), broadcast after the commit. Routes parse and call it; the
// supervisor, the verifier, merges and headless runs call it; nobody else writes tasks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"

namespace bosun {

// What a report did: the stored report and the task as it now is.
struct ReportResult {
  TaskReport report;
  Task task;
};

// A check's verdict on a report (crew/verifier), and what it does to a task still in review.
struct CheckResult {
  int64_t report_id = 0;
  std::string task_id;
  bool passed = false;
  std::string log;
  std::optional<TaskStatus> move_to;  // none: the task stays in review
  std::string reason;                 // the move's reason, in history and task.updated
  std::string comment;                // a comment on the task, when not empty
};

// What an import did (or, dry, would do).
struct ImportSummary {
  std::vector<std::string> created;                          // task ids, in file order
  std::vector<std::pair<std::string, std::string>> skipped;  // id, why
  std::vector<std::string> notes;                            // what was changed to fit this board
};

Json to_json(const ImportSummary& summary);

// Stateless: construct one where it is needed over the shared store, bus and clock.
// Errors: 404 unknown task, 409 a move the state machine refuses (naming both states),
// 400/422 bad fields (TaskStore's contracts).
class TaskBoard {
 public:
  TaskBoard(Store& store, EventBus& bus, const Clock& clock)
      : store_(store), bus_(bus), clock_(clock) {}

  // A new task with its dependencies and first history rows; event task.created {id, task, by}.
  Result<Task> create(const NewTask& task, const std::string& by);

  // Applies `change` (and adds `comment` by `by`, when given); event task.updated when
  // anything changed. Returns the task as it now is.
  Result<Task> update(const std::string& id, const TaskChange& change, const std::string& by,
                      const std::optional<std::string>& comment = std::nullopt);

  // Hands back every task `agent_id` holds (assigned or in progress) to the board: pending,
  // no assignee, `reason` in history and task.updated, one transaction for all. Returns the
  // tasks released.
  Result<std::vector<Task>> release(const std::string& agent_id, const std::string& by,
                                    const std::string& reason);
  // The same, inside the caller's transaction (a lost host's agents, all in one).
  Result<std::vector<Task>> release_in(EventBus::Transaction& tx, const std::string& agent_id,
                                       const std::string& by, const std::string& reason);

  // Gives a ready task to `agent_id` (exactly once: TaskStore::claim in BEGIN IMMEDIATE);
  // event task.updated with `reason` ("claimed", "dispatched").
  Result<Task> claim(const std::string& id, const std::string& agent_id, const std::string& by,
                     const std::string& reason);

  // A report on task `id` by `by`; `agent_id` when an agent reports, and then only on its own
  // task (403). `done`/`partial` move the task to review (the check follows), `blocked` to
  // blocked with the blocked_reason. The body must already be valid (crew/report).
  // Events report.submitted and task.updated.
  Result<ReportResult> report(const std::string& id, const Json& body, const std::string& by,
                              const std::optional<std::string>& agent_id);

  // A person's decision on a task in review (409 otherwise): approve → done (checked),
  // reject → assigned to the same agent (the supervisor hands it back on its branch once the
  // agent is free) with the reason as a comment too.
  Result<Task> approve(const std::string& id, const std::string& by,
                       const std::optional<std::string>& note);
  Result<Task> reject(const std::string& id, const std::string& by, const std::string& reason);

  // Records a check's verdict on its report (event report.checked) and, when the task is still
  // in review, applies what it does to it (task.updated and/or task.comment). A task a person
  // moved meanwhile is left as it is.
  Status record_check(const CheckResult& result, const std::string& by);

  // Deletes a task that was never started (TaskStore::remove); event task.deleted.
  Status remove(const std::string& id, const std::string& by);

  // A step of the supervisor's recovery ladder for task `id` held by `agent` (nudged,
  // interrupted, restarted fresh): a history row `recovery` with the reason and event
  // task.recovery {task_id, agent, step, reason}.
  Status note_recovery(const std::string& id, const std::string& agent, const std::string& step,
                       const std::string& reason);

  // Takes task `id` away from `agent_id`, which holds it: pending and unassigned (or blocked,
  // when `block`), with `reason` in history, a `recovery` row "reassigned" and task.recovery.
  // The agent is fenced off it from then on (fenced()).
  Result<Task> take_back(const std::string& id, const std::string& agent_id,
                         const std::string& reason, bool block);

  // How many times task `id` was taken back from an agent.
  Result<int64_t> times_taken_back(const std::string& id);

  // For an agent acting on a task it no longer holds because it was taken from it: the refusal
  // that says so ("t_1 was taken from kai (…): reassigned to ben …"); nullopt when the task
  // was never taken from that agent.
  std::optional<Error> fenced(const Task& task, const std::string& agent_id);

  // Restores tasks as they were (crew/beads_transfer parses them), all in one transaction:
  // ids already on the board are skipped; a parent, dependency, project or agent that is
  // neither in the import nor here is dropped with a note, and a task in flight whose agent is
  // not here goes back to pending; a dependency cycle refuses the whole import (422). Each
  // task gets a history row "imported" and event task.created {id, task, by, imported}. A dry
  // import checks and reports the same, then writes nothing.
  Result<ImportSummary> import(std::vector<TaskSnapshot> tasks, std::vector<std::string> notes,
                               const std::string& by, bool dry_run);

  // A comment on task `id`; event task.comment.
  Result<TaskComment> comment(const std::string& id, const std::string& author,
                              const std::string& body);

 private:
  int64_t now_ms() const { return to_unix_ms(clock_.now()); }

  Store& store_;
  EventBus& bus_;
  const Clock& clock_;
};

}  // namespace bosun
