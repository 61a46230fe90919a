// `bosun task add|list|ready|show|claim|update|comment|diff|approve|rebase|reject|rm`, `bosun
// report submit`.
#include "cli/task_commands.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/family.h"
#include "cli/export_commands.h"

namespace bosun::cli {

namespace {

// /api/v1/tasks/<id><rest>
std::string task_path(const std::string& id, std::string_view rest = {}) {
  return "/api/v1/tasks/" + path_segment(id) + std::string(rest);
}

std::string assignee_text(const Json& task) {
  if (!task["assignee_name"].is_null()) return text(task, "assignee_name");
  return text(task, "assignee");
}

void print_json(const Json& value) {
  std::printf("%s\n", value.dump(2).c_str());
}

// A priority flag as the API takes it: 0-4 as a number, names as they are.
Json priority_value(const std::string& p) {
  if (p.size() == 1 && std::isdigit(static_cast<unsigned char>(p[0]))) return p[0] - '0';
  return p;
}

// Splits "a,b" and repeated flags into one list.
std::vector<std::string> split_ids(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    size_t i = 0;
    while (i <= v.size()) {
      size_t j = v.find(',', i);
      if (j == std::string::npos) j = v.size();
      if (j > i) out.push_back(v.substr(i, j - i));
      i = j + 1;
    }
  }
  return out;
}

// Every task matching `query` ("status=…&…"), following the list's pages.
Result<std::vector<Json>> fetch_all(Client& client, const std::string& query) {
  std::vector<Json> all;
  std::string after;
  for (;;) {
    std::string target = "/api/v1/tasks?limit=1000" + query;
    if (!after.empty()) target += "&after=" + path_segment(after);
    auto page = client.get(target);
    if (!page) return tl::unexpected(page.error());
    for (const auto& t : (*page)["tasks"])
      all.push_back(t);
    if (!page->contains("next_after")) return all;
    after = (*page)["next_after"].get<std::string>();
  }
}

void print_header() {
  std::printf("%-12s %-12s %-3s %-14s %-10s %s\n", "ID", "STATUS", "PRI", "ASSIGNEE", "ROLE",
              "TITLE");
}

void print_row(const Json& t, const std::string& prefix = "") {
  std::string role = text(t, "role", "");
  std::printf("%-12s %-12s %-3s %-14s %-10s %s%s\n", text(t, "id").c_str(),
              text(t, "status").c_str(), text(t, "priority").c_str(), assignee_text(t).c_str(),
              role.empty() ? "-" : role.c_str(), prefix.c_str(), text(t, "title").c_str());
}

// Parents above their children, drawn with ├─ └─ │ in the title column. A task whose parent
// is not in the list is a root.
void print_tree(const std::vector<Json>& tasks) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < tasks.size(); ++i)
    index[text(tasks[i], "id")] = i;
  std::map<std::string, std::vector<size_t>> kids;
  std::vector<size_t> roots;
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string parent = text(tasks[i], "parent_id", "");
    if (!parent.empty() && index.count(parent)) {
      kids[parent].push_back(i);
    } else {
      roots.push_back(i);
    }
  }
  // Iterative depth-first walk: (task, prefix for its own line, prefix for its children).
  struct Item {
    size_t task;
    std::string own;
    std::string below;
  };
  std::vector<Item> stack;
  for (auto it = roots.rbegin(); it != roots.rend(); ++it)
    stack.push_back({*it, "", ""});
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    print_row(tasks[item.task], item.own);
    const auto& children = kids[text(tasks[item.task], "id")];
    for (size_t k = children.size(); k-- > 0;) {
      bool last = k + 1 == children.size();
      stack.push_back(
          {children[k], item.below + (last ? "└─ " : "├─ "), item.below + (last ? "   " : "│  ")});
    }
  }
}

struct AddFlags {
  std::string title;
  std::string desc;
  std::string role;
  std::string priority;
  std::vector<std::string> depends_on;
  std::string parent;
  std::string assign;
  std::string project;
  bool json = false;
};

