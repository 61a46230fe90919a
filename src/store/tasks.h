// Tasks: the task board — tasks, their dependencies, comments, history and reports.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/event_bus.h"
#include "util/json.h"

namespace bosun {

// ARCHITECTURE.md "Task state". The allowed moves are in `task_transition_allowed`.
enum class TaskStatus {
  kBacklog,
  kPending,
  kAssigned,
  kInProgress,
  kReview,
  kDone,
  kBlocked,
  kFailed,
  kCancelled,
};

const char* to_string(TaskStatus status);
std::optional<TaskStatus> parse_task_status(std::string_view text);
// Every status name, in board order ("backlog, pending, …"), for error messages.
std::string task_status_names();

// The state machine. `done` is only reached through a passed check or a person's approval
// (TaskChange::checked); the table says from where.
bool task_transition_allowed(TaskStatus from, TaskStatus to);

inline constexpr int kHighestPriority = 0;
inline constexpr int kLowestPriority = 4;
inline constexpr int kDefaultPriority = 2;
// "urgent" 0, "high" 1, "normal" 2, "low" 3, or a digit 0-4.
std::optional<int> parse_priority(std::string_view text);

inline constexpr size_t kMaxTaskTitle = 200;
inline constexpr size_t kMaxTaskDescription = size_t{64} * 1024;
inline constexpr size_t kMaxTaskComment = size_t{64} * 1024;
inline constexpr size_t kMaxTaskDependencies = 100;

struct Task {
  std::string id;  // "t_…"
  std::string title;
  std::string description;
  std::string role;
  std::optional<std::string> assignee;       // an agent id
  std::optional<std::string> assignee_name;  // that agent's name, when it still exists
  TaskStatus status = TaskStatus::kPending;
  int priority = kDefaultPriority;
  std::optional<std::string> parent_id;
  std::optional<std::string> project_id;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> started_at_ms;  // first assigned or started
  std::optional<int64_t> done_at_ms;
  std::vector<std::string> depends_on;  // sorted
  bool ready = false;  // pending, unassigned, and every dependency done (computed in SQL)
  std::optional<std::string> branch;         // its own branch, once an agent started it
  std::optional<std::string> base_branch;    // the branch it left and merges into
  std::optional<std::string> merged_commit;  // the base's commit once its merge landed
  // The pipeline run working on it, which holds it — or, with `step`, the run whose step it
  // is: a task a permanent agent of the step's role works, on a branch from the run's.
  std::optional<std::string> pipeline_run_id;
  std::optional<std::string> step;

  bool is_step() const { return pipeline_run_id && step; }
  bool held_by_run() const { return pipeline_run_id && !step; }
};

Json to_json(const Task& task);

struct TaskComment {
  int64_t id = 0;
  std::string task_id;
  std::string author;  // "user" or an agent id
  std::string body;
  int64_t created_at_ms = 0;
};

Json to_json(const TaskComment& comment);

// One row of task_history: who changed which field from what to what, and why.
struct TaskHistoryEntry {
  int64_t id = 0;
  std::string task_id;
  int64_t at_ms = 0;
  std::string actor;
  std::string field;
  std::optional<std::string> from;
  std::optional<std::string> to;
  std::string reason;
};

Json to_json(const TaskHistoryEntry& entry);

struct TaskReport {
  int64_t id = 0;
  std::string task_id;
  std::optional<std::string> agent_id;  // the reporting agent, when an agent reported
  std::string author;                   // "user" or an agent id
  std::string status;                   // done | partial | blocked
  Json body = Json::object();           // the report JSON as submitted
  std::string verified = "pending";     // pending | passed | failed | skipped
  std::string check_log;
  int64_t created_at_ms = 0;
  std::optional<int64_t> checked_at_ms;
};

Json to_json(const TaskReport& report);

// A task with everything it carries: what an export writes and an import restores.
struct TaskSnapshot {
  Task task;
  std::vector<TaskComment> comments;
  std::vector<TaskHistoryEntry> history;
  std::vector<TaskReport> reports;
};

struct NewTask {
  std::string id;  // empty: a new "t_" id
  std::string title;
  std::string description;
  std::string role;
  int priority = kDefaultPriority;
  TaskStatus status = TaskStatus::kPending;  // backlog or pending (assigned with an assignee)
  std::optional<std::string> assignee;       // an agent id
  std::optional<std::string> parent_id;
  std::optional<std::string> project_id;
  std::vector<std::string> depends_on;
};

// A change to a task; unset fields stay as they are.
struct TaskChange {
  std::optional<TaskStatus> status;
  std::optional<int> priority;
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> role;
  std::optional<std::optional<std::string>> assignee;  // set to an agent id, or to none
  std::optional<std::vector<std::string>> depends_on;  // replaces the set
  std::string reason;
  bool checked = false;  // a passed check or a person's approval: may move review → done
  // The task's pipeline run moves it: it may take it from the board (pending, blocked, failed →
  // in_progress) and give it back (review → pending), and it is in progress or in review with no
  // agent, the run holding it.
  bool by_run = false;
};

// What a change did, field by field (for history rows and task.updated events).
struct FieldChange {
  std::string field;
  std::optional<std::string> from;
  std::optional<std::string> to;
};

Json to_json(const std::vector<FieldChange>& changes);

// The data of a `task.updated` event: {task, by, reason, changes[], from?, to?} where
// from/to are the status change, when the status changed.
Json task_updated_data(const Task& task, const std::vector<FieldChange>& changes,
                       const std::string& by, const std::string& reason);

struct TaskQuery {
  std::vector<TaskStatus> statuses;     // empty: any
  std::optional<std::string> assignee;  // an agent id
  std::optional<std::string> role;
  std::optional<std::string> project_id;
  std::optional<std::string> parent_id;
  std::optional<std::string> after;  // a task id: list what was created after it
  int64_t limit = 100;
};

// Task rows. Methods that write do not open transactions: the caller wraps them (with the
// events they cause) in one EventBus::Transaction.
class TaskStore {
 public:
  explicit TaskStore(Database& db) : db_(db) {}

