// Projects, worktrees, roles and decisions from the command line.
#include "cli/project_commands.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/family.h"
#include "util/text.h"

namespace bosun::cli {

namespace {

std::string human_size(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024LL * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
  if (bytes < 1024LL * 1024 * 1024) {
    return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024));
  }
  return fmt::format("{:.2f} GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  return std::filesystem::absolute(path.empty() ? "." : path, ec).lexically_normal().string();
}

// ---- project ----

struct ProjectFlags {
  std::string path;
  std::string name, tech_stack, base, mode, test, setup, cleanup, setup_timeout;
  std::vector<std::string> include;
  bool json = false;
};

void print_project(const Json& p) {
  std::printf("name:       %s\n", text(p, "name").c_str());
  std::printf("id:         %s\n", text(p, "id").c_str());
  std::printf("path:       %s\n", text(p, "path").c_str());
  std::printf("base:       %s\n", text(p, "base_branch").c_str());
  std::printf("mode:       %s\n", text(p, "execution_mode").c_str());
  if (!text(p, "tech_stack", "").empty()) {
    std::printf("stack:      %s\n", text(p, "tech_stack").c_str());
  }
  std::printf("test:       %s\n", text(p, "test_command").c_str());
  std::printf("setup:      %s (timeout %s ms)\n", text(p, "setup_command").c_str(),
              text(p, "setup_timeout_ms").c_str());
  std::printf("cleanup:    %s\n", text(p, "cleanup_command").c_str());
  std::string inc;
  for (const auto& f : p["worktree_include"])
    inc += (inc.empty() ? "" : ", ") + f.get<std::string>();
  std::printf("copied in:  %s\n", inc.empty() ? "-" : inc.c_str());
}

void add_project_options(CLI::App& app, ProjectFlags& f) {
  app.add_option("--name", f.name, "project name (default: the folder's)");
  app.add_option("--tech-stack", f.tech_stack, "what it is built with, for people and agents");
  app.add_option("--base", f.base, "branch worktrees start from and merge into");
  app.add_option("--mode", f.mode, "auto: merge checked work; review: a person merges")
      ->check(CLI::IsMember({"auto", "review"}));
  app.add_option("--test", f.test, "test command, run by sh -c in the agent's worktree");
  app.add_option("--setup", f.setup, "command run in each new worktree");
  app.add_option("--cleanup", f.cleanup, "command run before a worktree is removed");
  app.add_option("--setup-timeout", f.setup_timeout, "limit for setup and cleanup (\"5m\")");
  app.add_option("--include", f.include, "untracked file copied into new worktrees (repeatable)");
  app.add_flag("--json", f.json, "print the project as JSON");
}

Json project_body(const ProjectFlags& f) {
  Json body = Json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) body[key] = v;
  };
  put("name", f.name);
  put("tech_stack", f.tech_stack);
  put("base_branch", f.base);
  put("execution_mode", f.mode);
  put("test_command", f.test);
  put("setup_command", f.setup);
  put("cleanup_command", f.cleanup);
  put("setup_timeout", f.setup_timeout);
  if (!f.include.empty()) body["worktree_include"] = f.include;
  return body;
}

void setup_project_add(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ProjectFlags>();
  app.add_option("path", f->path, "the git repository (default: the current folder)");
  add_project_options(app, *f);
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = project_body(*f);
      const bool settings = !body.empty();
      body["path"] = absolute(f->path);
      auto reply = client.request("POST", "/api/v1/projects", dump_json(body));
      if (!reply) return tl::unexpected(reply.error());
      if (reply->status >= 400) return tl::unexpected(reply_error(*reply));
      Json parsed = Json::parse(reply->body, nullptr, false);
      if (parsed.is_discarded()) return internal("bad_reply", "the daemon's reply is not JSON");
      auto p = std::optional<Json>(std::move(parsed));
      // 200: the project was there already, and adding it again changed nothing — its settings
      // included, which `project set` changes.
      if (reply->status == 200 && settings) {
        return fail(ErrorKind::kConflict, "project_exists",
                    fmt::format("project {} exists; its settings were not changed: use 'bosun "
                                "project set {} …' with the same flags",
                                text(*p, "name"), text(*p, "name")));
      }
      if (f->json) {
        std::printf("%s\n", p->dump(2).c_str());
      } else {
        std::printf("%sproject %s (%s): %s, base %s, mode %s\n",
                    reply->status == 200 ? "already a " : "", text(*p, "name").c_str(),
                    text(*p, "id").c_str(), text(*p, "path").c_str(),
                    text(*p, "base_branch").c_str(), text(*p, "execution_mode").c_str());
      }
      return {};
    });
  });
}

