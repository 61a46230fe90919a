// BeadsTransfer: tasks ↔ beads issues, line by line.
#include "crew/beads_transfer.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "store/task_rules.h"
#include "term/utf8.h"
#include "util/clock.h"
#include "util/text.h"

namespace bosun {

namespace {

constexpr const char* kRolePrefix = "role:";

std::string iso(int64_t ms) {
  return format_time(from_unix_ms(ms));
}

Json optional_text(const std::optional<std::string>& text) {
  return text ? Json(*text) : Json();
}

Json optional_int(const std::optional<int64_t>& v) {
  return v ? Json(*v) : Json();
}

// bosun's status as beads says it, and the reason it was closed for, when it was.
std::pair<const char*, const char*> beads_status(TaskStatus status) {
  switch (status) {
    case TaskStatus::kBacklog:
      return {"deferred", nullptr};
    case TaskStatus::kPending:
      return {"open", nullptr};
    case TaskStatus::kAssigned:
    case TaskStatus::kInProgress:
    case TaskStatus::kReview:
      return {"in_progress", nullptr};
    case TaskStatus::kBlocked:
      return {"blocked", nullptr};
    case TaskStatus::kDone:
      return {"closed", nullptr};
    case TaskStatus::kFailed:
      return {"closed", "failed"};
    case TaskStatus::kCancelled:
      return {"closed", "cancelled"};
  }
  return {"open", nullptr};
}

Json bosun_part(const TaskSnapshot& s) {
  const Task& t = s.task;
  Json history = Json::array();
  for (const auto& h : s.history) {
    history.push_back(Json{{"at", h.at_ms},
                           {"actor", h.actor},
                           {"field", h.field},
                           {"from", optional_text(h.from)},
                           {"to", optional_text(h.to)},
                           {"reason", h.reason}});
  }
  Json reports = Json::array();
  for (const auto& r : s.reports) {
    reports.push_back(Json{{"agent_id", optional_text(r.agent_id)},
                           {"author", r.author},
                           {"status", r.status},
                           {"body", r.body},
                           {"verified", r.verified},
                           {"check_log", r.check_log},
                           {"created_at", r.created_at_ms},
                           {"checked_at", optional_int(r.checked_at_ms)}});
  }
  return Json{{"status", to_string(t.status)},
              {"role", t.role},
              {"assignee", optional_text(t.assignee)},
              {"project", optional_text(t.project_id)},
              {"created_at", t.created_at_ms},
              {"updated_at", t.updated_at_ms},
              {"started_at", optional_int(t.started_at_ms)},
              {"done_at", optional_int(t.done_at_ms)},
              {"branch", optional_text(t.branch)},
              {"base_branch", optional_text(t.base_branch)},
              {"merged_commit", optional_text(t.merged_commit)},
              {"history", std::move(history)},
              {"reports", std::move(reports)}};
}

// --- reading -----------------------------------------------------------------------------

// Reads one line's fields; every error names the line (and the issue, once its id is known).
class LineReader {
 public:
  LineReader(size_t line, const Json& object, std::vector<std::string>& notes)
      : line_(line), o_(object), notes_(notes) {}

  Error error(const std::string& what) const {
    std::string where =
        id_.empty() ? fmt::format("line {}", line_) : fmt::format("line {} ({})", line_, id_);
    return Error{ErrorKind::kInvalid, "invalid_import", where + ": " + what};
  }
  void note(const std::string& what) const {
    notes_.push_back(fmt::format("line {} ({}): {}", line_, id_, what));
  }
  void set_id(std::string id) { id_ = std::move(id); }

  // A string field; nullopt when absent or null; an error for another type.
  Result<std::optional<std::string>> text(const Json& o, const char* key) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return tl::unexpected(error(fmt::format("{} must be a string", key)));
    return std::optional<std::string>(it->get<std::string>());
  }
  Result<std::optional<std::string>> text(const char* key) const { return text(o_, key); }

