// Agents: spawn, list, show, input, interrupt, resize, stop, restart, remove, screen, log,
// terminal.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "agent/registry.h"
#include "agent/role.h"
#include "agent/run_export.h"
#include "api/agent_json.h"
#include "api/routes/refusal.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "api/terminal_stream.h"
#include "crew/instructions.h"
#include "crew/mailbox.h"
#include "crew/projects.h"
#include "crew/supervisor.h"
#include "crew/worktrees.h"
#include "store/store_runner.h"
#include "util/files.h"
#include "util/text.h"
#include "util/unique_fd.h"

namespace bosun {
namespace {

constexpr int64_t kMaxLogSlice = 8 << 20;

Result<std::vector<std::string>> string_array(const Json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return bad_request("invalid_field", fmt::format("field '{}' must be an array of strings", key));
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return bad_request("invalid_field",
                         fmt::format("field '{}' must be an array of strings", key));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<int> int_in(const Json& obj, const char* key, int fallback, int min, int max) {
  auto v = optional_int(obj, key);
  if (!v) return tl::unexpected(v.error());
  if (!*v) return fallback;
  if (**v < min || **v > max) {
    return bad_request("invalid_size",
                       fmt::format("'{}' must be between {} and {}", key, min, max));
  }
  return static_cast<int>(**v);
}

struct Placement {
  std::optional<std::string> instructions;  // written to the agent's instructions file
};

// Settles where a new agent works and what it is told: the project (its folder, or a worktree
// of its own), the role file's defaults (profile, permanent) and the instructions file.
// Writes the agent's instructions file (its role, where it works, the protocol and the
// project's decisions) when it has a role or a project, and returns the text; removes an
// earlier agent's file of the same name otherwise.
Result<std::optional<std::string>> write_instructions(Services& s, const SpawnRequest& req,
                                                      const std::optional<Role>& role,
                                                      const std::optional<Project>& project,
                                                      const std::optional<Worktree>& wt) {
  auto file = s.agents.instructions_file(req.name);
  std::error_code ec;
  if (!role && !project) {
    std::filesystem::remove(file, ec);  // an earlier agent of this name's
    return std::optional<std::string>();
  }
  InstructionsInput in;
  in.agent = req.name;
  in.role_name = req.role;
  in.role = role ? &*role : nullptr;
  in.project = project ? &*project : nullptr;
  in.worktree = wt ? &*wt : nullptr;
  if (project) {
    auto decisions = s.store.projects().decisions(
        project->id, req.role.empty() ? std::nullopt : std::optional(req.role));
    if (decisions) in.decisions = *decisions;
  }
  std::string text = agent_instructions(in);
  std::filesystem::create_directories(file.parent_path(), ec);
  TRY_OK(write_file_atomic(file, text, 0600));
  return std::optional<std::string>(text);
}

// Which of the role's defaults the request set itself.
struct Given {
  bool profile = false;
  bool permanent = false;
  bool sandbox = false;
  bool permission = false;
};

Awaitable<tl::expected<Placement, Response>> place_agent(Services& s, SpawnRequest& req,
                                                         const std::optional<std::string>& ref,
                                                         bool worktree, Given given) {
  using Out = tl::expected<Placement, Response>;
  auto fail_with = [](const Error& e) { return Out(tl::unexpected(Response::error(e))); };
  if (!valid_agent_name(req.name)) {
    co_return fail_with(Error{ErrorKind::kInvalid, "invalid_name",
                              "agent name must be 1-32 characters of [a-z0-9_-], starting with a "
                              "letter"});
  }
  if (worktree && !ref) {
    co_return fail_with(Error{ErrorKind::kInvalid, "project_required",
                              "worktree: true needs a project (add one with: bosun project add "
                              "PATH)"});
  }
  if (worktree && !req.cwd.empty()) {
    co_return fail_with(
        Error{ErrorKind::kInvalid, "invalid_field", "cwd and worktree: true exclude each other"});
  }
  std::optional<Project> project;
  if (ref) {
    auto found = s.store.projects().find(*ref);
    if (!found) co_return fail_with(found.error());
    project = *found;
    req.project_id = project->id;
  }
  if (auto existing = s.agents.view(req.name); existing) {
    co_return fail_with(Error{ErrorKind::kConflict, "agent_exists",
                              "an agent named " + req.name + " already exists"});
  }
  std::optional<Role> role;
  if (!req.role.empty()) {
    auto found = find_role(s.projects.role_root(req.project_id), req.role);
    if (found) {
      role = std::move(*found);
      if (!given.profile && role->profile) req.profile = *role->profile;
      if (!given.permanent && role->permanent) req.permanent = *role->permanent;
      if (!given.sandbox && role->sandbox) req.sandbox = *role->sandbox;
      if (!given.permission && role->permission) req.permission = *role->permission;
      req.model = role->model;
      req.tools = role->tools;
    } else if (found.error().code != "role_not_found") {
      co_return fail_with(found.error());  // a broken role file: say where
    }
  }
  std::optional<Worktree> wt;
  if (worktree) {
    auto prepared = co_await s.worktrees.prepare(*project, req.name);
    if (!prepared) co_return Out(tl::unexpected(refusal_response(prepared.error())));
    wt = *prepared;
    req.cwd = wt->path;
  } else if (project && req.cwd.empty()) {
    req.cwd = project->path;
  }
  // The role's heartbeat, reset and stuck settings apply to this agent only.
  Json overrides = role ? role->supervisor : Json::object();
  std::string key = std::string(kAgentConfigPrefix) + req.name;
  auto save = [&key, &overrides](Store& store, EventBus&) {
    return store.settings().set(key, overrides);
  };
  if (auto st = co_await s.runner.run(save); !st) co_return fail_with(st.error());
  auto instructions = write_instructions(s, req, role, project, wt);
  if (!instructions) co_return fail_with(instructions.error());
  co_return Placement{*instructions};
}

// What a new agent is sent as its first mail so it knows its role: nothing when its command
// carries the instructions (a profile's flag) or it reads the file itself (shell, sim); the
// profile's first message (which names the file) when it has one; else the whole text.
std::optional<std::string> instructions_mail(Services& s, const AgentView& agent,
                                             const std::optional<std::string>& instructions) {
  const std::string& profile_name = agent.profile();
  if (!instructions || profile_name == "shell" || profile_name == "sim") return std::nullopt;
  auto profile = s.agents.profile(profile_name);
  if (!profile) return instructions;
  const auto& how = profile->instructions;
  if (how.how == "flag" && agent.record.launch.value("profile_argv", false)) return std::nullopt;
  if (how.how == "first_message") {
    auto file = s.agents.instructions_file(agent.name()).string();
    auto message = expand_argv({how.message}, {{"role_file", file}});
    if (message && message->size() == 1) return (*message)[0];
  }
  return instructions;
}

Awaitable<Result<Response>> post_agent(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  SpawnRequest req;
  auto name = require_string(*body, "name");
  if (!name) co_return tl::unexpected(name.error());
  req.name = *name;
  for (auto [key, target] : {std::pair{"role", &req.role}, std::pair{"profile", &req.profile},
                             std::pair{"cwd", &req.cwd}}) {
    auto v = optional_string(*body, key);
    if (!v) co_return tl::unexpected(v.error());
    if (*v) *target = **v;
  }
  auto argv = string_array(*body, "argv");
  if (!argv) co_return tl::unexpected(argv.error());
  req.argv = *argv;
  auto args = string_array(*body, "args");
  if (!args) co_return tl::unexpected(args.error());
  req.args = *args;
  auto cols = int_in(*body, "cols", 120, 1, kMaxCols);
  if (!cols) co_return tl::unexpected(cols.error());
  auto rows = int_in(*body, "rows", 40, 1, kMaxRows);
  if (!rows) co_return tl::unexpected(rows.error());
  req.cols = *cols;
  req.rows = *rows;
  auto permanent = optional_bool(*body, "permanent");
  if (!permanent) co_return tl::unexpected(permanent.error());
  req.permanent = permanent->value_or(false);
  if (auto env = body->find("env"); env != body->end() && !env->is_null()) {
    if (!env->is_object())
      co_return bad_request("invalid_field", "field 'env' must be an object of strings");
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string())
        co_return bad_request("invalid_field", "env value of " + k + " must be a string");
      req.env[k] = v.get<std::string>();
    }
  }
  bool sandbox_given = false;
  if (auto sandbox = body->find("sandbox"); sandbox != body->end() && !sandbox->is_null()) {
    auto policy = parse_sandbox(*sandbox);
    if (!policy) co_return tl::unexpected(policy.error());
    req.sandbox = *policy;
    sandbox_given = true;
  }
  auto permission = optional_string(*body, "permission");
  if (!permission) co_return tl::unexpected(permission.error());
  if (*permission) req.permission = **permission;
  auto project_ref = optional_string(*body, "project");
  if (!project_ref) co_return tl::unexpected(project_ref.error());
  auto worktree = optional_bool(*body, "worktree");
  if (!worktree) co_return tl::unexpected(worktree.error());
  bool profile_given = body->contains("profile") && !(*body)["profile"].is_null();
  bool permanent_given = body->contains("permanent") && !(*body)["permanent"].is_null();
  Given given{profile_given, permanent_given, sandbox_given, permission->has_value()};
  auto placed = co_await place_agent(s, req, *project_ref, worktree->value_or(false), given);
  if (!placed) co_return std::move(placed.error());
  auto agent = co_await s.agents.spawn(std::move(req));
  if (!agent) co_return tl::unexpected(agent.error());
  if (auto body_of_mail = instructions_mail(s, *agent, placed->instructions)) {
    // The recipient looked up here, on the loop: the mailbox runs where the store's work runs.
    RegistryDirectory directory(s.agents);
    KnownAgents known(directory, {agent->name()});
    MessageDraft draft;
    draft.from = kSystemSender;
    draft.to = agent->name();
    draft.type = "system";
    draft.subject = "Your instructions: read them before anything else";
    draft.body = *body_of_mail;
    auto send = [&](Store& store, EventBus& bus) {
      return Mailbox(store, bus, s.clock, known).send(std::move(draft));
    };
    (void)co_await s.runner.run(send);
  }
  co_return Response::json(agent_json(*agent, s.store), 201);
}

Result<Response> get_agents(Services& s, Request&) {
  Json list = Json::array();
  for (const auto& agent : s.agents.views())
    list.push_back(agent_json(agent, s.store));
  // The whole crew: every other host's agents too, as the shared store has them.
  TRY(remote, s.agents.all_elsewhere());
  std::map<std::string, std::optional<HostRecord>> hosts;
  for (const auto& a : *remote) {
    auto [it, fresh] = hosts.try_emplace(a.host);
    if (fresh) {
      if (auto h = s.store.hosts().find(a.host)) it->second = std::move(*h);
    }
    list.push_back(remote_agent_json(a, it->second));
  }
  return Response::json(Json{{"agents", std::move(list)}});
}

Result<Response> get_agent(Services& s, Request& request) {
  auto agent = s.agents.view(request.params["id"]);
  if (!agent) {
    auto remote = s.agents.elsewhere(request.params["id"]);
    if (!remote) return tl::unexpected(agent.error());
    std::optional<HostRecord> host;
    if (auto h = s.store.hosts().find(remote->host)) host = std::move(*h);
    return Response::json(remote_agent_json(*remote, host));
  }
  return Response::json(agent_json(*agent, s.store));
}

Result<Response> accepted(Services& s, const std::string& id, Status st) {
  if (!st) return tl::unexpected(st.error());
  auto agent = s.agents.view(id);
  if (!agent) return tl::unexpected(agent.error());
  return Response::json(agent_json(*agent, s.store), 202);
}

Result<Response> delete_agent(Services& s, Request& request) {
  auto st = s.agents.remove(request.params["id"]);
  if (!st) return tl::unexpected(st.error());
  return Response::json(Json{{"ok", true}}, 202);
}

Result<Response> post_input(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto data = require_string(*body, "data");
  if (!data) return tl::unexpected(data.error());
  auto submit = optional_bool(*body, "submit");
  if (!submit) return tl::unexpected(submit.error());
  auto st = s.agents.input(request.params["id"], *data, submit->value_or(false));
  if (!st) return tl::unexpected(st.error());
  return Response::json(Json{{"ok", true}, {"bytes", data->size()}});
}

Result<Response> post_interrupt(Services& s, Request& request) {
  auto st = s.agents.interrupt(request.params["id"]);
  if (!st) return tl::unexpected(st.error());
  return Response::json(Json{{"ok", true}});
}

Result<Response> post_resize(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto cols = optional_int(*body, "cols");
  auto rows = optional_int(*body, "rows");
  if (!cols) return tl::unexpected(cols.error());
  if (!rows) return tl::unexpected(rows.error());
  if (!*cols || !*rows)
    return bad_request("missing_field", "fields 'cols' and 'rows' are required");
  auto clamp = [](int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, -1, 1 << 20)); };
  auto st = s.agents.resize(request.params["id"], clamp(**cols), clamp(**rows));
  if (!st) return tl::unexpected(st.error());
  return Response::json(Json{{"ok", true}, {"cols", **cols}, {"rows", **rows}});
}

