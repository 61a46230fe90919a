// TaskBoard: each change of a task in one transaction with its history and events.
#include "crew/task_board.h"

#include <fmt/format.h>

#include "crew/mailbox.h"

namespace bosun {

Result<Task> TaskBoard::create(const NewTask& task, const std::string& by) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(created, store_.tasks().create(task, by, now_ms()));
  TRY_OK(tx.publish("task.created", created->id,
                    Json{{"id", created->id}, {"task", to_json(*created)}, {"by", by}}));
  TRY_OK(tx.commit());
  return *created;
}

Result<Task> TaskBoard::update(const std::string& id, const TaskChange& change,
                               const std::string& by, const std::optional<std::string>& comment) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(changes, store_.tasks().update(id, change, by, now_ms()));
  TRY(task, store_.tasks().find(id));
  if (comment) {
    TRY_OK(comment_on_task(store_.tasks(), tx, id, by, *comment, now_ms()));
  }
  if (!changes->empty()) {
    TRY_OK(tx.publish("task.updated", id, task_updated_data(*task, *changes, by, change.reason)));
  }
  TRY_OK(tx.commit());
  return *task;
}

Result<std::vector<Task>> TaskBoard::release(const std::string& agent_id, const std::string& by,
                                             const std::string& reason) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(released, release_in(tx, agent_id, by, reason));
  TRY_OK(tx.commit());
  return released;
}

Result<std::vector<Task>> TaskBoard::release_in(EventBus::Transaction& tx,
                                                const std::string& agent_id, const std::string& by,
                                                const std::string& reason) {
  TaskQuery held;
  held.assignee = agent_id;
  held.statuses = {TaskStatus::kAssigned, TaskStatus::kInProgress};
  TRY(tasks, store_.tasks().list(held));
  std::vector<Task> released;
  for (const Task& t : *tasks) {
    TaskChange change;
    change.status = TaskStatus::kPending;
    change.assignee = std::optional<std::string>();
    change.reason = reason;
    TRY(changes, store_.tasks().update(t.id, change, by, now_ms()));
    TRY(task, store_.tasks().find(t.id));
    TRY_OK(tx.publish("task.updated", t.id, task_updated_data(*task, *changes, by, reason)));
    released.push_back(std::move(*task));
  }
  return released;
}

Result<Task> TaskBoard::claim(const std::string& id, const std::string& agent_id,
                              const std::string& by, const std::string& reason) {
  // BEGIN IMMEDIATE: the claim's read and write are one step for every connection.
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(task, store_.tasks().claim(id, agent_id, by, now_ms(), reason));
  std::vector<FieldChange> changes{{"status", "pending", "assigned"},
                                   {"assignee", std::nullopt, agent_id}};
  TRY_OK(tx.publish("task.updated", id, task_updated_data(*task, changes, by, reason)));
  TRY_OK(tx.commit());
  return *task;
}

Result<ReportResult> TaskBoard::report(const std::string& id, const Json& body,
                                       const std::string& by,
                                       const std::optional<std::string>& agent_id) {
  std::string kind = body["status"].get<std::string>();
  TaskStatus target = kind == "blocked" ? TaskStatus::kBlocked : TaskStatus::kReview;
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(task, store_.tasks().find(id));
  if (agent_id && task->assignee != *agent_id) {
    if (auto fence = fenced(*task, *agent_id)) return tl::unexpected(*fence);
    return fail(ErrorKind::kForbidden, "forbidden",
                fmt::format("only {}'s assignee ({}) or a person may report on it", id,
                            task->assignee_name.value_or(task->assignee.value_or("nobody"))));
  }
  if (task->status == target) {
    return conflict("invalid_transition",
                    fmt::format("{} is already {}: a report needs it assigned or in progress", id,
                                to_string(target)));
  }
  TaskReport report;
  report.task_id = id;
  report.agent_id = agent_id;
  report.author = by;
  report.status = kind;
  report.body = body;
  report.verified = target == TaskStatus::kReview ? "pending" : "skipped";
  report.created_at_ms = now_ms();
  TRY(stored, store_.tasks().add_report(report));
  TaskChange change;
  change.status = target;
  if (target == TaskStatus::kBlocked) {
    change.reason = body["blocked_reason"].get<std::string>();
  } else {
    std::string summary = body.value("summary", std::string());
    change.reason =
        fmt::format("{} report {}{}{}", kind, stored->id, summary.empty() ? "" : ": ", summary);
  }
  TRY(changes, store_.tasks().update(id, change, by, now_ms()));
  TRY(moved, store_.tasks().find(id));
  TRY_OK(tx.publish("report.submitted", id,
                    Json{{"task_id", id}, {"report", to_json(*stored)}, {"by", by}}));
  TRY_OK(tx.publish("task.updated", id, task_updated_data(*moved, *changes, by, change.reason)));
  TRY_OK(tx.commit());
  return ReportResult{*stored, *moved};
}

namespace {

// approve/reject decide a task in review; anything else is 409 naming both states.
Status require_review(TaskStore& tasks, const std::string& id, TaskStatus to, const char* verb) {
  TRY(task, tasks.find(id));
  if (task->status == TaskStatus::kReview) return {};
  return conflict("invalid_transition",
                  fmt::format("cannot move {} from {} to {}: only a task in review can be {}", id,
                              to_string(task->status), to_string(to), verb));
}

}  // namespace