  Result<std::optional<int64_t>> time(const Json& o, const char* key) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return std::optional<int64_t>();
    if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
    if (it->is_string()) {
      auto ms = parse_time_ms(it->get<std::string>());
      if (ms) return std::optional<int64_t>(*ms);
    }
    return tl::unexpected(
        error(fmt::format("{} must be an RFC 3339 time such as 2026-01-31T09:30:00Z", key)));
  }

  // `value` cut to `max` bytes (on a UTF-8 boundary), with a note when it was longer.
  std::string fit(const std::string& value, size_t max, const char* what) const {
    if (value.size() <= max) return value;
    note(fmt::format("{} cut from {} to {} bytes", what, value.size(), max));
    return shorten(value, max - std::string_view("…").size());
  }

 private:
  size_t line_;
  const Json& o_;
  std::vector<std::string>& notes_;
  std::string id_;
};

std::optional<TaskStatus> status_from_beads(const std::string& status, const LineReader& r,
                                            const std::optional<std::string>& assignee) {
  if (status == "open") return TaskStatus::kPending;
  if (status == "blocked") return TaskStatus::kBlocked;
  if (status == "deferred") return TaskStatus::kBacklog;
  if (status == "closed") return TaskStatus::kDone;
  if (status == "in_progress" || status == "hooked") {
    r.note(fmt::format("{}{} in the file; pending here, for an agent of this crew to take", status,
                       assignee && !assignee->empty() ? " with " + *assignee : ""));
    return TaskStatus::kPending;
  }
  if (status == "pinned") {
    r.note("pinned in the file; in the backlog here");
    return TaskStatus::kBacklog;
  }
  return std::nullopt;
}

Status read_history(LineReader& r, const Json& part, TaskSnapshot& s) {
  auto it = part.find("history");
  if (it == part.end() || it->is_null()) return {};
  if (!it->is_array()) return tl::unexpected(r.error("bosun.history must be an array"));
  for (const Json& h : *it) {
    if (!h.is_object()) return tl::unexpected(r.error("bosun.history holds a non-object"));
    TaskHistoryEntry e;
    TRY(at, r.time(h, "at"));
    TRY(actor, r.text(h, "actor"));
    TRY(field, r.text(h, "field"));
    TRY(from, r.text(h, "from"));
    TRY(to, r.text(h, "to"));
    TRY(reason, r.text(h, "reason"));
    e.at_ms = at->value_or(0);
    e.actor = actor->value_or("");
    e.field = field->value_or("status");
    e.from = *from;
    e.to = *to;
    e.reason = reason->value_or("");
    s.history.push_back(std::move(e));
  }
  return {};
}

Status read_reports(LineReader& r, const Json& part, TaskSnapshot& s) {
  auto it = part.find("reports");
  if (it == part.end() || it->is_null()) return {};
  if (!it->is_array()) return tl::unexpected(r.error("bosun.reports must be an array"));
  for (const Json& j : *it) {
    if (!j.is_object()) return tl::unexpected(r.error("bosun.reports holds a non-object"));
    TaskReport rep;
    TRY(agent, r.text(j, "agent_id"));
    TRY(author, r.text(j, "author"));
    TRY(status, r.text(j, "status"));
    TRY(verified, r.text(j, "verified"));
    TRY(log, r.text(j, "check_log"));
    TRY(created, r.time(j, "created_at"));
    TRY(checked, r.time(j, "checked_at"));
    rep.agent_id = *agent;
    rep.author = author->value_or("user");
    rep.status = status->value_or("done");
    if (rep.status != "done" && rep.status != "partial" && rep.status != "blocked") {
      return tl::unexpected(r.error("a report's status must be done, partial or blocked"));
    }
    rep.verified = verified->value_or("skipped");
    if (rep.verified != "pending" && rep.verified != "passed" && rep.verified != "failed" &&
        rep.verified != "skipped") {
      return tl::unexpected(
          r.error("a report's verified must be pending, passed, failed or skipped"));
    }
    rep.check_log = log->value_or("");
    rep.created_at_ms = created->value_or(s.task.created_at_ms);
    rep.checked_at_ms = *checked;
    auto body = j.find("body");
    rep.body = body != j.end() && body->is_object() ? *body : Json::object();
    s.reports.push_back(std::move(rep));
  }
  return {};
}

