// Projects: validated through git (on the git worker), their fields, and where roles are found.
#include "crew/projects.h"

#include <algorithm>

#include <fmt/format.h>

#include "git/repo.h"
#include "util/duration.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr size_t kMaxCommandBytes = 4096;
constexpr size_t kMaxIncludes = 100;

bool valid_project_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

// name, tech_stack, base_branch and execution_mode from a POST/PATCH body.
Status apply_names(const Json& body, Project& p) {
  for (const char* key : {"name", "tech_stack", "base_branch", "execution_mode"}) {
    auto v = optional_string(body, key);
    if (!v) return tl::unexpected(v.error());
    if (!*v) continue;
    std::string s = **v;
    if (std::string(key) == "name") {
      if (!valid_project_name(s)) {
        return bad_request("invalid_name",
                           "project name must be 1-64 characters of [A-Za-z0-9._-]: " + s);
      }
      p.name = s;
    } else if (std::string(key) == "tech_stack") {
      if (s.size() > 200) return bad_request("invalid_field", "tech_stack is limited to 200 bytes");
      p.tech_stack = s;
    } else if (std::string(key) == "base_branch") {
      p.base_branch = s;
    } else {
      if (std::find(std::begin(kExecutionModes), std::end(kExecutionModes), s) ==
          std::end(kExecutionModes)) {
        return bad_request("invalid_field", "execution_mode must be 'auto' or 'review'");
      }
      p.execution_mode = s;
    }
  }
  return {};
}

// test_command, setup_command and cleanup_command: a string, or null or "" for none.
Status apply_commands(const Json& body, Project& p) {
  for (auto [key, target] :
       {std::pair{"test_command", &p.test_command}, std::pair{"setup_command", &p.setup_command},
        std::pair{"cleanup_command", &p.cleanup_command}}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (it->is_null()) {
      *target = std::nullopt;
      continue;
    }
    if (!it->is_string()) {
      return bad_request("invalid_field", fmt::format("field '{}' must be a string", key));
    }
    std::string s = it->get<std::string>();
    if (s.size() > kMaxCommandBytes || s.find('\0') != std::string::npos) {
      return bad_request("invalid_field", fmt::format("'{}' is limited to 4096 bytes", key));
    }
    if (s.empty()) {
      *target = std::nullopt;
    } else {
      *target = s;
    }
  }
  return {};
}

// setup_timeout: a duration ("5m") or milliseconds, from 100 ms to a day.
Status apply_setup_timeout(const Json& body, Project& p) {
  if (auto it = body.find("setup_timeout"); it != body.end() && !it->is_null()) {
    Millis d{0};
    if (it->is_number_integer()) {
      d = Millis(it->get<int64_t>());
    } else if (it->is_string()) {
      auto parsed = parse_duration(it->get<std::string>());
      if (!parsed) return bad_request("invalid_field", "setup_timeout: " + parsed.error().message);
      d = *parsed;
    } else {
      return bad_request("invalid_field",
                         "setup_timeout must be a duration (\"5m\") or milliseconds");
    }
    if (d.count() < 100 || d > Millis(24LL * 3600 * 1000)) {
      return bad_request("invalid_field", "setup_timeout must be between 100ms and 1d");
    }
    p.setup_timeout_ms = d.count();
  }
  return {};
}

// worktree_include: up to 100 relative paths that stay inside the repository.
Status apply_includes(const Json& body, Project& p) {
  if (auto it = body.find("worktree_include"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > kMaxIncludes) {
      return bad_request("invalid_field",
                         "worktree_include must be a list of at most 100 relative paths");
    }
    std::vector<std::string> files;
    for (const auto& v : *it) {
      if (!v.is_string()) {
        return bad_request("invalid_field", "worktree_include items must be strings");
      }
      fs::path f(v.get<std::string>());
      bool escapes =
          f.empty() || f.is_absolute() || std::any_of(f.begin(), f.end(), [](const fs::path& part) {
            return part == ".." || part == ".git";
          });
      if (escapes) {
        return bad_request(
            "invalid_field",
            "worktree_include paths must stay inside the repository: " + v.get<std::string>());
      }
      files.push_back(f.lexically_normal().string());
    }
    p.worktree_include = files;
  }
  return {};
}

// Applies the fields of a POST/PATCH body to `p`.
Status apply_fields(const Json& body, Project& p) {
  TRY_OK(apply_names(body, p));
  TRY_OK(apply_commands(body, p));
  TRY_OK(apply_setup_timeout(body, p));
  return apply_includes(body, p);
}

}  // namespace

Projects::Projects(Store& store, StoreRunner& runner, const Clock& clock, Log& log,
                   ProcessRunner& git, StateDir state)
    : store_(store),
      runner_(runner),
      clock_(clock),
      log_(log),
      git_(git),
      state_(std::move(state)) {}

Result<Project> Projects::find(const std::string& id_or_name) {
  return store_.projects().find(id_or_name);
}

