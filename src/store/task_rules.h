// Task rules: what a task may be and how it may change, with no SQL — the status names and the
// transition table (ARCHITECTURE.md "Task state"), the checks on its fields, and how a change
// moves status and assignee together. TaskStore applies them inside its transactions.
#pragma once

#include <string>
#include <vector>

#include "store/tasks.h"
#include "util/result.h"

namespace bosun {

// 400 `invalid_field` naming the field and its limits; empty values pass when `allow_empty`.
Status validate_task_name(const char* field, const std::string& value, bool allow_empty);
Status validate_task_title(const std::string& title);
Status validate_task_description(const std::string& description);
Status validate_task_priority(int priority);

// Statuses that need an assignee (assigned, in progress, review), and that have none (pending,
// backlog).
bool status_needs_assignee(TaskStatus s);
bool status_is_unassigned(TaskStatus s);

// The task with the plain fields of `change` (title, description, role, priority) validated and
// applied.
Result<Task> with_fields(const Task& cur, const TaskChange& change);
// Moves status and assignee of `next` together, as `change` asks of `cur`: assigning a pending
// task makes it assigned, unassigning an assigned or started one makes it pending again, and
// moving a task back to pending or backlog unassigns it. 409 for a move the state machine
// refuses, done without a check, or an assignee that does not fit the status.
Status move_status(const std::string& id, const Task& cur, const TaskChange& change, Task& next);
// What differs between `cur` and `next`, field by field, for history and task.updated.
std::vector<FieldChange> field_changes(const Task& cur, const Task& next, bool deps_changed);

}  // namespace bosun