void setup_add(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<AddFlags>();
  app.add_option("title", f->title, "what is to be done (at most 200 bytes)")->required();
  app.add_option("--desc", f->desc, "a longer description");
  app.add_option("--role", f->role, "the role that should take it");
  app.add_option("--priority", f->priority, "0 (highest) to 4, or urgent, high, normal, low");
  app.add_option("--depends-on", f->depends_on,
                 "tasks that must be done first (repeatable, or a,b)");
  app.add_option("--parent", f->parent, "the parent task");
  app.add_option("--assign", f->assign, "an agent to assign it to");
  app.add_option("--project", f->project, "the project it belongs to (name or id)");
  app.add_flag("--json", f->json, "print the task as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body{{"title", f->title}};
      if (!f->desc.empty()) body["description"] = f->desc;
      if (!f->role.empty()) body["role"] = f->role;
      if (!f->priority.empty()) body["priority"] = priority_value(f->priority);
      auto deps = split_ids(f->depends_on);
      if (!deps.empty()) body["depends_on"] = deps;
      if (!f->parent.empty()) body["parent_id"] = f->parent;
      if (!f->assign.empty()) body["assignee"] = f->assign;
      if (!f->project.empty()) body["project"] = f->project;
      auto task = client.post("/api/v1/tasks", body);
      if (!task) return tl::unexpected(task.error());
      if (f->json) {
        print_json(*task);
      } else {
        std::printf("added %s (%s): %s\n", text(*task, "id").c_str(), text(*task, "status").c_str(),
                    text(*task, "title").c_str());
      }
      return {};
    });
  });
}

struct ListFlags {
  std::string status;
  std::string role;
  std::string assignee;
  std::string parent;
  std::string project;
  bool tree = false;
  bool json = false;
};

void setup_list(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ListFlags>();
  app.add_option("--status", f->status, "only these statuses (a,b)");
  app.add_option("--role", f->role, "only this role");
  app.add_option("--assignee", f->assignee, "only tasks of this agent");
  app.add_option("--parent", f->parent, "only the subtasks of this task");
  app.add_option("--project", f->project, "only the tasks of this project (name or id)");
  app.add_flag("--tree", f->tree, "show subtasks under their parents");
  app.add_flag("--json", f->json, "print the tasks as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string query;
      for (auto [key, value] :
           {std::pair{"status", &f->status}, std::pair{"role", &f->role},
            std::pair{"assignee", &f->assignee}, std::pair{"parent", &f->parent},
            std::pair{"project", &f->project}}) {
        if (!value->empty()) query += fmt::format("&{}={}", key, path_segment(*value));
      }
      auto tasks = fetch_all(client, query);
      if (!tasks) return tl::unexpected(tasks.error());
      if (f->json) {
        print_json(Json(*tasks));
        return {};
      }
      if (tasks->empty()) {
        std::printf("no tasks (add one with 'bosun task add TITLE')\n");
        return {};
      }
      print_header();
      if (f->tree) {
        print_tree(*tasks);
      } else {
        for (const auto& t : *tasks)
          print_row(t);
      }
      return {};
    });
  });
}

void setup_ready(CLI::App& app, CommandContext& ctx) {
  auto role = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("--role", *role, "tasks for this role (and tasks without a role)");
  app.add_flag("--json", *json, "print the tasks as JSON");
  app.callback([&ctx, role, json] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = "/api/v1/tasks/ready?limit=1000";
      if (!role->empty()) target += "&role=" + path_segment(*role);
      auto ready = client.get(target);
      if (!ready) return tl::unexpected(ready.error());
      const Json& tasks = (*ready)["tasks"];
      if (*json) {
        print_json(tasks);
        return {};
      }
      if (tasks.empty()) {
        std::printf("no ready tasks\n");
        return {};
      }
      print_header();
      for (const auto& t : tasks)
        print_row(t);
      return {};
    });
  });
}

// Lines of `body`, each indented by `indent`.
void print_indented(const std::string& body, const char* indent) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line))
    std::printf("%s%s\n", indent, line.c_str());
}