asio::awaitable<Result<Json>> Projects::add(Json body) {
  auto path = require_string(body, "path");
  if (!path) co_return tl::unexpected(path.error());
  if (!fs::path(*path).is_absolute()) {
    co_return bad_request("invalid_path", "path must be absolute: " + *path);
  }
  std::string where = *path;
  std::function<Result<git::RepoInfo>(int)> job = [where](int) { return git::inspect(where); };
  auto info = co_await git_.call<Result<git::RepoInfo>>(std::move(job));
  if (!info) co_return tl::unexpected(info.error());
  auto existing = store_.projects().find_by_path(info->top_level);
  if (!existing) co_return tl::unexpected(existing.error());
  if (*existing) {
    Json j = to_json(**existing);
    j["created"] = false;
    co_return j;
  }
  Project p;
  p.id = new_id("pr_");
  p.path = info->top_level;
  p.name = fs::path(p.path).filename().string();
  if (!valid_project_name(p.name)) p.name = p.id;
  p.base_branch = info->current_branch.value_or("main");
  if (auto st = apply_fields(body, p); !st) co_return tl::unexpected(st.error());
  std::string repo = p.path, base = p.base_branch;
  std::function<Result<bool>(int)> check_base = [repo, base](int) -> Result<bool> {
    if (!git::valid_branch_name(repo, base)) return false;
    auto id = git::resolve(repo, "refs/heads/" + base);
    if (!id) return tl::unexpected(id.error());
    return id->has_value();
  };
  auto checked = co_await git_.call<Result<bool>>(std::move(check_base));
  if (!checked) co_return tl::unexpected(checked.error());
  if (!*checked) {
    co_return bad_request(
        "base_branch_not_found",
        fmt::format("{} has no branch '{}' to start worktrees from", p.path, base));
  }
  p.created_at_ms = p.updated_at_ms = to_unix_ms(clock_.now());
  auto insert = [&p](Store& store, EventBus& bus) -> Status {
    if (auto same = store.projects().find(p.name); same) {
      return conflict("project_exists",
                      fmt::format("a project named {} already exists ({}); pick another name",
                                  p.name, same->path));
    }
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.projects().insert(p));
    TRY_OK(tx.publish("project.created", p.id, to_json(p)));
    return tx.commit();
  };
  CO_TRY_OK(co_await runner_.run(insert));
  log_.info("project.created", {{"project", p.id}, {"path", p.path}});
  Json j = to_json(p);
  j["created"] = true;
  co_return j;
}

asio::awaitable<Result<Json>> Projects::update(std::string id, Json body) {
  auto p = store_.projects().find(id);
  if (!p) co_return tl::unexpected(p.error());
  if (body.contains("path")) {
    co_return bad_request("invalid_field", "a project's path cannot change; add a new project");
  }
  Project changed = *p;
  if (auto st = apply_fields(body, changed); !st) co_return tl::unexpected(st.error());
  if (changed.name != p->name) {
    if (auto same = store_.projects().find(changed.name); same) {
      co_return conflict("project_exists", "a project named " + changed.name + " already exists");
    }
  }
  if (changed.base_branch != p->base_branch) {
    // git runs on its worker, never on the loop.
    std::string repo = p->path, branch = changed.base_branch;
    std::function<bool(int)> job = [repo, branch](int) {
      return git::valid_branch_name(repo, branch);
    };
    if (!co_await git_.call<bool>(std::move(job))) {
      co_return bad_request("invalid_field", "not a branch name: " + changed.base_branch);
    }
  }
  changed.updated_at_ms = to_unix_ms(clock_.now());
  auto write = [&changed, renamed = changed.name != p->name](Store& store,
                                                             EventBus& bus) -> Status {
    if (renamed) {
      if (auto same = store.projects().find(changed.name); same && same->id != changed.id) {
        return conflict("project_exists", "a project named " + changed.name + " already exists");
      }
    }
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.projects().update(changed));
    TRY_OK(tx.publish("project.updated", changed.id, to_json(changed)));
    return tx.commit();
  };
  CO_TRY_OK(co_await runner_.run(write));
  co_return to_json(changed);
}

asio::awaitable<Result<Json>> Projects::remove(std::string id) {
  auto write = [&id](Store& store, EventBus& bus) -> Result<Json> {
    TRY(p, store.projects().find(id));
    TRY(wts, store.projects().worktrees(p->id));
    if (!wts->empty()) {
      std::vector<std::string> names;
      for (const auto& w : *wts)
        names.push_back(w.id + " (" + w.agent_name + ")");
      return conflict("project_has_worktrees",
                      fmt::format("project {} still has {}: {}; remove them first", p->name,
                                  plural(wts->size(), "worktree", "worktrees"), list_text(names)));
    }
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.projects().remove(p->id));
    TRY_OK(tx.publish("project.deleted", p->id, Json{{"id", p->id}, {"name", p->name}}));
    TRY_OK(tx.commit());
    return Json{{"ok", true}, {"id", p->id}};
  };
  co_return co_await runner_.run(write);
}

fs::path Projects::role_root(const std::optional<std::string>& project_id) {
  if (project_id) {
    if (auto p = store_.projects().find(*project_id)) return p->path;
  }
  auto all = store_.projects().list();
  if (all && all->size() == 1) return all->front().path;
  return state_.root.parent_path();
}

std::optional<Role> Projects::role_of(const std::string& project_root, const std::string& role) {
  if (role.empty()) return std::nullopt;
  auto found = find_role(project_root, role);
  if (!found) return std::nullopt;
  return std::move(*found);
}

}  // namespace bosun