void setup_project_set(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ProjectFlags>();
  app.add_option("project", f->path, "name or id")->required();
  add_project_options(app, *f);
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto p = client.patch("/api/v1/projects/" + path_segment(f->path), project_body(*f));
      if (!p) return tl::unexpected(p.error());
      if (f->json) {
        std::printf("%s\n", p->dump(2).c_str());
      } else {
        print_project(*p);
      }
      return {};
    });
  });
}

void setup_project_list(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the projects as JSON");
  app.callback([&ctx, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto list = client.get("/api/v1/projects");
      if (!list) return tl::unexpected(list.error());
      if (*json) {
        std::printf("%s\n", (*list)["projects"].dump(2).c_str());
        return {};
      }
      if ((*list)["projects"].empty()) {
        std::printf("no projects (add one with 'bosun project add PATH')\n");
        return {};
      }
      std::printf("%-16s %-12s %-10s %-7s %s\n", "NAME", "ID", "BASE", "MODE", "PATH");
      for (const auto& p : (*list)["projects"]) {
        std::printf("%-16s %-12s %-10s %-7s %s\n", text(p, "name").c_str(), text(p, "id").c_str(),
                    text(p, "base_branch").c_str(), text(p, "execution_mode").c_str(),
                    text(p, "path").c_str());
      }
      return {};
    });
  });
}

void setup_project_show(CLI::App& app, CommandContext& ctx) {
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("project", *project, "name or id")->required();
  app.add_flag("--json", *json, "print the project as JSON");
  app.callback([&ctx, project, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto p = client.get("/api/v1/projects/" + path_segment(*project));
      if (!p) return tl::unexpected(p.error());
      if (*json) {
        std::printf("%s\n", p->dump(2).c_str());
      } else {
        print_project(*p);
      }
      return {};
    });
  });
}

const Verb kProjectVerbs[] = {
    {"add", "register a git repository as a project (again: shows it)", setup_project_add},
    {"list", "list projects", setup_project_list},
    {"show", "show a project's settings", setup_project_show},
    {"set", "change a project's settings", setup_project_set},
};

// ---- worktree ----

std::string worktree_state(const Json& w) {
  if (text(w, "state") != "active") return text(w, "state");
  const Json& st = w["status"];
  if (!st.is_object()) return "?";
  if (st.contains("error")) return "unreadable";
  if (!st.value("exists", true)) return "missing";
  std::string out;
  if (st.value("dirty", false)) out = fmt::format("dirty({})", st["dirty_files"].size());
  if (st.value("ahead", 0) > 0) {
    out += (out.empty() ? "" : ",") + fmt::format("unmerged({})", st.value("ahead", 0));
  }
  if (st.value("behind", 0) > 0) {
    out += (out.empty() ? "" : ",") + fmt::format("behind({})", st.value("behind", 0));
  }
  return out.empty() ? "clean" : out;
}

void setup_worktree_list(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string project;
    bool all = false;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("--project", f->project, "only this project's");
  app.add_flag("--all", f->all, "removed ones too");
  app.add_flag("--json", f->json, "print as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = "/api/v1/worktrees?all=" + std::string(f->all ? "true" : "false");
      if (!f->project.empty()) target += "&project=" + path_segment(f->project);
      auto list = client.get(target);
      if (!list) return tl::unexpected(list.error());
      const Json& wts = (*list)["worktrees"];
      if (f->json) {
        std::printf("%s\n", wts.dump(2).c_str());
        return {};
      }
      if (wts.empty()) {
        std::printf("no worktrees\n");
        return {};
      }
      std::printf("%-12s %-10s %-16s %-30s %-9s %-10s %s\n", "ID", "AGENT", "BRANCH", "STATE",
                  "RUN", "SIZE", "PATH");
      for (const auto& w : wts) {
        std::string agent_state = text(w, "agent_state", "gone");
        std::printf("%-12s %-10s %-16s %-30s %-9s %-10s %s\n", text(w, "id").c_str(),
                    text(w, "agent").c_str(), text(w, "branch").c_str(), worktree_state(w).c_str(),
                    agent_state.c_str(),
                    w.contains("size_bytes") ? human_size(w.value("size_bytes", 0)).c_str() : "-",
                    text(w, "path").c_str());
      }
      return {};
    });
  });
}