void print_task(Client& client, const Json& t, const Json& comments, const Json& history,
                const Json& reports) {
  std::printf("%s  %s\n", text(t, "id").c_str(), text(t, "title").c_str());
  std::printf("status:     %s (priority %s)%s\n", text(t, "status").c_str(),
              text(t, "priority").c_str(), t.value("ready", false) ? ", ready" : "");
  std::printf("assignee:   %s\n", assignee_text(t).c_str());
  // Where the task is on the supervisor's recovery ladder: each step taken, with whose it was.
  std::string ladder;
  for (const auto& h : history) {
    if (text(h, "field") != "recovery") continue;
    ladder += fmt::format("{}{} ({})", ladder.empty() ? "" : " → ", text(h, "to"), text(h, "from"));
  }
  if (!ladder.empty()) std::printf("recovery:   %s\n", ladder.c_str());
  if (!text(t, "role", "").empty()) std::printf("role:       %s\n", text(t, "role").c_str());
  if (!t["project_id"].is_null()) std::printf("project:    %s\n", text(t, "project_id").c_str());
  if (!t["parent_id"].is_null()) std::printf("parent:     %s\n", text(t, "parent_id").c_str());
  if (t.contains("children") && !t["children"].empty()) {
    std::string kids;
    for (const auto& c : t["children"])
      kids += (kids.empty() ? "" : ", ") + c.get<std::string>();
    std::printf("subtasks:   %s\n", kids.c_str());
  }
  if (!t["depends_on"].empty()) {
    std::string deps;
    for (const auto& d : t["depends_on"]) {
      std::string id = d.get<std::string>();
      auto dep = client.get(task_path(id));
      deps +=
          fmt::format("{}{} ({})", deps.empty() ? "" : ", ", id, dep ? text(*dep, "status") : "?");
    }
    std::printf("depends on: %s\n", deps.c_str());
  }
  std::printf("created:    %s\n", text(t, "created_at").c_str());
  if (!t["started_at"].is_null()) std::printf("started:    %s\n", text(t, "started_at").c_str());
  if (!t["done_at"].is_null()) std::printf("done:       %s\n", text(t, "done_at").c_str());
  if (!text(t, "description", "").empty()) {
    std::printf("\ndescription:\n");
    print_indented(text(t, "description"), "  ");
  }
  if (t.contains("decisions") && !t["decisions"].empty()) {
    std::printf("\ndecisions for this work (keep to them):\n");
    for (const auto& d : t["decisions"]) {
      std::printf("  - [%s] %s\n", text(d, "kind").c_str(), text(d, "text").c_str());
    }
  }
  if (!comments.empty()) {
    std::printf("\ncomments:\n");
    for (const auto& c : comments) {
      std::printf("  %s %s:\n", text(c, "created_at").c_str(), text(c, "author").c_str());
      print_indented(text(c, "body"), "    ");
    }
  }
  if (!history.empty()) {
    std::printf("\nhistory:\n");
    for (const auto& h : history) {
      std::string reason = text(h, "reason", "");
      auto nl = reason.find('\n');
      if (nl != std::string::npos) reason = reason.substr(0, nl) + " …";
      std::printf("  %s %-10s %s: %s → %s%s\n", text(h, "at").c_str(), text(h, "actor").c_str(),
                  text(h, "field").c_str(), text(h, "from").c_str(), text(h, "to").c_str(),
                  reason.empty() ? "" : ("  (" + reason + ")").c_str());
    }
  }
  if (!reports.empty()) {
    std::printf("\nreports:\n");
    for (const auto& r : reports) {
      std::printf("  #%s %s by %s at %s, check: %s\n", text(r, "id").c_str(),
                  text(r, "status").c_str(), text(r, "author").c_str(),
                  text(r, "created_at").c_str(), text(r, "verified").c_str());
      const Json& body = r["body"];
      if (!text(body, "summary", "").empty()) {
        std::printf("    summary: %s\n", text(body, "summary").c_str());
      }
      if (!text(body, "blocked_reason", "").empty()) {
        std::printf("    blocked: %s\n", text(body, "blocked_reason").c_str());
      }
      if (!text(r, "check_log", "").empty()) print_indented(text(r, "check_log"), "    | ");
    }
  }
}

void setup_show(CLI::App& app, CommandContext& ctx) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("task", *id, "task id")->required();
  app.add_flag("--json", *json, "print the task, comments, history and reports as JSON");
  app.callback([&ctx, id, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto task = client.get(task_path(*id));
      if (!task) return tl::unexpected(task.error());
      auto comments = client.get(task_path(*id, "/comments"));
      if (!comments) return tl::unexpected(comments.error());
      auto history = client.get(task_path(*id, "/history"));
      if (!history) return tl::unexpected(history.error());
      auto reports = client.get(task_path(*id, "/reports"));
      if (!reports) return tl::unexpected(reports.error());
      if (*json) {
        print_json(Json{{"task", *task},
                        {"comments", (*comments)["comments"]},
                        {"history", (*history)["history"]},
                        {"reports", (*reports)["reports"]}});
      } else {
        print_task(client, *task, (*comments)["comments"], (*history)["history"],
                   (*reports)["reports"]);
      }
      return {};
    });
  });
}

