// Workspaces: project validation, worktree creation with copy list and setup, merge and
// cleanup with every refusal spelled out.
#include "crew/workspaces.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "agent/agent_state.h"
#include "agent/registry.h"
#include "crew/task_board.h"
#include "git/git.h"
#include "git/merge.h"
#include "git/repo.h"
#include "git/worktree.h"
#include "util/duration.h"
#include "util/ids.h"

namespace bosun {

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr size_t kMaxCommandBytes = 4096;
constexpr size_t kMaxIncludes = 100;
constexpr size_t kSetupTail = 4096;

Refusal refuse(Error error, Json details = Json::object()) {
  return Refusal{std::move(error), std::move(details)};
}

tl::unexpected<Refusal> refused(const Error& e) {
  return tl::unexpected(Refusal{e, Json::object()});
}

std::string text(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

bool valid_project_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return name != "." && name != "..";
}

std::string tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

std::string plural(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string list_text(const std::vector<std::string>& items, size_t max = 5) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i)
    out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" and {} more", items.size() - max);
  return out;
}

// Applies the fields of a POST/PATCH body to `p`.
Status apply_fields(const Json& body, Project& p) {
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

// Copies the untracked files a worktree needs (".env") from the main checkout; returns what
// happened to each.
Json copy_includes(const Project& p, const std::string& worktree) {
  Json out = Json::array();
  for (const auto& f : p.worktree_include) {
    fs::path from = fs::path(p.path) / f, to = fs::path(worktree) / f;
    std::error_code ec;
    std::string result;
    if (!fs::exists(from, ec)) {
      result = "missing";
    } else if (fs::exists(to, ec)) {
      result = "present";  // tracked, or already there: never overwritten
    } else {
      fs::create_directories(to.parent_path(), ec);
      fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
      result = ec ? "failed: " + ec.message() : "copied";
    }
    out.push_back(Json{{"path", f}, {"result", result}});
  }
  return out;
}

}  // namespace

Workspaces::Workspaces(asio::io_context& io, Store& store, EventBus& bus, const Clock& clock,
                       Log& log, ProcessRunner& commands, StateDir state)
    : store_(store),
      bus_(bus),
      clock_(clock),
      log_(log),
      commands_(commands),
      git_(io, 1),
      state_(std::move(state)) {}

Workspaces::~Workspaces() = default;

template <typename T>
asio::awaitable<T> Workspaces::on_git(std::function<T(int)> work) {
  return git_.call<T>(std::move(work));
}

Status Workspaces::publish(const std::string& type, const std::string& subject, Json data) {
  auto ev = bus_.publish(type, subject, std::move(data));
  if (!ev) return tl::unexpected(ev.error());
  return {};
}

bool Workspaces::agent_live(const std::optional<std::string>& agent_id, const std::string& name,
                            std::string* state) {
  if (!agents_) return false;
  auto shown = agents_->view(agent_id.value_or(name));
  if (!shown) return false;
  if (shown->name() != name) return false;  // the id now names someone else
  if (state) *state = std::string(to_string(shown->state));
  return has_process(shown->state);
}

Result<Project> Workspaces::project(const std::string& id_or_name) {
  return store_.projects().find(id_or_name);
}

asio::awaitable<Result<Json>> Workspaces::add_project(Json body) {
  auto path = require_string(body, "path");
  if (!path) co_return tl::unexpected(path.error());
  if (!fs::path(*path).is_absolute()) {
    co_return bad_request("invalid_path", "path must be absolute: " + *path);
  }
  std::string where = *path;
  std::function<Result<git::RepoInfo>(int)> job = [where](int) { return git::inspect(where); };
  auto info = co_await on_git<Result<git::RepoInfo>>(std::move(job));
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
  auto checked = co_await on_git<Result<bool>>(std::move(check_base));
  if (!checked) co_return tl::unexpected(checked.error());
  if (!*checked) {
    co_return bad_request(
        "base_branch_not_found",
        fmt::format("{} has no branch '{}' to start worktrees from", p.path, base));
  }
  if (auto same = store_.projects().find(p.name); same) {
    co_return conflict("project_exists",
                       fmt::format("a project named {} already exists ({}); pick another name",
                                   p.name, same->path));
  }
  p.created_at_ms = p.updated_at_ms = to_unix_ms(clock_.now());
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) co_return tl::unexpected(st.error());
  if (auto st = store_.projects().insert(p); !st) co_return tl::unexpected(st.error());
  if (auto ev = tx.publish("project.created", p.id, to_json(p)); !ev) {
    co_return tl::unexpected(ev.error());
  }
  if (auto st = tx.commit(); !st) co_return tl::unexpected(st.error());
  log_.info("project.created", {{"project", p.id}, {"path", p.path}});
  Json j = to_json(p);
  j["created"] = true;
  co_return j;
}