void setup_worktree_rm(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  app.add_option("worktree", *id, "worktree id, or the agent's name")->required();
  app.add_flag("--force", *force,
               "remove it despite uncommitted or unmerged work (a backup ref keeps it all)");
  app.callback([&ctx, json, id, force] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.del("/api/v1/worktrees/" + path_segment(*id) + (*force ? "?force=true" : ""));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        print_json(*r);
        return {};
      }
      const Json& w = (*r)["worktree"];
      std::printf("removed %s (%s, %s)\n", text(w, "id").c_str(), text(w, "agent").c_str(),
                  text(w, "path").c_str());
      if (r->contains("backup_ref")) {
        std::printf("everything it held is kept in %s\n  (git log %s; git checkout -b NAME %s)\n",
                    text(*r, "backup_ref").c_str(), text(*r, "backup_ref").c_str(),
                    text(*r, "backup_ref").c_str());
      }
      return {};
    });
  });
}

void setup_worktree_prune(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.post("/api/v1/worktrees/prune", Json::object());
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      int64_t freed = 0;
      for (const auto& w : (*r)["removed"]) {
        freed += w.value("size_bytes", 0);
        std::printf("removed %-12s %-10s %s\n", text(w, "id").c_str(), text(w, "agent").c_str(),
                    text(w, "path").c_str());
      }
      for (const auto& w : (*r)["kept"]) {
        std::printf("kept    %-12s %-10s %s — %s\n", text(w, "id", "").c_str(),
                    text(w, "agent", "").c_str(), text(w, "path").c_str(), text(w, "why").c_str());
      }
      std::printf("%zu removed (%s freed), %zu kept\n", (*r)["removed"].size(),
                  human_size(freed).c_str(), (*r)["kept"].size());
      return {};
    });
  });
}

const Verb kWorktreeVerbs[] = {
    {"list", "worktrees with their state and size on disk", setup_worktree_list},
    {"rm", "remove a worktree (refuses unsaved work unless --force)", setup_worktree_rm},
    {"prune", "remove every worktree that is provably safe to remove", setup_worktree_prune},
};

// ---- role ----

void setup_role_list(CLI::App& app, CommandContext& ctx) {
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("--project", *project, "the project whose roles to list");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, project, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.get("/api/v1/roles" +
                          (project->empty() ? "" : "?project=" + path_segment(*project)));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      if ((*r)["roles"].empty()) {
        std::printf("no roles in %s/.bosun/roles or .claude/agents\n", text(*r, "root").c_str());
        return {};
      }
      for (const auto& role : (*r)["roles"]) {
        if (!role["error"].is_null()) {
          std::printf("%-20s BROKEN  %s\n", text(role, "name").c_str(),
                      text(role, "error").c_str());
          continue;
        }
        std::string domains;
        for (const auto& d : role["domains"])
          domains += (domains.empty() ? "" : ",") + d.get<std::string>();
        std::printf("%-20s %s%s%s\n", text(role, "name").c_str(),
                    role.value("shadowed", false) ? "(shadowed) " : "",
                    text(role, "description", "").substr(0, 60).c_str(),
                    domains.empty() ? "" : ("  [domains: " + domains + "]").c_str());
      }
      return {};
    });
  });
}

void setup_role_show(CLI::App& app, CommandContext& ctx) {
  auto name = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("role", *name, "role name")->required();
  app.add_option("--project", *project, "the project whose role it is");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, name, project, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.get("/api/v1/roles/" + path_segment(*name) +
                          (project->empty() ? "" : "?project=" + path_segment(*project)));
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      std::printf("name:        %s\nfile:        %s\n", text(*r, "name").c_str(),
                  text(*r, "file").c_str());
      if (!text(*r, "description", "").empty()) {
        std::printf("description: %s\n", text(*r, "description").c_str());
      }
      for (const char* key : {"tools", "domains"}) {
        std::string items;
        for (const auto& v : (*r)[key])
          items += (items.empty() ? "" : ", ") + v.get<std::string>();
        if (!items.empty())
          std::printf("%-12s %s\n", (std::string(key) + ":").c_str(), items.c_str());
      }
      if (!text(*r, "model", "").empty())
        std::printf("model:       %s\n", text(*r, "model").c_str());
      if (!(*r)["profile"].is_null()) std::printf("profile:     %s\n", text(*r, "profile").c_str());
      if (!(*r)["supervisor"].empty()) {
        std::printf("supervisor:  %s\n", (*r)["supervisor"].dump().c_str());
      }
      std::printf("\n%s", text(*r, "body", "").c_str());
      return {};
    });
  });
}