// One line about a task after a change: "t_x: in_progress, priority 2, kai".
void print_state(const char* verb, const Json& t) {
  std::printf("%s %s: %s, priority %s, assignee %s\n", verb, text(t, "id").c_str(),
              text(t, "status").c_str(), text(t, "priority").c_str(), assignee_text(t).c_str());
}

void setup_claim(CLI::App& app, CommandContext& ctx) {
  auto id = std::make_shared<std::string>();
  auto agent = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("task", *id, "task id")->required();
  app.add_option("--agent", *agent, "the agent that takes it (default: the calling agent)");
  app.add_flag("--json", *json, "print the task as JSON");
  app.callback([&ctx, id, agent, json] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!agent->empty()) body["agent"] = *agent;
      auto task = client.post(task_path(*id, "/claim"), body);
      if (!task) return tl::unexpected(task.error());
      if (*json) {
        print_json(*task);
      } else {
        print_state("claimed", *task);
        if ((*task).contains("branch") && (*task)["branch"].is_string()) {
          std::printf("branch: %s (from %s)\n", text(*task, "branch").c_str(),
                      text(*task, "base_branch").c_str());
        }
      }
      return {};
    });
  });
}

struct UpdateFlags {
  std::string id;
  std::string status;
  std::string priority;
  std::string reason;
  std::string title;
  std::string desc;
  std::string role;
  CLI::Option* role_given = nullptr;
  std::string assign;
  bool unassign = false;
  std::vector<std::string> depends_on;
  bool no_deps = false;
  bool json = false;
};

void setup_update(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<UpdateFlags>();
  app.add_option("task", f->id, "task id")->required();
  app.add_option("--status", f->status,
                 "backlog, pending, assigned, in_progress, review, blocked, failed, cancelled");
  app.add_option("--priority", f->priority, "0 (highest) to 4, or urgent, high, normal, low");
  app.add_option("--reason", f->reason, "why (kept in the task's history)");
  app.add_option("--title", f->title, "a new title");
  app.add_option("--desc", f->desc, "a new description");
  f->role_given = app.add_option("--role", f->role, "a new role ('' for none)");
  app.add_option("--assign", f->assign, "assign it to this agent");
  app.add_flag("--unassign", f->unassign, "take it away from its assignee");
  app.add_option("--depends-on", f->depends_on, "replace its dependencies (repeatable, or a,b)");
  app.add_flag("--no-deps", f->no_deps, "remove all its dependencies");
  app.add_flag("--json", f->json, "print the task as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!f->status.empty()) body["status"] = f->status;
      if (!f->priority.empty()) body["priority"] = priority_value(f->priority);
      if (!f->reason.empty()) body["reason"] = f->reason;
      if (!f->title.empty()) body["title"] = f->title;
      if (!f->desc.empty()) body["description"] = f->desc;
      if (f->role_given->count() > 0) body["role"] = f->role;
      if (!f->assign.empty()) body["assignee"] = f->assign;
      if (f->unassign) body["assignee"] = nullptr;
      if (f->no_deps) body["depends_on"] = Json::array();
      auto deps = split_ids(f->depends_on);
      if (!deps.empty()) body["depends_on"] = deps;
      if (body.empty() || (body.size() == 1 && body.contains("reason"))) {
        return bad_request("nothing_to_do",
                           "nothing to update: give --status, --priority, --title, "
                           "--desc, --role, --assign, --unassign or --depends-on");
      }
      auto task = client.patch(task_path(f->id), body);
      if (!task) return tl::unexpected(task.error());
      if (f->json) {
        print_json(*task);
      } else {
        print_state("updated", *task);
      }
      return {};
    });
  });
}

void setup_comment(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  auto body = std::make_shared<std::string>();
  app.add_option("task", *id, "task id")->required();
  app.add_option("text", *body, "the comment")->required();
  app.callback([&ctx, json, id, body] {
    with_client(ctx, [&](Client& client) -> Status {
      auto comment = client.post(task_path(*id, "/comments"), Json{{"body", *body}});
      if (!comment) return tl::unexpected(comment.error());
      if (*json) {
        print_json(*comment);
        return {};
      }
      std::printf("commented on %s\n", id->c_str());
      return {};
    });
  });
}

