// Task rules: status names and moves, field checks, and how a change applies — no SQL.
#include "store/task_rules.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/text.h"

namespace bosun {

namespace {

constexpr TaskStatus kAllStatuses[] = {
    TaskStatus::kBacklog,    TaskStatus::kPending, TaskStatus::kAssigned,
    TaskStatus::kInProgress, TaskStatus::kReview,  TaskStatus::kDone,
    TaskStatus::kBlocked,    TaskStatus::kFailed,  TaskStatus::kCancelled,
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

Status validate_task_name(const char* field, const std::string& value, bool allow_empty) {
  bool ok = value.size() <= 64 && (allow_empty || !value.empty()) &&
            std::all_of(value.begin(), value.end(), is_name_char);
  if (ok) return {};
  return bad_request("invalid_field", fmt::format("{} must be {}1-64 characters of [A-Za-z0-9_.-]",
                                                  field, allow_empty ? "empty or " : ""));
}

Status validate_task_title(const std::string& title) {
  if (title.find_first_not_of(" \t\r\n") == std::string::npos) {
    return bad_request("invalid_field", "title must not be empty");
  }
  if (title.size() > kMaxTaskTitle) {
    return bad_request("invalid_field", fmt::format("title is {} bytes; at most {} are allowed",
                                                    title.size(), kMaxTaskTitle));
  }
  return {};
}

Status validate_task_description(const std::string& description) {
  if (description.size() > kMaxTaskDescription) {
    return bad_request("invalid_field",
                       fmt::format("description is {} bytes; at most {} are allowed",
                                   description.size(), kMaxTaskDescription));
  }
  return {};
}

Status validate_task_priority(int priority) {
  if (priority >= kHighestPriority && priority <= kLowestPriority) return {};
  return bad_request("invalid_field",
                     "priority must be 0-4 (0 highest) or urgent, high, normal, low");
}

bool status_needs_assignee(TaskStatus s) {
  return s == TaskStatus::kAssigned || s == TaskStatus::kInProgress || s == TaskStatus::kReview;
}

bool status_is_unassigned(TaskStatus s) {
  return s == TaskStatus::kPending || s == TaskStatus::kBacklog;
}

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::kBacklog:
      return "backlog";
    case TaskStatus::kPending:
      return "pending";
    case TaskStatus::kAssigned:
      return "assigned";
    case TaskStatus::kInProgress:
      return "in_progress";
    case TaskStatus::kReview:
      return "review";
    case TaskStatus::kDone:
      return "done";
    case TaskStatus::kBlocked:
      return "blocked";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<TaskStatus> parse_task_status(std::string_view text) {
  for (auto s : kAllStatuses) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::string task_status_names() {
  std::string out;
  for (auto s : kAllStatuses) {
    if (!out.empty()) out += ", ";
    out += to_string(s);
  }
  return out;
}

bool task_transition_allowed(TaskStatus from, TaskStatus to) {
  using S = TaskStatus;
  auto any_of = [to](std::initializer_list<S> targets) {
    return std::find(targets.begin(), targets.end(), to) != targets.end();
  };
  switch (from) {
    case S::kBacklog:
      return any_of({S::kPending, S::kCancelled});
    case S::kPending:
      return any_of({S::kBacklog, S::kAssigned, S::kBlocked, S::kCancelled});
    case S::kAssigned:
      return any_of(
          {S::kPending, S::kInProgress, S::kReview, S::kBlocked, S::kFailed, S::kCancelled});
    case S::kInProgress:
      return any_of({S::kPending, S::kReview, S::kBlocked, S::kFailed, S::kCancelled});
    case S::kReview:
      return any_of(
          {S::kAssigned, S::kInProgress, S::kDone, S::kBlocked, S::kFailed, S::kCancelled});
    case S::kBlocked:
      return any_of({S::kPending, S::kAssigned, S::kInProgress, S::kFailed, S::kCancelled});
    case S::kFailed:
      return any_of({S::kBacklog, S::kPending, S::kCancelled});
    case S::kDone:
      return false;
    case S::kCancelled:
      return any_of({S::kBacklog, S::kPending});
  }
  return false;
}

std::optional<int> parse_priority(std::string_view text) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"urgent", 0}, {"high", 1}, {"normal", 2}, {"low", 3}};
  for (auto [name, value] : kNames) {
    if (text == name) return value;
  }
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '4') return text[0] - '0';
  return std::nullopt;
}