Result<Task> TaskBoard::approve(const std::string& id, const std::string& by,
                                const std::optional<std::string>& note) {
  TRY_OK(require_review(store_.tasks(), id, TaskStatus::kDone, "approved"));
  TaskChange change;
  change.status = TaskStatus::kDone;
  change.checked = true;
  change.reason = "approved by " + by;
  if (note && !note->empty()) change.reason += ": " + *note;
  return update(id, change, by);
}

Result<Task> TaskBoard::reject(const std::string& id, const std::string& by,
                               const std::string& reason) {
  TRY_OK(require_review(store_.tasks(), id, TaskStatus::kAssigned, "rejected"));
  TaskChange change;
  change.status = TaskStatus::kAssigned;
  change.reason = "rejected by " + by + ": " + reason;
  return update(id, change, by, "Rejected: " + reason);
}

Status TaskBoard::record_check(const CheckResult& result, const std::string& by) {
  const int64_t now = now_ms();
  const std::string verified = result.passed ? "passed" : "failed";
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY_OK(store_.tasks().record_check(result.report_id, verified, result.log, now));
  TRY(task, store_.tasks().find(result.task_id));
  TRY_OK(tx.publish("report.checked", result.task_id,
                    Json{{"task_id", result.task_id},
                         {"report_id", result.report_id},
                         {"verified", verified},
                         {"check_log", result.log}}));
  // Only a task still waiting in review moves: a person may have decided meanwhile.
  if (task->status == TaskStatus::kReview) {
    std::vector<FieldChange> changes;
    if (result.move_to) {
      TaskChange change;
      change.checked = true;
      change.status = *result.move_to;
      change.reason = result.reason;
      TRY(changed, store_.tasks().update(task->id, change, by, now));
      changes = std::move(*changed);
    }
    if (!result.comment.empty()) {
      TRY_OK(comment_on_task(store_.tasks(), tx, task->id, by, result.comment, now));
    }
    if (result.move_to) {
      TRY(moved, store_.tasks().find(task->id));
      TRY_OK(tx.publish("task.updated", task->id,
                        task_updated_data(*moved, changes, by, result.reason)));
    }
  }
  TRY_OK(tx.commit());
  return {};
}

Status TaskBoard::remove(const std::string& id, const std::string& by) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(task, store_.tasks().find(id));
  TRY_OK(store_.tasks().remove(id));
  TRY_OK(tx.publish("task.deleted", id, Json{{"id", id}, {"title", task->title}, {"by", by}}));
  TRY_OK(tx.commit());
  return {};
}

Result<TaskComment> TaskBoard::comment(const std::string& id, const std::string& author,
                                       const std::string& body) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY(comment, comment_on_task(store_.tasks(), tx, id, author, body, now_ms()));
  TRY_OK(tx.commit());
  return *comment;
}

Status TaskBoard::note_recovery(const std::string& id, const std::string& agent,
                                const std::string& step, const std::string& reason) {
  EventBus::Transaction tx(bus_, store_);
  TRY_OK(tx.begin());
  TRY_OK(store_.tasks().add_history(
      {0, id, now_ms(), kSupervisorMailbox, "recovery", agent, step, reason}));
  TRY_OK(tx.publish("task.recovery", id,
                    Json{{"task_id", id}, {"agent", agent}, {"step", step}, {"reason", reason}}));
  return tx.commit();
}

Result<Task> TaskBoard::take_back(const std::string& id, const std::string& agent_id,
                                  const std::string& reason, bool block) {
  TRY(task, store_.tasks().find(id));
  if (task->assignee != agent_id) {
    return conflict("not_held", fmt::format("{} is not held by {} any more", id, agent_id));
  }
  std::string name = task->assignee_name.value_or(agent_id);
  TaskChange change;
  change.status = block ? TaskStatus::kBlocked : TaskStatus::kPending;
  change.assignee = std::optional<std::string>();
  change.reason = fmt::format("taken from {}: {}", name, reason);
  TRY(moved, update(id, change, kSupervisorMailbox));
  TRY_OK(note_recovery(id, name, block ? "blocked" : "reassigned", reason));
  return moved;
}

Result<int64_t> TaskBoard::times_taken_back(const std::string& id) {
  TRY(history, store_.tasks().history(id));
  int64_t n = 0;
  for (const auto& h : *history) {
    if (h.field == "recovery" && (h.to == "reassigned" || h.to == "blocked")) ++n;
  }
  return n;
}

std::optional<Error> TaskBoard::fenced(const Task& task, const std::string& agent_id) {
  auto history = store_.tasks().history(task.id);
  if (!history) return std::nullopt;
  const TaskHistoryEntry* taken = nullptr;
  for (const auto& h : *history) {
    if (h.field == "assignee" && h.from == agent_id && h.reason.rfind("taken from ", 0) == 0) {
      taken = &h;
    }
  }
  if (!taken) return std::nullopt;
  std::string now = task.assignee
                        ? "reassigned to " + task.assignee_name.value_or(*task.assignee)
                        : std::string("back on the board (") + to_string(task.status) + ")";
  return Error{ErrorKind::kConflict, "reassigned",
               fmt::format("{} was {}; it is {} now. Your commits on its branch are kept for "
                           "whoever takes it next",
                           task.id, taken->reason, now)};
}

}  // namespace bosun