const Verb kRoleVerbs[] = {
    {"list", "roles of the project (.bosun/roles, then .claude/agents)", setup_role_list},
    {"show", "one role: its keys and instructions", setup_role_show},
};

// ---- decision ----

// The project a decision command means: --project, else $BOSUN_PROJECT, else the only one.
Result<std::string> decision_project(Client& client, const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("BOSUN_PROJECT"); env && *env) return std::string(env);
  auto list = client.get("/api/v1/projects");
  if (!list) return tl::unexpected(list.error());
  if ((*list)["projects"].size() == 1) return text((*list)["projects"][0], "id");
  return bad_request("project_required", "say which project: --project P");
}

void setup_decision_add(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  struct Flags {
    std::string kind, text, project;
    std::vector<std::string> roles;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("kind", f->kind, "gotcha, workaround, convention or decision")
      ->required()
      ->check(CLI::IsMember({"gotcha", "workaround", "convention", "decision"}));
  app.add_option("text", f->text, "what agents should know")->required();
  app.add_option("--role", f->roles, "only for agents of this role (repeatable)");
  app.add_option("--project", f->project, "project name or id");
  app.callback([&ctx, json, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto project = decision_project(client, f->project);
      if (!project) return tl::unexpected(project.error());
      Json body{{"kind", f->kind}, {"text", f->text}};
      if (!f->roles.empty()) body["roles"] = f->roles;
      auto d = client.post("/api/v1/projects/" + path_segment(*project) + "/decisions", body);
      if (!d) return tl::unexpected(d.error());
      if (*json) {
        print_json(*d);
        return {};
      }
      std::printf("recorded %s #%s%s\n", text(*d, "kind").c_str(), text(*d, "id").c_str(),
                  d->value("proposed", false) ? " as a proposal (a person accepts it)" : "");
      return {};
    });
  });
}

void setup_decision_list(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string project, role;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("--project", f->project, "project name or id");
  app.add_option("--role", f->role, "only those an agent of this role is told");
  app.add_flag("--json", f->json, "print as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto project = decision_project(client, f->project);
      if (!project) return tl::unexpected(project.error());
      auto r = client.get("/api/v1/projects/" + path_segment(*project) + "/decisions" +
                          (f->role.empty() ? "" : "?role=" + path_segment(f->role)));
      if (!r) return tl::unexpected(r.error());
      if (f->json) {
        std::printf("%s\n", (*r)["decisions"].dump(2).c_str());
        return {};
      }
      for (const auto& d : (*r)["decisions"]) {
        std::string roles;
        for (const auto& x : d["roles"])
          roles += (roles.empty() ? "" : ",") + x.get<std::string>();
        bool proposed = d.value("proposed", false);
        std::printf("#%-4s %-11s %s%s%s\n", text(d, "id").c_str(), text(d, "kind").c_str(),
                    text(d, "text").c_str(), roles.empty() ? "" : ("  (" + roles + ")").c_str(),
                    proposed ? ("  [proposed by " + text(d, "author") + "]").c_str() : "");
      }
      return {};
    });
  });
}

void setup_decision_accept(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  struct Flags {
    std::string id, project;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("id", f->id, "the proposal's number (#N in decision list)")->required();
  app.add_option("--project", f->project, "project name or id");
  app.callback([&ctx, json, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto project = decision_project(client, f->project);
      if (!project) return tl::unexpected(project.error());
      std::string id = f->id.starts_with('#') ? f->id.substr(1) : f->id;
      auto d = client.post("/api/v1/projects/" + path_segment(*project) + "/decisions/" +
                               path_segment(id) + "/accept",
                           Json::object());
      if (!d) return tl::unexpected(d.error());
      if (*json) {
        print_json(*d);
        return {};
      }
      std::printf("accepted %s #%s: agents of its roles are told from now on\n",
                  text(*d, "kind").c_str(), text(*d, "id").c_str());
      return {};
    });
  });
}