void setup_approve(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  auto note = std::make_shared<std::string>();
  app.add_option("task", *id, "task id (in review)")->required();
  app.add_option("--note", *note, "a note for the history");
  app.callback([&ctx, json, id, note] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!note->empty()) body["note"] = *note;
      auto task = client.post(task_path(*id, "/approve"), body);
      if (!task) return tl::unexpected(task.error());
      if (*json) {
        print_json(*task);
        return {};
      }
      print_state("approved", *task);
      if (task->contains("merge")) {
        const Json& m = (*task)["merge"];
        std::printf("merged %s into %s: %s %s\n", m.value("branch", "").c_str(),
                    m.value("base", "").c_str(), m.value("result", "").c_str(),
                    m.value("commit", "").substr(0, 12).c_str());
      }
      return {};
    });
  });
}

void setup_reject(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  app.add_option("task", *id, "task id (in review)")->required();
  app.add_option("reason", *reason, "what is wrong (the agent sees it as a comment)")->required();
  app.callback([&ctx, json, id, reason] {
    with_client(ctx, [&](Client& client) -> Status {
      auto task = client.post(task_path(*id, "/reject"), Json{{"reason", *reason}});
      if (!task) return tl::unexpected(task.error());
      if (*json) {
        print_json(*task);
        return {};
      }
      print_state("rejected", *task);
      return {};
    });
  });
}

struct DiffFlags {
  std::string id;
  std::string file;
  bool stat = false;
  bool ignore_whitespace = false;
  bool json = false;
};

void print_diff(const Json& d, bool stat) {
  const Json& st = d["stats"];
  std::printf(
      "%s: %s → %s, %lld ahead, %lld behind; %lld %s, +%lld −%lld\n", d.value("task", "").c_str(),
      d.value("branch", "").c_str(), d.value("base", "").c_str(),
      static_cast<long long>(d.value("ahead", 0)), static_cast<long long>(d.value("behind", 0)),
      static_cast<long long>(st.value("files", 0)), st.value("files", 0) == 1 ? "file" : "files",
      static_cast<long long>(st.value("added", 0)), static_cast<long long>(st.value("removed", 0)));
  const Json& merge = d["merge"];
  std::string result = merge.value("result", "");
  std::string state = result == "merged" || result == "fast_forward" ? "merges cleanly"
                      : result == "already_merged"                   ? "already merged"
                      : result == "conflict"                         ? "conflicts in"
                      : result == "outside_domains" ? "changes files outside its role's domains:"
                                                    : result;
  std::string files;
  if (result == "conflict" || result == "outside_domains") {
    for (const auto& f : merge["files"])
      files += " " + f.get<std::string>();
  }
  std::printf("merge: %s%s\n", state.c_str(), files.c_str());
  for (const auto& c : d["commits"]) {
    std::printf("  %s %s\n", c.value("id", "").substr(0, 12).c_str(),
                c.value("subject", "").c_str());
  }
  for (const auto& f : d["files"]) {
    if (f.value("binary", false)) {
      std::printf("  %-9s %s (binary)\n", f.value("status", "").c_str(),
                  f.value("path", "").c_str());
    } else {
      std::printf("  %-9s %s +%lld −%lld\n", f.value("status", "").c_str(),
                  f.value("path", "").c_str(), static_cast<long long>(f.value("added", 0)),
                  static_cast<long long>(f.value("removed", 0)));
    }
  }
  if (!stat) std::printf("\n%s", d.value("patch", "").c_str());
}

void setup_diff(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<DiffFlags>();
  app.add_option("task", f->id, "task id")->required();
  app.add_flag("--stat", f->stat, "commits and files with lines added and removed, no patch");
  app.add_option("--file", f->file, "only this file's patch");
  app.add_flag("-w,--ignore-whitespace", f->ignore_whitespace, "ignore changes in whitespace");
  app.add_flag("--json", f->json, "print the diff as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = task_path(f->id, "/diff");
      std::string sep = "?";
      if (!f->file.empty()) {
        target += sep + "file=" + path_segment(f->file);
        sep = "&";
      }
      if (f->ignore_whitespace) target += sep + "whitespace=ignore";
      auto d = client.get(target);
      if (!d) return tl::unexpected(d.error());
      if (f->json) {
        std::printf("%s\n", d->dump(2).c_str());
      } else {
        print_diff(*d, f->stat);
      }
      return {};
    });
  });
}