Result<Task> with_fields(const Task& cur, const TaskChange& change) {
  Task next = cur;
  if (change.title) {
    if (auto st = validate_task_title(*change.title); !st) return tl::unexpected(st.error());
    next.title = *change.title;
  }
  if (change.description) {
    if (auto st = validate_task_description(*change.description); !st) {
      return tl::unexpected(st.error());
    }
    next.description = *change.description;
  }
  if (change.role) {
    if (auto st = validate_task_name("role", *change.role, true); !st)
      return tl::unexpected(st.error());
    next.role = *change.role;
  }
  if (change.priority) {
    if (auto st = validate_task_priority(*change.priority); !st) return tl::unexpected(st.error());
    next.priority = *change.priority;
  }

  return next;
}

Status move_status(const std::string& id, const Task& cur, const TaskChange& change, Task& next) {
  if (change.assignee) next.assignee = *change.assignee;
  if (change.status) {
    next.status = *change.status;
    if (status_is_unassigned(next.status) && !change.assignee) next.assignee.reset();
  } else if (change.assignee) {
    if (next.assignee && cur.status == TaskStatus::kPending) next.status = TaskStatus::kAssigned;
    if (!next.assignee &&
        (cur.status == TaskStatus::kAssigned || cur.status == TaskStatus::kInProgress)) {
      next.status = TaskStatus::kPending;
    }
  }
  // A pipeline run takes a task from the board, and gives it back when it ends unmerged.
  bool run_moves = change.by_run &&
                   ((next.status == TaskStatus::kInProgress &&
                     (cur.status == TaskStatus::kPending || cur.status == TaskStatus::kBacklog ||
                      cur.status == TaskStatus::kBlocked || cur.status == TaskStatus::kFailed)) ||
                    (next.status == TaskStatus::kPending && cur.status == TaskStatus::kReview));
  if (next.status != cur.status && !run_moves) {
    if (!task_transition_allowed(cur.status, next.status)) {
      return conflict("invalid_transition",
                      fmt::format("cannot move {} from {} to {}", id, to_string(cur.status),
                                  to_string(next.status)));
    }
    if (next.status == TaskStatus::kDone && !change.checked) {
      return conflict("invalid_transition",
                      fmt::format("cannot move {} from {} to done: a task is done only when its "
                                  "report passes the check or a person approves it",
                                  id, to_string(cur.status)));
    }
  }
  if (status_is_unassigned(next.status) && next.assignee) {
    return conflict("invalid_assignee",
                    fmt::format("{} cannot be {} with an assignee: {} tasks are unassigned "
                                "(set status assigned, or claim it)",
                                id, to_string(next.status), to_string(next.status)));
  }
  if (status_needs_assignee(next.status) && !next.assignee && !change.by_run &&
      !next.held_by_run()) {
    return conflict("no_assignee",
                    fmt::format("{} cannot be {} without an assignee", id, to_string(next.status)));
  }
  return {};
}

std::vector<FieldChange> field_changes(const Task& cur, const Task& next, bool deps_changed) {
  std::vector<FieldChange> changes;
  if (next.status != cur.status) {
    changes.push_back({"status", to_string(cur.status), to_string(next.status)});
  }
  if (next.assignee != cur.assignee) changes.push_back({"assignee", cur.assignee, next.assignee});
  if (next.priority != cur.priority) {
    changes.push_back({"priority", std::to_string(cur.priority), std::to_string(next.priority)});
  }
  if (next.title != cur.title) changes.push_back({"title", cur.title, next.title});
  if (next.description != cur.description) {
    // Descriptions can be 64 KiB: history keeps their sizes, not two copies.
    changes.push_back({"description", fmt::format("{} bytes", cur.description.size()),
                       fmt::format("{} bytes", next.description.size())});
  }
  if (next.role != cur.role) changes.push_back({"role", cur.role, next.role});
  if (deps_changed) {
    changes.push_back({"depends_on", join(cur.depends_on, ", "), join(next.depends_on, ", ")});
  }
  return changes;
}

}  // namespace bosun