Result<Response> post_stop(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto grace = int_in(*body, "grace_ms", 3000, 0, 600000);
  if (!grace) return tl::unexpected(grace.error());
  return accepted(s, request.params["id"],
                  s.agents.stop(request.params["id"], static_cast<uint32_t>(*grace)));
}

Result<Response> post_restart(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) return tl::unexpected(body.error());
  auto fresh = optional_bool(*body, "fresh");
  if (!fresh) return tl::unexpected(fresh.error());
  return accepted(s, request.params["id"],
                  s.agents.restart(request.params["id"], fresh->value_or(false)));
}

Result<Response> get_screen(Services& s, Request& request) {
  auto screen = s.agents.screen(request.params["id"]);
  if (!screen) return tl::unexpected(screen.error());
  return Response::json(*screen);
}

Result<Response> get_log(Services& s, Request& request) {
  auto info = s.agents.terminal(request.params["id"]);
  if (!info) return tl::unexpected(info.error());
  auto from = query_int(request, "from", 0, 0, std::numeric_limits<int64_t>::max());
  if (!from) return tl::unexpected(from.error());
  auto limit = query_int(request, "limit", kMaxLogSlice, 1, kMaxLogSlice);
  if (!limit) return tl::unexpected(limit.error());
  uint64_t start = std::min<uint64_t>(static_cast<uint64_t>(*from), info->end_offset);
  uint64_t end = std::min<uint64_t>(info->end_offset, start + static_cast<uint64_t>(*limit));
  Response r;
  // Output the log could not hold is never served as bytes (the file may hold zeros there):
  // a slice stops before a gap, and a slice that starts in one is empty and says so.
  for (const auto& gap : info->gaps) {
    if (!gap.is_array() || gap.size() < 2) continue;
    uint64_t gfrom = gap[0].get<uint64_t>();
    uint64_t gto = gap[1].get<uint64_t>();
    if (start >= gfrom && start < gto) {
      r.content_type = "application/octet-stream";
      r.headers.emplace_back("X-Bosun-Offset", std::to_string(start));
      r.headers.emplace_back("X-Bosun-Gap", fmt::format("{}-{}", gfrom, gto));
      r.headers.emplace_back("X-Bosun-Next-Offset", std::to_string(gto));
      r.headers.emplace_back("X-Bosun-End-Offset", std::to_string(info->end_offset));
      return r;
    }
    if (gfrom > start && gfrom < end) end = gfrom;
  }
  r.content_type = "application/octet-stream";
  r.body.resize(end - start);
  if (!r.body.empty()) {
    UniqueFd fd(::open(info->log_path.c_str(), O_RDONLY | O_CLOEXEC));
    ssize_t n =
        fd ? ::pread(fd.get(), r.body.data(), r.body.size(), static_cast<off_t>(start)) : -1;
    if (n < 0) return internal("log_read_failed", "cannot read " + info->log_path);
    r.body.resize(static_cast<size_t>(n));
  }
  r.headers.emplace_back("X-Bosun-Offset", std::to_string(start));
  r.headers.emplace_back("X-Bosun-End-Offset", std::to_string(info->end_offset));
  return r;
}