  // Validates and inserts the task, its dependencies and its first history rows.
  // 400 bad fields, 404 unknown dependency or parent.
  Result<Task> create(const NewTask& task, const std::string& actor, int64_t now_ms);
  // 404 `task_not_found`.
  Result<Task> find(const std::string& id);
  Result<std::vector<Task>> list(const TaskQuery& query);
  // Ready tasks, by priority then age: of one of `roles` or without a role (every task when
  // `roles` is empty).
  Result<std::vector<Task>> ready(std::span<const std::string> roles, int64_t limit);
  // Whether the agent holds a task: assigned or in progress, or on its own branch in review
  // with its check still to run (the check reads the agent's worktree); one indexed lookup.
  Result<bool> holds_task(const std::string& agent_id);
  // A task a person sent back to the agent (review → assigned) whose [TASK] has not been sent
  // again since: the supervisor hands it back once the agent is free.
  Result<std::optional<Task>> returned_to(const std::string& agent_id);
  // Whether the agent works on a task other than `task_id`: one in progress, or one whose
  // [TASK] it was sent and has not started.
  Result<bool> busy_with_other(const std::string& agent_id, const std::string& task_id);
  // Records the task's branch, the base it left and, when the task has none, its project (no
  // history row: the caller adds one).
  Status set_branch(const std::string& id, const std::string& branch, const std::string& base,
                    const std::string& project_id);
  Status set_merged_commit(const std::string& id, const std::string& commit);
  // The pipeline run that works on the task, or none once it let go (no history row).
  Status set_pipeline_run(const std::string& id, const std::optional<std::string>& run);
  // Makes the task step `step` of run `run`: its branch will start from `base` (the run's).
  Status set_step(const std::string& id, const std::string& run, const std::string& step,
                  const std::string& base);
  Result<std::vector<std::string>> children(const std::string& id);
  Result<int64_t> count();
  // How many tasks have one of `statuses` (an index range each).
  Result<int64_t> count_in(const std::vector<TaskStatus>& statuses);

  // Applies a change: checks the transition (409 naming both states), the assignee rule
  // (assigned/in_progress/review need one; pending/backlog have none), new dependencies
  // (404 unknown, 422 cycle naming it), writes the row and one history row per changed
  // field. Returns what changed (empty when nothing did; then nothing is written).
  Result<std::vector<FieldChange>> update(const std::string& id, const TaskChange& change,
                                          const std::string& actor, int64_t now_ms);

  // Atomically gives a pending, ready, unassigned task to `agent_id` (status assigned).
  // Otherwise 409: `task_claimed` naming the holder, `task_not_ready` naming what it waits
  // for, or `invalid_transition`. Call inside a BEGIN IMMEDIATE transaction. `reason` goes
  // into the history rows.
  Result<Task> claim(const std::string& id, const std::string& agent_id, const std::string& actor,
                     int64_t now_ms, const std::string& reason = "claimed");

  // Deletes a task that was never started (backlog/pending, never assigned), has no
  // subtasks and nothing depends on; else 409.
  Status remove(const std::string& id);

  // The dependency cycle that `task_id` depending on `deps` would close, as
  // "t_a → t_b → t_a", or nullopt when there is none.
  Result<std::optional<std::string>> find_cycle(const std::string& task_id,
                                                const std::vector<std::string>& deps);

  Result<TaskComment> add_comment(const std::string& task_id, const std::string& author,
                                  const std::string& body, int64_t now_ms);
  Result<std::vector<TaskComment>> comments(const std::string& task_id);
  Result<std::vector<TaskHistoryEntry>> history(const std::string& task_id);
  Status add_history(const TaskHistoryEntry& entry);

  // Writes a task as it was (an import): the row with its status, assignee, times and
  // branches, its comments, history and reports, as given; not its dependencies
  // (restore_dependencies, once every task of the import is in) nor its pipeline run. The
  // caller validates (crew/task_board import); 409 `task_exists` for an id already here.
  Status restore(const TaskSnapshot& snapshot);
  Status restore_dependencies(const std::string& id, const std::vector<std::string>& deps);
  // Whether a task with this id exists (one indexed lookup).
  Result<bool> exists(const std::string& id);

  Result<TaskReport> add_report(const TaskReport& report);
  Result<TaskReport> find_report(int64_t id);
  Result<std::vector<TaskReport>> reports(const std::string& task_id);
  // Reports whose check never finished (the daemon stopped meanwhile), oldest first.
  Result<std::vector<TaskReport>> unchecked_reports();
  Status record_check(int64_t report_id, const std::string& verified, const std::string& log,
                      int64_t now_ms);

 private:
  // Writes the row of a changed task (started_at and done_at follow its status).
  Status write_update(const Task& next, int64_t now_ms);
  Status validate_dependencies(const std::string& task_id, const std::vector<std::string>& deps);
  Status set_dependencies(const std::string& task_id, const std::vector<std::string>& deps);
  Result<std::vector<std::string>> dependencies_of(const std::string& id);
  Result<std::string> agent_label(const std::string& agent_id);

  Database& db_;
};

// Adds a comment to a task and publishes its `task.comment` event {task_id, comment}, both in
// `tx`.
Result<TaskComment> comment_on_task(TaskStore& tasks, EventBus::Transaction& tx,
                                    const std::string& task_id, const std::string& author,
                                    const std::string& body, int64_t now_ms);

}  // namespace bosun