// bosun's own part of a line: what beads has no field for, exactly as it was.
Status read_bosun_part(LineReader& r, const Json& part, TaskSnapshot& s) {
  if (!part.is_object()) return tl::unexpected(r.error("bosun must be an object"));
  Task& t = s.task;
  TRY(status, r.text(part, "status"));
  if (*status) {
    auto parsed = parse_task_status(**status);
    if (!parsed) {
      return tl::unexpected(r.error(
          fmt::format("bosun.status '{}' is not one of {}", **status, task_status_names())));
    }
    t.status = *parsed;
  }
  TRY(role, r.text(part, "role"));
  if (*role) t.role = **role;
  TRY(assignee, r.text(part, "assignee"));
  t.assignee = *assignee;
  TRY(project, r.text(part, "project"));
  t.project_id = *project;
  for (auto [key, field] :
       {std::pair{"created_at", &t.created_at_ms}, std::pair{"updated_at", &t.updated_at_ms}}) {
    TRY(v, r.time(part, key));
    if (*v) *field = **v;
  }
  TRY(started, r.time(part, "started_at"));
  t.started_at_ms = *started;
  TRY(done, r.time(part, "done_at"));
  t.done_at_ms = *done;
  for (auto [key, field] :
       {std::pair{"branch", &t.branch}, std::pair{"base_branch", &t.base_branch},
        std::pair{"merged_commit", &t.merged_commit}}) {
    TRY(v, r.text(part, key));
    *field = *v;
  }
  TRY_OK(read_history(r, part, s));
  return read_reports(r, part, s);
}

Status read_dependencies(LineReader& r, const Json& o, TaskSnapshot& s, size_t& loose) {
  auto it = o.find("dependencies");
  if (it == o.end() || it->is_null()) return {};
  if (!it->is_array()) return tl::unexpected(r.error("dependencies must be an array"));
  for (const Json& d : *it) {
    // Older files list the ids it waits for as plain strings.
    if (d.is_string()) {
      s.task.depends_on.push_back(d.get<std::string>());
      continue;
    }
    if (!d.is_object()) return tl::unexpected(r.error("a dependency must be an object"));
    TRY(on, r.text(d, "depends_on_id"));
    TRY(type, r.text(d, "type"));
    if (!*on || (*on)->empty()) {
      return tl::unexpected(r.error("a dependency has no depends_on_id"));
    }
    std::string kind = type->value_or("blocks");
    if (kind == "parent-child") {
      s.task.parent_id = **on;
    } else if (kind == "blocks" || kind == "conditional-blocks" || kind == "waits-for") {
      s.task.depends_on.push_back(**on);
    } else {
      ++loose;  // related, discovered-from, …: links that never hold a task back
    }
  }
  std::sort(s.task.depends_on.begin(), s.task.depends_on.end());
  s.task.depends_on.erase(std::unique(s.task.depends_on.begin(), s.task.depends_on.end()),
                          s.task.depends_on.end());
  return {};
}

Status read_comments(LineReader& r, const Json& o, TaskSnapshot& s) {
  auto it = o.find("comments");
  if (it == o.end() || it->is_null()) return {};
  if (!it->is_array()) return tl::unexpected(r.error("comments must be an array"));
  for (const Json& c : *it) {
    if (!c.is_object()) return tl::unexpected(r.error("a comment must be an object"));
    TRY(author, r.text(c, "author"));
    TRY(text, r.text(c, "text"));
    TRY(at, r.time(c, "created_at"));
    if (!*text || (*text)->find_first_not_of(" \t\r\n") == std::string::npos) continue;
    TaskComment comment;
    comment.author = author->value_or("user");
    comment.body = r.fit(**text, kMaxTaskComment, "a comment");
    comment.created_at_ms = at->value_or(s.task.created_at_ms);
    s.comments.push_back(std::move(comment));
  }
  return {};
}