// A terminal run as text or asciicast (?run=GENERATION, else the latest), or a headless run's
// stream as JSON lines (?run=hr_…, else the agent's latest headless run).
Result<Response> get_export(Services& s, Request& request) {
  TRY(agent, s.store.agents().find(request.params["id"]));
  const std::string* format = request.query_param("format");
  std::string fmt_name = format ? *format : "text";
  const std::string* run_param = request.query_param("run");
  Response r;
  if (fmt_name == "jsonl") {
    std::optional<HeadlessRunRecord> run;
    if (run_param) {
      TRY(found, s.store.headless_runs().find(*run_param));
      if (!*found || (*found)->agent != agent->name) {
        return not_found("run_not_found",
                         fmt::format("{} has no headless run {}", agent->name, *run_param));
      }
      run = **found;
    } else {
      TRY(runs, s.store.headless_runs().list(agent->name, std::nullopt, 1));
      if (runs->empty()) {
        return not_found("run_not_found",
                         fmt::format("{} has no headless run: jsonl is the stream of one; its "
                                     "terminal exports as text or asciicast",
                                     agent->name));
      }
      run = runs->front();
    }
    auto text = read_file(run->events_path);
    if (!text) return internal("log_read_failed", text.error().message);
    r.content_type = "application/x-ndjson";
    r.body = std::move(*text);
    return r;
  }
  if (fmt_name != "text" && fmt_name != "asciicast") {
    return bad_request("invalid_query", "format must be text, asciicast or jsonl");
  }
  auto run = [&]() -> Result<RunRecord> {
    if (!run_param) return s.store.agents().latest_run(agent->id);
    auto generation = query_int(request, "run", 0, 1, std::numeric_limits<int64_t>::max());
    if (!generation) {
      return bad_request("invalid_query",
                         "run must be a run number (agent show lists them) or, with "
                         "format=jsonl, a headless run id");
    }
    return s.store.agents().find_run(agent->id, *generation);
  }();
  if (!run) return tl::unexpected(run.error());
  RunRecording rec;
  rec.log_path = run->log_path;
  rec.end_offset = static_cast<uint64_t>(run->end_offset);
  rec.gaps = run->gaps;
  // The run going on now: what the daemon has recorded this very moment.
  if (auto live = s.agents.terminal(agent->id); live && live->log_path == run->log_path) {
    rec.end_offset = live->end_offset;
    rec.gaps = live->gaps;
  }
  rec.cols = agent->cols;
  rec.rows = agent->rows;
  rec.started_at_ms = run->started_at_ms;
  rec.title = fmt::format("bosun agent {}, run {}", agent->name, run->generation);
  rec.command = join(run->argv, " ");
  if (fmt_name == "text") {
    TRY(text, run_text(rec));
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(*text);
  } else {
    TRY(cast, run_asciicast(rec));
    r.content_type = "application/x-asciicast";
    r.body = std::move(*cast);
  }
  return r;
}