const Verb kDecisionVerbs[] = {
    {"add", "record a gotcha, workaround, convention or decision", setup_decision_add},
    {"list", "the project's decisions (an agent's are proposals until accepted)",
     setup_decision_list},
    {"accept", "accept an agent's proposed decision, so agents are told it", setup_decision_accept},
};

}  // namespace

// ---- agent diff / merge / rebase ----

void setup_agent_diff(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string agent;
    bool stat = false;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("agent", f->agent, "name or id")->required();
  app.add_flag("--stat", f->stat, "only the files");
  app.add_flag("--json", f->json, "print as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto d = client.get(agent_path(f->agent, "/diff"));
      if (!d) return tl::unexpected(d.error());
      if (f->json) {
        std::printf("%s\n", d->dump(2).c_str());
        return {};
      }
      const Json& st = (*d)["status"];
      std::printf("%s against %s: %s ahead, %s behind%s\n", text(*d, "branch").c_str(),
                  text(*d, "base").c_str(), text(st, "ahead").c_str(), text(st, "behind").c_str(),
                  st.value("dirty", false) ? ", uncommitted changes" : "");
      for (const auto& file : (*d)["files"]) {
        std::printf("  %-10s %s%s\n", text(file, "status").c_str(), text(file, "path").c_str(),
                    file.value("committed", true) ? "" : "  (uncommitted)");
      }
      if (!f->stat) {
        std::printf("%s%s", text(*d, "patch", "").c_str(),
                    text(*d, "uncommitted_patch", "").c_str());
      }
      return {};
    });
  });
}

void setup_agent_merge(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string agent, into;
    bool rebase = false;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("agent", f->agent, "name or id")->required();
  app.add_option("--into", f->into, "target branch (default: the project's base)");
  app.add_flag("--rebase", f->rebase, "rebase the agent's branch onto the base first");
  app.add_flag("--json", f->json, "print as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body = Json::object();
      if (!f->into.empty()) body["into"] = f->into;
      if (f->rebase) body["rebase"] = true;
      auto r = client.post(agent_path(f->agent, "/merge"), body);
      if (!r) return tl::unexpected(r.error());
      if (f->json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      std::string result = text(*r, "result");
      if (result == "already_merged") {
        std::printf("%s has nothing that %s lacks\n", text(*r, "branch").c_str(),
                    text(*r, "base").c_str());
        return {};
      }
      size_t files = (*r)["files"].size();
      std::printf("%s %s into %s: %s (%zu file%s)\n",
                  result == "fast_forward" ? "fast-forwarded" : "merged",
                  text(*r, "branch").c_str(), text(*r, "base").c_str(),
                  text(*r, "commit").substr(0, 12).c_str(), files, files == 1 ? "" : "s");
      if (r->contains("tasks_done") && !(*r)["tasks_done"].empty()) {
        std::vector<std::string> done;
        for (const auto& t : (*r)["tasks_done"])
          done.push_back(t.is_string() ? t.get<std::string>() : t.dump());
        std::printf("done now that it is merged: %s\n", join(done, ", ").c_str());
      }
      if (r->contains("updated_checkout")) {
        std::printf("updated the checkout at %s\n", text(*r, "updated_checkout").c_str());
      }
      return {};
    });
  });
}

void setup_agent_rebase(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's reply as JSON");
  auto agent = std::make_shared<std::string>();
  app.add_option("agent", *agent, "name or id")->required();
  app.callback([&ctx, json, agent] {
    with_client(ctx, [&](Client& client) -> Status {
      auto r = client.post(agent_path(*agent, "/rebase"), Json::object());
      if (!r) return tl::unexpected(r.error());
      if (*json) {
        print_json(*r);
        return {};
      }
      std::printf(
          "%s %s onto %s%s\n", text(*r, "branch").c_str(),
          text(*r, "result") == "up_to_date" ? "is already" : "rebased", text(*r, "base").c_str(),
          r->contains("commit") ? (" (" + text(*r, "commit").substr(0, 12) + ")").c_str() : "");
      return {};
    });
  });
}

const Command kProjectCommand{
    "project", "register and configure projects (git repositories)",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kProjectVerbs); }};
const Command kWorktreeCommand{
    "worktree", "agents' worktrees: list, remove, prune",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kWorktreeVerbs); }};
const Command kRoleCommand{
    "role", "role files: list and show",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kRoleVerbs); }};
const Command kDecisionCommand{
    "decision", "a project's gotchas, workarounds and conventions",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kDecisionVerbs); }};

}  // namespace bosun::cli