Result<Json> Workspaces::update_project(const std::string& id, const Json& body) {
  auto p = store_.projects().find(id);
  if (!p) return tl::unexpected(p.error());
  if (body.contains("path")) {
    return bad_request("invalid_field", "a project's path cannot change; add a new project");
  }
  Project changed = *p;
  if (auto st = apply_fields(body, changed); !st) return tl::unexpected(st.error());
  if (changed.name != p->name) {
    if (auto same = store_.projects().find(changed.name); same) {
      return conflict("project_exists", "a project named " + changed.name + " already exists");
    }
  }
  if (changed.base_branch != p->base_branch &&
      !git::valid_branch_name(p->path, changed.base_branch)) {
    return bad_request("invalid_field", "not a branch name: " + changed.base_branch);
  }
  changed.updated_at_ms = to_unix_ms(clock_.now());
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  if (auto st = store_.projects().update(changed); !st) return tl::unexpected(st.error());
  if (auto ev = tx.publish("project.updated", changed.id, to_json(changed)); !ev) {
    return tl::unexpected(ev.error());
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return to_json(changed);
}

Result<Json> Workspaces::remove_project(const std::string& id) {
  auto p = store_.projects().find(id);
  if (!p) return tl::unexpected(p.error());
  auto wts = store_.projects().worktrees(p->id);
  if (!wts) return tl::unexpected(wts.error());
  if (!wts->empty()) {
    std::vector<std::string> names;
    for (const auto& w : *wts)
      names.push_back(w.id + " (" + w.agent_name + ")");
    return conflict("project_has_worktrees",
                    fmt::format("project {} still has {}: {}; remove them first", p->name,
                                plural(wts->size(), "worktree", "worktrees"), list_text(names)));
  }
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto all = store_.projects().worktrees(p->id, true);
  if (!all) return tl::unexpected(all.error());
  if (auto st = store_.projects().remove(p->id); !st) return tl::unexpected(st.error());
  if (auto ev = tx.publish("project.deleted", p->id, Json{{"id", p->id}, {"name", p->name}}); !ev) {
    return tl::unexpected(ev.error());
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return Json{{"ok", true}, {"id", p->id}};
}

fs::path Workspaces::role_root(const std::optional<std::string>& project_id) {
  if (project_id) {
    if (auto p = store_.projects().find(*project_id)) return p->path;
  }
  auto all = store_.projects().list();
  if (all && all->size() == 1) return all->front().path;
  return state_.root.parent_path();
}

std::optional<Role> Workspaces::role_of(const std::string& project_root, const std::string& role) {
  if (role.empty()) return std::nullopt;
  auto found = find_role(project_root, role);
  if (!found) return std::nullopt;
  return std::move(*found);
}

asio::awaitable<Outcome<Worktree>> Workspaces::prepare(Project project, std::string agent) {
  auto existing = store_.projects().active_worktree(agent);
  if (!existing) co_return refused(existing.error());
  Worktree wt;
  bool fresh = false;
  if (*existing) {
    wt = **existing;
    if (wt.project_id != project.id) {
      co_return refused(
          Error{409, "worktree_in_other_project",
                fmt::format("agent {} already has worktree {} in another project; remove it first",
                            agent, wt.id)});
    }
  } else {
    fresh = true;
    wt.id = new_id("wt_");
    wt.project_id = project.id;
    wt.agent_name = agent;
    wt.path = (state_.worktrees() / project.name / agent).string();
    wt.branch = "bosun/" + agent;
    wt.base_branch = project.base_branch;
    wt.created_at_ms = to_unix_ms(clock_.now());
  }
  std::string repo = project.path;
  Worktree draft = wt;
  // Creates (or re-creates, when its folder vanished) the worktree on disk.
  std::function<Result<std::string>(int)> job = [repo, draft, fresh](int) -> Result<std::string> {
    std::error_code ec;
    bool on_disk = fs::exists(fs::path(draft.path) / ".git", ec);
    if (on_disk && !fresh) return draft.base_commit;
    if (fs::exists(draft.path, ec)) {
      return conflict("path_in_use",
                      fmt::format("{} already exists and is not a worktree bosun made; move "
                                  "it away first",
                                  draft.path));
    }
    if (!git::valid_branch_name(repo, draft.branch)) {
      return bad_request("invalid_branch", "not a valid branch name: " + draft.branch);
    }
    auto base = git::resolve(repo, "refs/heads/" + draft.base_branch);
    if (!base) return tl::unexpected(base.error());
    if (!*base) {
      return bad_request("base_branch_not_found",
                         fmt::format("{} has no branch {}", repo, draft.base_branch));
    }
    if (!fresh) (void)git::run(repo, {"worktree", "prune"});  // forget the vanished one
    fs::create_directories(fs::path(draft.path).parent_path(), ec);
    if (auto st = git::add_worktree(repo, draft.path, draft.branch, draft.base_branch); !st) {
      return tl::unexpected(st.error());
    }
    return fresh ? **base : draft.base_commit;
  };
  auto made = co_await on_git<Result<std::string>>(std::move(job));
  if (!made) co_return refused(made.error());
  wt.base_commit = *made;
  Json copies = copy_includes(project, wt.path);
  if (fresh) {
    EventBus::Transaction tx(bus_, store_);
    if (auto st = tx.begin(); !st) co_return refused(st.error());
    if (auto st = store_.projects().insert_worktree(wt); !st) co_return refused(st.error());
    Json data = to_json(wt);
    data["copied"] = copies;
    if (auto ev = tx.publish("worktree.created", wt.id, data); !ev) {
      co_return refused(ev.error());
    }
    if (auto st = tx.commit(); !st) co_return refused(st.error());
    log_.info("worktree.created", {{"worktree", wt.id}, {"path", wt.path}, {"branch", wt.branch}});
  }
  bool setup_done = wt.setup.is_object() && wt.setup.value("ok", false);
  if (project.setup_command && !setup_done) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", *project.setup_command};
    spec.cwd = wt.path;
    spec.env = {{"BOSUN_WORKTREE", wt.path},
                {"BOSUN_BRANCH", wt.branch},
                {"BOSUN_AGENT", agent},
                {"BOSUN_PROJECT", project.id}};
    spec.timeout = Millis(project.setup_timeout_ms);
    ProcessResult r = co_await commands_.run(spec);
    wt.setup =
        Json{{"command", *project.setup_command},
             {"ok", r.ok()},
             {"result", r.summary()},
             {"exit_code", r.started && r.signal == 0 && !r.timed_out ? Json(r.exit_code) : Json()},
             {"timed_out", r.timed_out},
             {"elapsed_ms", r.elapsed.count()},
             {"output", tail(r.out + r.err, kSetupTail)}};
    EventBus::Transaction tx(bus_, store_);
    if (auto st = tx.begin(); !st) co_return refused(st.error());
    if (auto st = store_.projects().update_worktree(wt); !st) co_return refused(st.error());
    if (!r.ok()) {
      if (auto ev = tx.publish("worktree.setup_failed", wt.id,
                               Json{{"worktree", wt.id}, {"agent", agent}, {"setup", wt.setup}});
          !ev) {
        co_return refused(ev.error());
      }
    }
    if (auto st = tx.commit(); !st) co_return refused(st.error());
    if (!r.ok()) {
      log_.warn("worktree.setup_failed", {{"worktree", wt.id}, {"result", r.summary()}});
      co_return tl::unexpected(
          refuse(Error{422, "setup_failed",
                       fmt::format("the setup command of project {} {} in {} ({}); the worktree is "
                                   "kept and the next spawn runs the setup again",
                                   project.name, r.timed_out ? "timed out" : "failed", wt.path,
                                   r.summary())},
                 Json{{"worktree", to_json(wt)}, {"setup", wt.setup}}));
    }
  }
  co_return wt;
}

Result<Worktree> Workspaces::active_of(const std::string& agent) {
  std::string name = agent;
  if (agents_) {
    if (auto shown = agents_->view(agent)) name = shown->name();
  }
  auto wt = store_.projects().active_worktree(name);
  if (!wt) return tl::unexpected(wt.error());
  if (!*wt) {
    return not_found("no_worktree",
                     fmt::format("agent {} has no worktree (spawn it with a project and "
                                 "worktree: true)",
                                 agent));
  }
  return **wt;
}

asio::awaitable<Outcome<Json>> Workspaces::diff(std::string agent) {
  auto wt = active_of(agent);
  if (!wt) co_return refused(wt.error());
  auto p = store_.projects().find(wt->project_id);
  if (!p) co_return refused(p.error());
  Worktree w = *wt;
  std::string repo = p->path;
  std::function<Result<Json>(int)> job = [w, repo](int) -> Result<Json> {
    auto st = git::status(repo, w.path, w.branch, w.base_branch);
    if (!st) return tl::unexpected(st.error());
    if (!st->exists) return conflict("worktree_missing", "the worktree folder is gone: " + w.path);
    auto d = git::diff(w.path, w.base_branch);
    if (!d) return tl::unexpected(d.error());
    (*d)["status"] = st->to_json();
    return d;
  };
  auto out = co_await on_git<Result<Json>>(std::move(job));
  if (!out) co_return refused(out.error());
  (*out)["agent"] = w.agent_name;
  (*out)["worktree"] = to_json(w);
  (*out)["branch"] = w.branch;
  co_return *out;
}

asio::awaitable<Outcome<Json>> Workspaces::merge(std::string agent, std::optional<std::string> into,
                                                 std::string actor) {
  auto wt = active_of(agent);
  if (!wt) co_return refused(wt.error());
  auto p = store_.projects().find(wt->project_id);
  if (!p) co_return refused(p.error());
  std::string role_name;
  if (agents_) {
    if (auto shown = agents_->view(wt->agent_name)) role_name = shown->role();
  }
  git::MergeRequest req;
  req.repo = p->path;
  req.branch = wt->branch;
  req.base = into.value_or(wt->base_branch);
  std::optional<Role> role = role_of(p->path, role_name);
  if (role) req.domains = role->domains;
  std::string repo = p->path;
  Worktree w = *wt;
  std::function<Result<git::MergeOutcome>(int)> job =
      [req, w](int) mutable -> Result<git::MergeOutcome> {
    if (!git::valid_branch_name(req.repo, req.base)) {
      return bad_request("invalid_branch", "not a branch name: " + req.base);
    }
    auto ahead = git::run(req.repo, {"rev-list", "--count", req.base + ".." + req.branch});
    int64_t n = ahead ? std::atoll(ahead->c_str()) : 0;
    req.message = fmt::format("Merge {} into {} ({})", req.branch, req.base,
                              plural(static_cast<size_t>(n), "commit", "commits"));
    auto out = git::merge(req);
    if (out && out->ok()) (void)git::catch_up(w.path, req.base);
    return out;
  };
  auto outcome = co_await on_git<Result<git::MergeOutcome>>(std::move(job));
  if (!outcome) co_return refused(outcome.error());
  Json data = outcome->to_json();
  data["agent"] = w.agent_name;
  data["branch"] = w.branch;
  data["base"] = req.base;
  data["worktree"] = w.id;
  data["by"] = actor;
  if (outcome->ok()) {
    if (outcome->result != "already_merged") {
      w.merged_at_ms = to_unix_ms(clock_.now());
      w.merge_commit = outcome->commit;
    }
    EventBus::Transaction tx(bus_, store_);
    if (auto st = tx.begin(); !st) co_return refused(st.error());
    if (auto st = store_.projects().update_worktree(w); !st) co_return refused(st.error());
    if (auto ev = tx.publish("worktree.merged", w.id, data); !ev) co_return refused(ev.error());
    if (auto st = tx.commit(); !st) co_return refused(st.error());
    auto owner = store_.agents().find(w.agent_name);  // the worktree belongs to the name
    if (actor != kVerifierActor && owner) {
      auto finished = finish_reviewed(owner->id, actor,
                                      fmt::format("{} merged {} into {} ({})", actor, w.branch,
                                                  req.base, outcome->commit.substr(0, 12)));
      if (finished) data["tasks_done"] = *finished;
    }
    log_.info("worktree.merged",
              {{"worktree", w.id}, {"result", outcome->result}, {"commit", outcome->commit}});
    co_return data;
  }
  (void)publish("worktree.merge_refused", w.id, data);
  const auto& files = outcome->files;
  if (outcome->result == "conflict") {
    co_return tl::unexpected(refuse(
        Error{409, "merge_conflict",
              fmt::format("merging {} into {} conflicts in {}: {}; nothing was changed. Rebase "
                          "the agent's branch (bosun agent rebase {}) or resolve it in {}",
                          w.branch, req.base, plural(files.size(), "file", "files"),
                          list_text(files, 20), w.agent_name, w.path)},
        data));
  }
  if (outcome->result == "outside_domains") {
    std::string allowed = role ? list_text(role->domains, 20) : "";
    co_return tl::unexpected(
        refuse(Error{422, "outside_domains",
                     fmt::format("role {} may change only {}; {} changes {} outside them: {}",
                                 role_name, allowed, w.branch,
                                 plural(files.size(), "file", "files"), list_text(files, 20))},
               data));
  }
  co_return tl::unexpected(refuse(
      Error{409, "base_checkout_busy",
            fmt::format("{} is checked out at {}, and its local changes would be overwritten{}{}; "
                        "commit or stash them there, then merge again. Nothing was changed",
                        req.base, outcome->updated_checkout, files.empty() ? "" : ": ",
                        list_text(files, 20))},
      data));
}

asio::awaitable<Outcome<Json>> Workspaces::rebase(std::string agent) {
  auto wt = active_of(agent);
  if (!wt) co_return refused(wt.error());
  Worktree w = *wt;
  std::function<Result<git::RebaseOutcome>(int)> job = [w](int) {
    return git::rebase(w.path, w.base_branch);
  };
  auto outcome = co_await on_git<Result<git::RebaseOutcome>>(std::move(job));
  if (!outcome) co_return refused(outcome.error());
  Json data = outcome->to_json();
  data["agent"] = w.agent_name;
  data["branch"] = w.branch;
  data["base"] = w.base_branch;
  if (outcome->result == "dirty") {
    co_return tl::unexpected(
        refuse(Error{409, "uncommitted_changes",
                     fmt::format("{} has uncommitted changes ({}); commit them before a rebase",
                                 w.path, list_text(outcome->files))},
               data));
  }
  if (outcome->result == "conflict") {
    co_return tl::unexpected(refuse(
        Error{409, "rebase_conflict",
              fmt::format("rebasing {} onto {} conflicts in {}; the rebase was aborted and the "
                          "branch is as it was",
                          w.branch, w.base_branch, list_text(outcome->files, 20))},
        data));
  }
  (void)publish("worktree.rebased", w.id, data);
  co_return data;
}

Result<Json> Workspaces::finish_reviewed(const std::string& agent_id, const std::string& actor,
                                         const std::string& why) {
  TaskQuery q;
  q.assignee = agent_id;
  q.statuses = {TaskStatus::kReview};
  auto tasks = store_.tasks().list(q);
  if (!tasks) return tl::unexpected(tasks.error());
  Json done = Json::array();
  for (const auto& t : *tasks) {
    auto reports = store_.tasks().reports(t.id);
    if (!reports || reports->empty() || reports->back().verified != "passed") continue;
    TaskChange change;
    change.status = TaskStatus::kDone;
    change.checked = true;
    change.reason = why;
    if (!TaskBoard(store_, bus_, clock_).update(t.id, change, actor)) continue;
    done.push_back(t.id);
  }
  return done;
}

asio::awaitable<Verifier::Landing> Workspaces::land(Task task, std::string agent_id) {
  Verifier::Landing landing;
  auto agent = store_.agents().find(agent_id);
  if (!agent) co_return landing;
  auto wt = store_.projects().active_worktree(agent->name);
  if (!wt || !*wt) co_return landing;
  auto p = store_.projects().find((*wt)->project_id);
  if (!p) co_return landing;
  landing.applies = true;
  if (p->execution_mode != "auto") {
    landing.awaiting_person = true;
    landing.log = fmt::format(
        "merge: waiting for a person (project {} is in review mode): bosun agent merge {}", p->name,
        agent->name);
    co_return landing;
  }
  auto merged = co_await merge(agent->name, std::nullopt, kVerifierActor);
  if (merged) {
    landing.log =
        fmt::format("merge: {} {} into {} ({})", text(*merged, "result"), text(*merged, "branch"),
                    text(*merged, "base"), text(*merged, "commit").substr(0, 12));
    co_return landing;
  }
  landing.passed = false;
  landing.problem = "merge refused (" + merged.error().error.code + ")";
  landing.log = "merge: FAILED, " + merged.error().error.message;
  (void)task;
  co_return landing;
}

asio::awaitable<void> Workspaces::catch_up(std::string agent) {
  auto wt = active_of(agent);
  if (!wt) co_return;
  Worktree w = *wt;
  std::function<Result<bool>(int)> job = [w](int) { return git::catch_up(w.path, w.base_branch); };
  auto moved = co_await on_git<Result<bool>>(std::move(job));
  if (moved && *moved) {
    log_.info("worktree.caught_up", {{"worktree", w.id}, {"base", w.base_branch}});
  }
}

asio::awaitable<Result<Json>> Workspaces::list(std::optional<std::string> project_id,
                                               bool include_removed) {
  if (project_id) {
    auto p = store_.projects().find(*project_id);
    if (!p) co_return tl::unexpected(p.error());
    project_id = p->id;
  }
  auto wts = store_.projects().worktrees(project_id, include_removed);
  if (!wts) co_return tl::unexpected(wts.error());
  std::map<std::string, std::string> repos;
  for (const auto& w : *wts) {
    if (auto p = store_.projects().find(w.project_id)) repos[w.project_id] = p->path;
  }
  std::vector<Worktree> items = *wts;
  std::function<Json(int)> job = [items, repos](int) {
    Json out = Json::array();
    for (const auto& w : items) {
      Json j = to_json(w);
      if (w.state == "active") {
        auto repo = repos.find(w.project_id);
        auto st = repo == repos.end()
                      ? Result<git::TreeStatus>(tl::unexpected(Error{404, "project_not_found", ""}))
                      : git::status(repo->second, w.path, w.branch, w.base_branch);
        j["status"] = st ? st->to_json() : Json{{"error", st.error().message}};
        j["size_bytes"] = git::disk_usage(w.path);
      }
      out.push_back(std::move(j));
    }
    return out;
  };
  auto measured = co_await on_git<Json>(std::move(job));
  for (auto& j : measured) {
    std::string state;
    bool live =
        agent_live(j["agent_id"].is_string() ? std::optional(text(j, "agent_id")) : std::nullopt,
                   text(j, "agent"), &state);
    j["agent_state"] = state.empty() ? Json() : Json(state);
    j["agent_running"] = live;
  }
  co_return Json{{"worktrees", measured}};
}

asio::awaitable<Outcome<Json>> Workspaces::remove(std::string id, bool force, std::string actor) {
  auto found = store_.projects().worktree(id);
  if (!found) {
    // An agent's name or id also names its worktree.
    auto by_agent = active_of(id);
    if (!by_agent) co_return refused(found.error());
    found = *by_agent;
  }
  Worktree w = *found;
  if (w.state != "active") {
    co_return refused(Error{409, "worktree_removed", "worktree " + w.id + " was already removed"});
  }
  std::string agent_state;
  if (agent_live(w.agent_id, w.agent_name, &agent_state)) {
    co_return tl::unexpected(refuse(
        Error{409, "agent_running",
              fmt::format("agent {} is {} in this worktree; stop it first (bosun agent kill {})",
                          w.agent_name, agent_state, w.agent_name)},
        Json{{"worktree", w.id}, {"agent", w.agent_name}, {"agent_state", agent_state}}));
  }
  auto p = store_.projects().find(w.project_id);
  if (!p) co_return refused(p.error());
  std::string repo = p->path;
  std::function<Result<git::TreeStatus>(int)> job = [repo, w](int) {
    return git::status(repo, w.path, w.branch, w.base_branch);
  };
  auto st = co_await on_git<Result<git::TreeStatus>>(std::move(job));
  if (!st) co_return refused(st.error());
  Json at_stake = st->to_json();
  if (!force && (!st->dirty.empty() || !st->unmerged.empty())) {
    std::vector<std::string> why;
    if (!st->dirty.empty()) {
      std::vector<std::string> files;
      for (const auto& f : st->dirty)
        files.push_back(f.path + " (" + f.status + ")");
      why.push_back(fmt::format("{}: {}",
                                plural(files.size(), "uncommitted change", "uncommitted changes"),
                                list_text(files)));
    }
    if (!st->unmerged.empty()) {
      why.push_back(fmt::format("{} not merged into {}: {}",
                                plural(static_cast<size_t>(st->ahead), "commit", "commits"),
                                w.base_branch, list_text(st->unmerged, 3)));
    }
    co_return tl::unexpected(
        refuse(Error{409, "unsaved_work",
                     fmt::format("worktree {} of {} at {} holds {}. Merge or commit it first; "
                                 "force=true removes it anyway and keeps a backup ref",
                                 w.id, w.agent_name, w.path,
                                 why.size() == 2 ? why[0] + " and " + why[1] : why[0])},
               Json{{"worktree", to_json(w)}, {"status", at_stake}}));
  }
  Json cleanup;
  if (p->cleanup_command && st->exists) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", *p->cleanup_command};
    spec.cwd = w.path;
    spec.env = {{"BOSUN_WORKTREE", w.path}, {"BOSUN_BRANCH", w.branch}};
    spec.timeout = Millis(p->setup_timeout_ms);
    ProcessResult r = co_await commands_.run(spec);
    cleanup = Json{{"command", *p->cleanup_command},
                   {"ok", r.ok()},
                   {"result", r.summary()},
                   {"output", tail(r.out + r.err, kSetupTail)}};
  }
  int64_t now = to_unix_ms(clock_.now());
  bool has_work = !st->dirty.empty() || !st->unmerged.empty();
  std::function<Result<std::optional<std::string>>(int)> take_away =
      [repo, w, force, has_work, now](int) -> Result<std::optional<std::string>> {
    std::optional<std::string> backup;
    std::error_code ec;
    if (force && has_work) {
      std::string commit = w.branch;
      if (fs::exists(fs::path(w.path) / ".git", ec)) {
        auto snap =
            git::snapshot(w.path, "bosun: everything in " + w.path + " before a forced removal");
        if (!snap) return tl::unexpected(snap.error());
        commit = *snap;
      }
      std::string ref = fmt::format("refs/bosun/backup/{}/{}", w.agent_name, now);
      if (auto s = git::write_ref(repo, ref, commit, "bosun: backup before removing " + w.id); !s) {
        return tl::unexpected(s.error());
      }
      backup = ref;
    }
    if (auto s = git::remove_worktree(repo, w.path, force); !s) return tl::unexpected(s.error());
    if (force && has_work) {
      (void)git::run(repo, {"branch", "-D", "--", w.branch});  // the backup ref holds it
    } else {
      (void)git::delete_branch_if_merged(repo, w.branch, w.base_branch);
    }
    return backup;
  };
  auto removed = co_await on_git<Result<std::optional<std::string>>>(std::move(take_away));
  if (!removed) co_return refused(removed.error());
  w.state = "removed";
  w.removed_at_ms = now;
  w.backup_ref = *removed;
  Json data{{"worktree", to_json(w)}, {"forced", force}, {"by", actor}};
  if (!cleanup.is_null()) data["cleanup"] = cleanup;
  if (*removed) data["backup_ref"] = **removed;
  EventBus::Transaction tx(bus_, store_);
  if (auto s = tx.begin(); !s) co_return refused(s.error());
  if (auto s = store_.projects().update_worktree(w); !s) co_return refused(s.error());
  if (auto ev = tx.publish("worktree.removed", w.id, data); !ev) co_return refused(ev.error());
  if (auto s = tx.commit(); !s) co_return refused(s.error());
  log_.info("worktree.removed", {{"worktree", w.id}, {"forced", force}});
  co_return data;
}