void setup_rebase(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  app.add_option("task", *id, "task id")->required();
  app.callback([&ctx, json, id] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.post(task_path(*id, "/rebase"), Json::object());
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        print_json(*r);
        return {};
      }
      std::printf("%s: %s onto %s (%s)\n", id->c_str(), r->value("branch", "").c_str(),
                  r->value("base", "").c_str(), r->value("result", "").c_str());
      return {};
    });
  });
}

void setup_rm(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  app.add_option("task", *id, "task id (never started)")->required();
  app.callback([&ctx, json, id] {
    with_client(ctx, [&](Client& client) -> Status {
      auto reply = client.del(task_path(*id));
      if (!reply) return tl::unexpected(reply.error());
      if (*json) {
        print_json(*reply);
        return {};
      }
      std::printf("deleted %s\n", id->c_str());
      return {};
    });
  });
}

const Verb kTaskVerbs[] = {
    {"add", "add a task: bosun task add TITLE [--desc D] [--depends-on T…]", setup_add},
    {"list", "list tasks (--status, --role, --assignee; --tree for subtasks)", setup_list},
    {"ready", "tasks that can be claimed now (pending, dependencies done)", setup_ready},
    {"show", "a task with its dependencies, comments, history and reports", setup_show},
    {"claim", "take a ready task (inside an agent: for that agent)", setup_claim},
    {"update", "change status, priority, title, role, assignee or dependencies", setup_update},
    {"comment", "add a comment to a task", setup_comment},
    {"diff", "a task's branch against its base: commits, files, patch, merge state", setup_diff},
    {"approve", "approve a task in review: its branch is merged, then it is done", setup_approve},
    {"rebase", "rebase a task's branch onto its base (aborted on conflict)", setup_rebase},
    {"reject", "send a task in review back to in_progress with a reason", setup_reject},
    {"rm", "delete a task that was never started", setup_rm},
    {"export", "the board as beads JSONL issues (-o FILE, else stdout)", setup_task_export},
    {"import", "tasks from a beads issues.jsonl or a bosun export (--dry-run)", setup_task_import},
};

void setup_task(CLI::App& app, CommandContext& ctx) {
  add_verbs(app, ctx, kTaskVerbs);
}

struct SubmitFlags {
  std::string file;
  std::string task;
  bool json = false;
};

Result<std::string> read_report(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return bad_request("cannot_read", "cannot read " + file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void setup_submit(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<SubmitFlags>();
  app.add_option("file", f->file, "the report JSON file, or - for stdin")->required();
  app.add_option("--task", f->task, "the task (default: $BOSUN_TASK, else the one task you hold)");
  app.add_flag("--json", f->json, "print the stored report and the task as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string task = current_task(client, f->task);
      if (task.empty()) {
        return bad_request("which_task", "which task? pass --task T (or set BOSUN_TASK)");
      }
      auto raw = read_report(f->file);
      if (!raw) return tl::unexpected(raw.error());
      auto report = parse_json(*raw);
      if (!report) {
        return bad_request("invalid_json", f->file + ": " + report.error().message);
      }
      auto reply = client.post(task_path(task, "/reports"), *report);
      if (!reply) return tl::unexpected(reply.error());
      if (f->json) {
        print_json(*reply);
        return {};
      }
      const Json& t = (*reply)["task"];
      const Json& r = (*reply)["report"];
      std::printf("report %s on %s: %s; the task is %s%s\n", text(r, "id").c_str(),
                  text(t, "id").c_str(), text(r, "status").c_str(), text(t, "status").c_str(),
                  text(t, "status") == "review" ? " until the check passes" : "");
      return {};
    });
  });
}

void setup_report(CLI::App& app, CommandContext& ctx) {
  app.require_subcommand(1);
  CLI::App* sub =
      app.add_subcommand("submit", "submit a report (done, partial or blocked) on a task");
  setup_submit(*sub, ctx);
}

}  // namespace

const Command kTaskCommand{"task", "the task board: add, list, claim, update, review tasks",
                           setup_task};
const Command kReportCommand{"report", "submit a report on a task", setup_report};

}  // namespace bosun::cli