// The description with beads' other long-text fields (design, acceptance criteria, notes)
// under their own headings, as bosun has one field for all of them.
Result<std::string> full_description(const LineReader& r, const Json& o) {
  TRY(description, r.text("description"));
  std::string out = description->value_or("");
  for (auto [key, heading] :
       {std::pair{"design", "Design"}, std::pair{"acceptance_criteria", "Acceptance criteria"},
        std::pair{"notes", "Notes"}}) {
    TRY(part, r.text(o, key));
    if (!*part || (*part)->empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += fmt::format("## {}\n{}", heading, **part);
  }
  return out;
}

Result<std::optional<TaskSnapshot>> read_line(size_t line, const Json& o,
                                              std::vector<std::string>& notes, size_t& loose) {
  LineReader r(line, o, notes);
  if (!o.is_object()) return tl::unexpected(r.error("not a JSON object"));
  TaskSnapshot s;
  Task& t = s.task;
  TRY(id, r.text("id"));
  if (!*id) return tl::unexpected(r.error("no id"));
  if (!validate_task_name("id", **id, false)) {
    return tl::unexpected(r.error(
        fmt::format("id '{}' is not 1-64 characters of [A-Za-z0-9_.-]", shorten(**id, 80))));
  }
  t.id = **id;
  r.set_id(t.id);
  TRY(status, r.text("status"));
  if (status->value_or("open") == "tombstone") {
    r.note("deleted in the file (tombstone); not imported");
    return std::optional<TaskSnapshot>();
  }
  TRY(title, r.text("title"));
  if (!*title || (*title)->find_first_not_of(" \t\r\n") == std::string::npos) {
    return tl::unexpected(r.error("no title"));
  }
  TRY(description, full_description(r, o));
  t.title = r.fit(**title, kMaxTaskTitle, "the title");
  if (t.title != **title) *description = **title + "\n\n" + *description;
  t.description = r.fit(*description, kMaxTaskDescription, "the description");
  TRY(assignee, r.text("assignee"));
  auto parsed = status_from_beads(status->value_or("open"), r, *assignee);
  if (!parsed) {
    return tl::unexpected(
        r.error(fmt::format("status '{}' is not a beads status (open, in_progress, blocked, "
                            "deferred, closed, tombstone, pinned, hooked)",
                            **status)));
  }
  t.status = *parsed;
  auto priority = o.find("priority");
  if (priority != o.end() && !priority->is_null()) {
    if (!priority->is_number_integer() || priority->get<int64_t>() < kHighestPriority ||
        priority->get<int64_t>() > kLowestPriority) {
      return tl::unexpected(r.error("priority must be a whole number from 0 to 4"));
    }
    t.priority = priority->get<int>();
  }
  auto labels = o.find("labels");
  if (labels != o.end() && labels->is_array()) {
    for (const Json& l : *labels) {
      if (!l.is_string()) continue;
      std::string label = l.get<std::string>();
      if (label.rfind(kRolePrefix, 0) == 0 && t.role.empty()) {
        t.role = label.substr(std::char_traits<char>::length(kRolePrefix));
      }
    }
  }
  TRY(created, r.time(o, "created_at"));
  TRY(updated, r.time(o, "updated_at"));
  TRY(closed, r.time(o, "closed_at"));
  t.created_at_ms = created->value_or(0);
  t.updated_at_ms = updated->value_or(t.created_at_ms);
  if (t.status == TaskStatus::kDone) t.done_at_ms = closed->value_or(t.updated_at_ms);
  TRY_OK(read_dependencies(r, o, s, loose));
  TRY_OK(read_comments(r, o, s));
  auto part = o.find("bosun");
  if (part != o.end() && !part->is_null()) TRY_OK(read_bosun_part(r, *part, s));
  if (!validate_task_name("role", t.role, true)) {
    return tl::unexpected(r.error("the role must be 1-64 characters of [A-Za-z0-9_.-]"));
  }
  return std::optional<TaskSnapshot>(std::move(s));
}

}  // namespace