asio::awaitable<Result<Json>> Workspaces::prune(std::string actor) {
  auto listed = co_await list(std::nullopt, false);
  if (!listed) co_return tl::unexpected(listed.error());
  Json removed = Json::array(), kept = Json::array();
  std::set<std::string> known;
  for (const auto& j : (*listed)["worktrees"]) {
    known.insert(text(j, "path"));
    std::string why;
    const Json& st = j.contains("status") ? j["status"] : Json();
    if (j.value("agent_running", false)) {
      why = fmt::format("agent {} is {}", text(j, "agent"), text(j, "agent_state"));
    } else if (!st.is_object() || st.contains("error")) {
      why = "its state could not be read" +
            (st.is_object() ? ": " + text(st, "error") : std::string());
    } else if (st.value("dirty", false)) {
      why = plural(st["dirty_files"].size(), "uncommitted change", "uncommitted changes");
    } else if (!st["unmerged_commits"].empty()) {
      why = fmt::format("{} not merged into {}",
                        plural(static_cast<size_t>(st.value("ahead", 0)), "commit", "commits"),
                        text(j, "base_branch"));
    }
    Json entry{{"id", text(j, "id")},
               {"agent", text(j, "agent")},
               {"path", text(j, "path")},
               {"size_bytes", j.value("size_bytes", 0)}};
    if (!why.empty()) {
      entry["why"] = why;
      kept.push_back(entry);
      continue;
    }
    auto gone = co_await remove(text(j, "id"), false, actor);
    if (!gone) {
      entry["why"] = gone.error().error.message;
      kept.push_back(entry);
    } else {
      removed.push_back(entry);
    }
  }
  // Folders under worktrees/ that no record owns: not bosun's to judge.
  std::error_code ec;
  for (fs::directory_iterator pit(state_.worktrees(), ec); !ec && pit != fs::directory_iterator();
       pit.increment(ec)) {
    std::error_code ec2;
    for (fs::directory_iterator it(pit->path(), ec2); !ec2 && it != fs::directory_iterator();
         it.increment(ec2)) {
      if (known.count(it->path().string())) continue;  // every active record is in `known`
      kept.push_back(Json{{"path", it->path().string()},
                          {"why", "no worktree record owns it; left for a person to judge"}});
    }
  }
  co_return Json{{"removed", removed}, {"kept", kept}};
}