Result<WsOpen> ws_terminal(Services& s, Request& request) {
  auto info = s.agents.terminal(request.params["id"]);
  if (!info) return tl::unexpected(info.error());
  std::optional<uint64_t> from;
  if (request.query_param("from")) {
    auto v = query_int(request, "from", 0, 0, std::numeric_limits<int64_t>::max());
    if (!v) return tl::unexpected(v.error());
    from = static_cast<uint64_t>(*v);
  }
  const std::string* mode = request.query_param("mode");
  if (mode && *mode != "binary" && *mode != "json") {
    return bad_request("invalid_query", "mode must be 'binary' or 'json'");
  }
  bool binary = mode && *mode == "binary";
  TerminalStream* terminals = &s.terminals;
  std::string agent_id = info->agent_id;
  return WsOpen([terminals, agent_id, from, binary](const std::shared_ptr<WsChannel>& channel) {
    terminals->open(agent_id, channel, from, binary);
  });
}

}  // namespace

std::vector<Route> agent_routes() {
  return {
      {"POST", "/api/v1/agents", Access::kUser, nullptr, post_agent},
      {"GET", "/api/v1/agents", Access::kAny, get_agents},
      {"GET", "/api/v1/agents/{id}", Access::kAny, get_agent},
      {"DELETE", "/api/v1/agents/{id}", Access::kUser, delete_agent},
      {"POST", "/api/v1/agents/{id}/input", Access::kUser, post_input},
      {"POST", "/api/v1/agents/{id}/interrupt", Access::kUser, post_interrupt},
      {"POST", "/api/v1/agents/{id}/resize", Access::kUser, post_resize},
      {"POST", "/api/v1/agents/{id}/stop", Access::kUser, post_stop},
      {"POST", "/api/v1/agents/{id}/restart", Access::kUser, post_restart},
      {"GET", "/api/v1/agents/{id}/screen", Access::kSelf, get_screen},
      {"GET", "/api/v1/agents/{id}/log", Access::kSelf, get_log},
      {"GET", "/api/v1/agents/{id}/export", Access::kUser, get_export},
      {"GET", "/api/v1/agents/{id}/terminal", Access::kUser, nullptr, nullptr, ws_terminal},
  };
}

}  // namespace bosun