std::string to_beads_line(const TaskSnapshot& s) {
  const Task& t = s.task;
  auto [status, close_reason] = beads_status(t.status);
  Json labels = Json::array();
  if (!t.role.empty()) labels.push_back(kRolePrefix + t.role);
  Json deps = Json::array();
  for (const auto& d : t.depends_on) {
    deps.push_back(Json{{"issue_id", t.id}, {"depends_on_id", d}, {"type", "blocks"}});
  }
  if (t.parent_id) {
    deps.push_back(
        Json{{"issue_id", t.id}, {"depends_on_id", *t.parent_id}, {"type", "parent-child"}});
  }
  Json comments = Json::array();
  for (const auto& c : s.comments) {
    comments.push_back(Json{{"id", c.id},
                            {"issue_id", t.id},
                            {"author", c.author},
                            {"text", c.body},
                            {"created_at", iso(c.created_at_ms)}});
  }
  Json issue{{"id", t.id},
             {"title", t.title},
             {"description", t.description},
             {"status", status},
             {"priority", t.priority},
             {"issue_type", "task"},
             {"assignee", t.assignee_name.value_or(t.assignee.value_or(""))},
             {"labels", std::move(labels)},
             {"created_at", iso(t.created_at_ms)},
             {"updated_at", iso(t.updated_at_ms)},
             {"dependencies", std::move(deps)},
             {"comments", std::move(comments)}};
  if (std::string_view(status) == "closed") {
    issue["closed_at"] = iso(t.done_at_ms.value_or(t.updated_at_ms));
    if (close_reason) issue["close_reason"] = close_reason;
  }
  issue["bosun"] = bosun_part(s);
  return dump_json(issue);
}

Result<std::string> export_beads(Store& store) {
  std::string out;
  TaskQuery page;
  page.limit = 1000;
  for (;;) {
    TRY(tasks, store.tasks().list(page));
    for (Task& t : *tasks) {
      TaskSnapshot s;
      TRY(comments, store.tasks().comments(t.id));
      TRY(history, store.tasks().history(t.id));
      TRY(reports, store.tasks().reports(t.id));
      s.comments = std::move(*comments);
      s.history = std::move(*history);
      s.reports = std::move(*reports);
      s.task = std::move(t);
      out += to_beads_line(s);
      out += '\n';
    }
    if (tasks->size() < static_cast<size_t>(page.limit)) break;
    page.after = tasks->back().id;
  }
  return out;
}

Result<BeadsFile> parse_beads(std::string_view jsonl) {
  BeadsFile file;
  std::set<std::string> seen;
  size_t loose = 0;
  size_t line = 0;
  size_t at = 0;
  while (at < jsonl.size()) {
    size_t end = jsonl.find('\n', at);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view text = jsonl.substr(at, end - at);
    at = end + 1;
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!term::is_valid_utf8(text)) {
      return bad_request("invalid_import", fmt::format("line {}: not valid UTF-8", line));
    }
    Json o = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (o.is_discarded()) {
      return bad_request("invalid_import", fmt::format("line {}: not JSON", line));
    }
    TRY(task, read_line(line, o, file.notes, loose));
    if (!*task) continue;
    if (!seen.insert((*task)->task.id).second) {
      return bad_request("invalid_import",
                         fmt::format("line {}: {} is given twice", line, (*task)->task.id));
    }
    file.tasks.push_back(std::move(**task));
  }
  if (loose > 0) {
    file.notes.push_back(fmt::format(
        "{} not kept: bosun keeps the links that hold a task back (blocks) and parents",
        plural(loose, "link that never holds a task back (related, discovered-from, …) was",
               "links that never hold a task back (related, discovered-from, …) were")));
  }
  return file;
}

}  // namespace bosun