Result<Json> Workspaces::add_decision(const std::string& project, const Json& body,
                                      const std::string& author) {
  auto p = store_.projects().find(project);
  if (!p) return tl::unexpected(p.error());
  auto kind = require_string(body, "kind");
  if (!kind) return tl::unexpected(kind.error());
  if (!valid_decision_kind(*kind)) {
    return bad_request("invalid_field",
                       "kind must be one of gotcha, workaround, convention, decision");
  }
  auto txt = require_string(body, "text");
  if (!txt) return tl::unexpected(txt.error());
  if (txt->empty() || txt->size() > 4096) {
    return bad_request("invalid_field", "text must be 1-4096 bytes");
  }
  Decision d;
  d.project_id = p->id;
  d.kind = *kind;
  d.text = *txt;
  d.author = author;
  if (auto it = body.find("roles"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 50) {
      return bad_request("invalid_field", "roles must be a list of role names");
    }
    for (const auto& r : *it) {
      if (!r.is_string() || r.get<std::string>().empty() || r.get<std::string>().size() > 64) {
        return bad_request("invalid_field", "roles must be a list of role names");
      }
      d.roles.push_back(r.get<std::string>());
    }
  }
  d.created_at_ms = to_unix_ms(clock_.now());
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto added = store_.projects().add_decision(d);
  if (!added) return tl::unexpected(added.error());
  if (auto ev = tx.publish("decision.created", p->id, to_json(*added)); !ev) {
    return tl::unexpected(ev.error());
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return to_json(*added);
}

Result<Json> Workspaces::decisions(const std::string& project,
                                   const std::optional<std::string>& role) {
  auto p = store_.projects().find(project);
  if (!p) return tl::unexpected(p.error());
  auto list = store_.projects().decisions(p->id, role);
  if (!list) return tl::unexpected(list.error());
  Json out = Json::array();
  for (const auto& d : *list)
    out.push_back(to_json(d));
  return Json{{"project_id", p->id}, {"decisions", out}};
}

}  // namespace bosun
