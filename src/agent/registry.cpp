// AgentRegistry: spawn → holder → output into log file, screen and viewers; exit and loss.
#include "agent/registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/detector.h"
#include "agent/launch_plan.h"
#include "agent/live_status.h"
#include "term/holder_client.h"
#include "term/holder_launch.h"
#include "term/screen.h"
#include "util/files.h"
#include "util/ids.h"
#include "util/unique_fd.h"

extern char** environ;

namespace bosun {

namespace asio = boost::asio;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How much of the log a restarted daemon replays into the screen model.
constexpr uint64_t kScreenReplayBytes = 1 << 20;

}  // namespace

bool valid_agent_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

namespace {

bool valid_env_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Json optional_json(const std::optional<int64_t>& v) {
  return v ? Json(*v) : Json();
}

// How soon after output the screen is read for dialogs, limits, errors and busy markers:
// output comes in bursts, and one reading per burst is enough.
constexpr Millis kScreenCheckDelay{50};

// Whether the detector may change an agent's recorded state: not while its process is
// starting, stopping or gone (those states belong to the process).
bool detector_owns(const std::string& state) {
  return state == "running" || state == "working" || state == "idle" || state == "waiting_input" ||
         state == "rate_limited" || state == "errored";
}

// What an agent's state rests on, for its record and its agent.state event.
Json reading_json(const Signal& signal) {
  Json j = to_json(signal);
  j.erase("state");
  j.erase("source");
  return j;
}

// The profile's detector for an agent; an unknown or broken profile falls back to the shell's
// (idle on quiet output alone), with a warning.
std::unique_ptr<LiveStatus> live_status_for(Result<Profile> p, Log& log,
                                            const std::string& agent_id) {
  if (!p) {
    log.warn("agent.profile_failed", {{"agent", agent_id}, {"error", p.error().message}});
    p = load_profile("shell", {});
  }
  return std::make_unique<LiveStatus>(p ? std::move(*p) : Profile{});
}

}  // namespace

struct AgentRegistry::Session {
  AgentRecord agent;
  std::optional<RunRecord> run;
  std::shared_ptr<term::HolderClient> client;
  std::unique_ptr<term::Screen> screen;
  UniqueFd log_fd;
  std::unique_ptr<asio::steady_timer> quiet;  // fires when output has been quiet long enough
  std::chrono::steady_clock::time_point last_output{};
  bool quiet_armed = false;
  std::unique_ptr<LiveStatus> status;         // the profile's rules and the signal arbiter
  std::unique_ptr<asio::steady_timer> check;  // a look at the screen soon after output
  bool check_armed = false;
  Json reading;                 // what the next set_state rests on (null: the process itself)
  Json shown = Json::object();  // what the recorded state rests on: confidence, evidence, …
  // Stages a detector reading for set_state; false when it is not the detector's to change,
  // or when it only refines the current state (a busy marker seen after the output that made
  // the agent working): that is kept in memory, with no event and no write.
  bool stage(const std::optional<Signal>& signal) {
    if (!signal || !detector_owns(agent.state)) return false;
    if (signal->state == AgentState::kStarting || signal->state == AgentState::kExited) {
      return false;
    }
    if (to_string(signal->state) == agent.state) {
      agent.state_source = std::string(to_string(signal->source));
      shown = reading_json(*signal);
      return false;
    }
    reading = reading_json(*signal);
    return true;
  }
  bool launching = false;  // launch() is between writing the run and the holder answering
  bool restart_pending = false;
  bool stop_pending = false;
  bool remove_pending = false;
  bool running() const { return run && run->state == "running"; }
};

AgentRegistry::AgentRegistry(asio::io_context& io, Store& store, EventBus& bus, const Clock& clock,
                             Log& log, AgentTokenSink& auth, StateDir state, std::string bosun_exe)
    : io_(io),
      store_(store),
      bus_(bus),
      clock_(clock),
      log_(log),
      auth_(auth),
      state_(std::move(state)),
      bosun_exe_(std::move(bosun_exe)) {}

AgentRegistry::~AgentRegistry() {
  detach_all();
}

Result<AgentRegistry::Session*> AgentRegistry::find_session(const std::string& id_or_name) {
  auto it = sessions_.find(id_or_name);
  if (it != sessions_.end()) return it->second.get();
  for (auto& [id, s] : sessions_) {
    if (s->agent.name == id_or_name) return s.get();
  }
  return not_found("agent_not_found", "no agent " + id_or_name);
}

void AgentRegistry::set_state(Session& s, const std::string& state, const std::string& source) {
  Json reading = std::move(s.reading);
  s.reading = nullptr;
  if (s.agent.state == state && s.agent.state_source == source) return;
  if (reading.is_null()) reading = Json{{"confidence", 1.0}, {"evidence", state}};
  s.shown = reading;
  std::string from = s.agent.state;
  s.agent.state = state;
  s.agent.state_source = source;
  s.agent.state_since_ms = to_unix_ms(clock_.now());
  if (auto st = store_.agents().update(s.agent); !st) {
    log_.error("agent.persist_failed", {{"agent", s.agent.id}, {"error", st.error().message}});
  }
  log_.info("agent.state", {{"agent", s.agent.id},
                            {"name", s.agent.name},
                            {"from", from},
                            {"to", state},
                            {"source", source}});
  Json data{{"name", s.agent.name},
            {"state", state},
            {"from", from},
            {"source", source},
            {"since", format_time(from_unix_ms(s.agent.state_since_ms))}};
  data.update(reading);
  (void)bus_.publish("agent.state", s.agent.id, data);
}

void AgentRegistry::persist_run(Session& s) {
  if (!s.run) return;
  if (auto st = store_.agents().update_run(*s.run); !st) {
    log_.error("run.persist_failed", {{"agent", s.agent.id}, {"error", st.error().message}});
  }
}

Json AgentRegistry::status_frame(const Session& s) const {
  Json j{{"type", "status"}};
  if (!s.run) {
    j["state"] = "error";
    return j;
  }
  const auto& r = *s.run;
  if (r.state == "running" || r.state == "starting") {
    j["state"] = "running";
  } else if (r.state == "exited") {
    j["state"] = "exited";
    j["exit_code"] = optional_json(r.exit_code);
    if (r.signal) j["signal"] = *r.signal;
    if (r.error) j["error"] = *r.error;
  } else {
    j["state"] = "error";
    if (r.lost_reason) j["error"] = *r.lost_reason;
  }
  j["end_offset"] = r.end_offset;
  return j;
}

Json AgentRegistry::agent_json(const Session& s) const {
  const auto& a = s.agent;
  Json j{{"id", a.id},
         {"name", a.name},
         {"role", a.role},
         {"profile", a.profile},
         {"permanent", a.permanent},
         {"state", a.state},
         {"state_source", a.state_source},
         {"state_since", format_time(from_unix_ms(a.state_since_ms))},
         {"state_confidence", s.shown.value("confidence", 1.0)},
         {"state_evidence", s.shown.value("evidence", a.state)},
         {"argv", a.argv},
         {"cwd", a.cwd},
         {"cols", a.cols},
         {"rows", a.rows},
         {"generation", a.generation},
         {"created_at", format_time(from_unix_ms(a.created_at_ms))},
         {"last_output_at",
          a.last_output_ms ? Json(format_time(from_unix_ms(*a.last_output_ms))) : Json()}};
  j["command_from_profile"] = a.launch.value("profile_argv", false);
  j["args"] = a.launch.value("args", Json::array());
  j["session_id"] = a.launch.contains("session_id") ? a.launch["session_id"] : Json();
  j["project_id"] = a.project_id ? Json(*a.project_id) : Json();
  j["worktree"] = Json();
  if (auto wt = store_.projects().active_worktree(a.name); wt && *wt) {
    j["worktree"] = Json{{"id", (*wt)->id},
                         {"path", (*wt)->path},
                         {"branch", (*wt)->branch},
                         {"base_branch", (*wt)->base_branch}};
  }
  for (const char* key : {"detail", "row", "dialog", "reset_at_ms", "reset_text"}) {
    if (s.shown.contains(key)) j[std::string("state_") + key] = s.shown[key];
  }
  if (s.run) {
    j["run"] = to_json(*s.run);
    j["pid"] = optional_json(s.run->pid);
    j["end_offset"] = s.run->end_offset;
  } else {
    j["run"] = Json();
    j["pid"] = Json();
  }
  return j;
}

std::filesystem::path AgentRegistry::instructions_file(const std::string& agent_name) const {
  return state_.root / "agents" / agent_name / "instructions.md";
}

Result<Profile> AgentRegistry::profile(const std::string& name) const {
  return load_profile(name, state_.root.parent_path());
}

LaunchInputs AgentRegistry::launch_inputs(const std::string& name, const Json& launch,
                                          bool resume) const {
  LaunchInputs in;
  in.bosun_exe = bosun_exe_;
  in.shell = default_shell();
  std::error_code ec;
  if (auto file = instructions_file(name); std::filesystem::exists(file, ec)) {
    in.role_file = file.string();
  }
  in.session_id = launch.value("session_id", "");
  in.resume = resume && !in.session_id.empty();
  if (launch.contains("args") && launch["args"].is_array()) {
    for (const auto& arg : launch["args"]) {
      if (arg.is_string()) in.args.push_back(arg.get<std::string>());
    }
  }
  return in;
}

Status AgentRegistry::prepare_command(Session& s, const Result<Profile>& profile) {
  AgentRecord& a = s.agent;
  if (!a.launch.value("profile_argv", false)) return {};
  if (!profile) return tl::unexpected(profile.error());
  // A session the CLI has written (a prompt went in) is resumed; one that never began is
  // started again under the same id.
  bool resume = a.launch.value("session_started", false) && !profile->session.resume.empty();
  LaunchInputs in = launch_inputs(a.name, a.launch, resume);
  if (profile->hooks.kind == "claude") {
    auto file = state_.root / "agents" / a.name / "claude-settings.json";
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (auto st = write_file_atomic(file, dump_json(claude_hook_settings(bosun_exe_)), 0600); !st) {
      return st;
    }
    in.hooks_file = file.string();
  }
  auto argv = interactive_argv(*profile, in);
  if (!argv) return tl::unexpected(argv.error());
  a.argv = std::move(*argv);
  return {};
}

Status AgentRegistry::note_session(const std::string& id_or_name, const std::string& session_id,
                                   bool started) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  AgentRecord& a = (*found)->agent;
  if (!a.launch.value("profile_argv", false) || session_id.empty()) return {};
  bool changed = a.launch.value("session_id", "") != session_id;
  if (changed) a.launch["session_started"] = false;
  a.launch["session_id"] = session_id;
  if (started && !a.launch.value("session_started", false)) {
    a.launch["session_started"] = true;
    changed = true;
  }
  if (!changed) return {};
  return store_.agents().update(a);
}

std::vector<std::string> AgentRegistry::agent_env(const Session& s) const {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (key.rfind("BOSUN_", 0) == 0) continue;
    env[key] = kv.substr(eq + 1);
  }
  env["TERM"] = "xterm-256color";
  for (auto& [k, v] : own_env(s))
    env[k] = std::move(v);
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env)
    out.push_back(k + "=" + v);
  return out;
}

Result<AgentContext> AgentRegistry::context(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  const AgentRecord& a = (*found)->agent;
  return AgentContext{a.id, a.name, a.profile, a.cwd, own_env(**found)};
}

std::map<std::string, std::string> AgentRegistry::own_env(const Session& s) const {
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : s.agent.env.items()) {
    if (v.is_string()) env[k] = v.get<std::string>();
  }
  env["BOSUN_URL"] = daemon_url_;
  env["BOSUN_TOKEN"] = s.agent.token;
  env["BOSUN_AGENT"] = s.agent.name;
  env["BOSUN_AGENT_ID"] = s.agent.id;
  // A restarted daemon may listen elsewhere: the CLI re-reads the address from here.
  env["BOSUN_STATE"] = state_.root.string();
  if (s.agent.project_id) env["BOSUN_PROJECT"] = *s.agent.project_id;
  std::error_code ec;
  if (auto file = instructions_file(s.agent.name); std::filesystem::exists(file, ec)) {
    env["BOSUN_INSTRUCTIONS"] = file.string();
  }
  return env;
}

asio::awaitable<Result<Json>> AgentRegistry::spawn(SpawnRequest req) {
  if (!valid_agent_name(req.name)) {
    co_return bad_request(
        "invalid_name", "agent name must be 1-32 characters of [a-z0-9_-], starting with a letter");
  }
  if (req.name == "user" || req.name == "supervisor" || req.name == "system") {
    co_return bad_request("reserved_name", "'" + req.name + "' is a mailbox name; pick another");
  }
  if (find_session(req.name) || store_.agents().find(req.name)) {
    co_return conflict("agent_exists", "an agent named " + req.name + " already exists");
  }
  if (req.cols < 1 || req.cols > kMaxCols || req.rows < 1 || req.rows > kMaxRows) {
    co_return bad_request("invalid_size",
                          fmt::format("cols must be 1-{} and rows 1-{}", kMaxCols, kMaxRows));
  }
  Json plan = Json::object();
  if (req.argv.empty()) {
    // The command comes from the profile, and is built again for every run (a resumed
    // session, a new hooks file): check now that it can be.
    plan = Json{{"profile_argv", true}, {"args", req.args}};
    auto profile = this->profile(req.profile);
    if (!profile) co_return tl::unexpected(profile.error());
    if (!profile->session.assign.empty()) plan["session_id"] = new_uuid();
    auto argv = interactive_argv(*profile, launch_inputs(req.name, plan, false));
    if (!argv) co_return tl::unexpected(argv.error());
    req.argv = *argv;
  } else if (!req.args.empty()) {
    co_return bad_request("invalid_field",
                          "args add to the profile's command; with argv, put them in argv");
  }
  for (const auto& a : req.argv) {
    if (a.find('\0') != std::string::npos) co_return bad_request("invalid_argv", "argv has a NUL");
  }
  if (req.cwd.empty()) req.cwd = state_.root.parent_path().string();
  std::error_code ec;
  if (!std::filesystem::path(req.cwd).is_absolute() ||
      !std::filesystem::is_directory(req.cwd, ec)) {
    co_return bad_request("invalid_cwd", "cwd must be an existing absolute directory: " + req.cwd);
  }
  for (const auto& [k, v] : req.env) {
    if (!valid_env_name(k) || k.rfind("BOSUN_", 0) == 0) {
      co_return bad_request("invalid_env", "bad or reserved environment variable name: " + k);
    }
  }
  auto session = std::make_unique<Session>();
  AgentRecord& a = session->agent;
  a.id = new_id("ag_");
  a.name = req.name;
  a.role = req.role;
  a.profile = req.profile;
  a.permanent = req.permanent;
  a.project_id = req.project_id;
  a.argv = req.argv;
  a.cwd = req.cwd;
  a.env = Json::object();
  for (const auto& [k, v] : req.env)
    a.env[k] = v;
  a.cols = req.cols;
  a.rows = req.rows;
  a.created_at_ms = to_unix_ms(clock_.now());
  a.state_since_ms = a.created_at_ms;
  a.token = random_hex(24);
  a.launch = std::move(plan);
  {
    EventBus::Transaction tx(bus_, store_.db());
    if (auto st = tx.begin(); !st) co_return tl::unexpected(st.error());
    if (auto st = store_.agents().insert(a); !st) co_return tl::unexpected(st.error());
    if (auto ev = tx.publish("agent.created", a.id, Json{{"name", a.name}, {"argv", a.argv}});
        !ev) {
      co_return tl::unexpected(ev.error());
    }
    if (auto st = tx.commit(); !st) co_return tl::unexpected(st.error());
  }
  auth_.add_agent_token(a.token, a.id);
  Session& s = *session;
  sessions_[a.id] = std::move(session);
  if (auto st = co_await launch(s); !st) co_return tl::unexpected(st.error());
  co_return agent_json(s);
}

asio::awaitable<Status> AgentRegistry::launch(Session& s) {
  // While the holder starts, stop and remove only leave a note (the session must outlive this
  // coroutine); they take effect here, once the run is up or has failed.
  s.launching = true;
  Status st = co_await launch_run(s);
  s.launching = false;
  if (s.stop_pending || s.remove_pending) {
    s.stop_pending = false;
    if (s.running() && s.client) {
      s.client->stop(2000);
      set_state(s, "stopping", "process");
    } else if (s.remove_pending) {
      asio::post(io_, [this, id = s.agent.id] { (void)remove(id); });
    }
  }
  co_return st;
}

asio::awaitable<Status> AgentRegistry::launch_run(Session& s) {
  AgentRecord& a = s.agent;
  a.generation += 1;
  Result<Profile> profile = this->profile(a.profile);  // its command and its detector
  if (auto st = prepare_command(s, profile); !st) {
    s.run.reset();  // the last run ended as it did; this one never began
    mark_lost(s, "cannot build the command from profile " + a.profile + ": " + st.error().message);
    co_return st;
  }
  RunRecord run;
  run.agent_id = a.id;
  run.generation = a.generation;
  run.argv = a.argv;
  run.cwd = a.cwd;
  run.socket = (state_.run() / fmt::format("{}-{}.sock", a.id, a.generation)).string();
  run.log_path = (state_.logs() / fmt::format("{}-{}.log", a.name, a.generation)).string();
  run.started_at_ms = to_unix_ms(clock_.now());
  // The records are written before the holder exists: a crash in between leaves a
  // `starting` run that the next daemon marks lost, never a process nobody knows about.
  if (auto st = store_.agents().update(a); !st) co_return st;
  auto run_id = store_.agents().insert_run(run);
  if (!run_id) co_return tl::unexpected(run_id.error());
  run.id = *run_id;
  s.run = run;
  s.log_fd.reset(::open(run.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!s.log_fd) {
    mark_lost(s, errno_message("cannot create log " + run.log_path, errno));
    co_return internal("log_failed", s.run->lost_reason.value_or(""));
  }
  s.screen = std::make_unique<term::Screen>(a.cols, a.rows);
  s.status = live_status_for(std::move(profile), log_, a.id);
  set_state(s, "starting", "process");

  term::HolderOptions options;
  options.socket_path = run.socket;
  options.argv = a.argv;
  options.cwd = a.cwd;
  options.cols = a.cols;
  options.rows = a.rows;
  options.log_path =
      (state_.logs() / fmt::format("holder-{}-{}.log", a.name, a.generation)).string();
  auto launched = term::launch_holder(bosun_exe_, options, agent_env(s));
  if (!launched) {
    mark_lost(s, "cannot start a holder: " + launched.error().message);
    co_return tl::unexpected(launched.error());
  }
  asio::posix::stream_descriptor ready(io_, launched->ready_fd.release());
  std::string line;
  auto [rec, n] =
      co_await asio::async_read_until(ready, asio::dynamic_buffer(line), '\n', kNoThrow);
  if (rec && line.empty()) line = "error the holder exited before it was ready";
  if (line.rfind("ready ", 0) != 0) {
    std::string message = line.substr(line.find(' ') + 1);
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    s.run->state = "exited";
    s.run->error = message;
    s.run->ended_at_ms = to_unix_ms(clock_.now());
    persist_run(s);
    set_state(s, "exited", "process");
    co_return internal("holder_failed", "the holder could not start the agent: " + message);
  }
  long long pid = 0, holder_pid = 0;
  std::sscanf(line.c_str(), "ready %lld %lld", &pid, &holder_pid);
  s.run->pid = pid;
  s.run->holder_pid = holder_pid;
  s.run->state = "running";
  persist_run(s);
  s.client = term::HolderClient::create(io_, s.run->socket, a.id, log_);
  if (auto st = co_await s.client->connect(); !st) {
    mark_lost(s, st.error().message);
    co_return Status{};
  }
  connect_handlers(s);
  s.client->attach(0);
  set_state(s, "running", "process");
  s.status->started(to_unix_ms(clock_.now()));
  s.last_output = clock_.steady_now();
  watch_quiet(s);
  if (observer_) observer_->on_run_status(a.id, status_frame(s));
  co_return Status{};
}

void AgentRegistry::connect_handlers(Session& s) {
  Session* sp = &s;
  s.screen->set_reply_callback([sp](std::string_view reply) {
    if (sp->client) sp->client->input(reply);
  });
  term::HolderClient::Handlers h;
  h.on_output = [this, sp](uint64_t offset, std::string_view bytes) {
    on_output(*sp, offset, bytes);
  };
  h.on_gap = [this, sp](uint64_t from, uint64_t to) {
    if (!sp->run) return;
    sp->run->gaps.push_back(Json::array({from, to}));
    persist_run(*sp);
    log_.warn("agent.output_gap", {{"agent", sp->agent.id}, {"from", from}, {"to", to}});
  };
  h.on_status = [this, sp](const term::HolderStatus& status) {
    if (!sp->run) return;
    sp->run->pid = status.pid;
    sp->run->holder_pid = status.holder_pid;
    persist_run(*sp);
  };
  h.on_exited = [this, sp](const term::HolderStatus& status) {
    on_exited(*sp, term::status_to_json(status));
  };
  h.on_error = [this, sp](const std::string& message) {
    log_.warn("holder.error", {{"agent", sp->agent.id}, {"message", message}});
  };
  h.on_disconnect = [this, sp](const std::string& reason) { on_disconnect(*sp, reason); };
  s.client->start(std::move(h));
}

void AgentRegistry::on_output(Session& s, uint64_t offset, std::string_view bytes) {
  if (!s.run) return;
  uint64_t end = static_cast<uint64_t>(s.run->end_offset);
  if (offset + bytes.size() <= end) return;  // already recorded (a reattach overlaps)
  if (offset < end) {
    bytes.remove_prefix(end - offset);
    offset = end;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(s.log_fd.get(), bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      log_.error("agent.log_write_failed",
                 {{"agent", s.agent.id}, {"error", std::strerror(errno)}});
      break;
    }
    done += static_cast<size_t>(n);
  }
  s.run->end_offset = static_cast<int64_t>(offset + bytes.size());
  s.agent.last_output_ms = to_unix_ms(clock_.now());
  if (s.screen) s.screen->feed(bytes);
  if (observer_) observer_->on_output(s.agent.id, offset, bytes);
  if (s.running()) {
    s.last_output = clock_.steady_now();
    if (s.status) {
      auto signal = s.status->output(to_unix_ms(clock_.now()));
      if (s.stage(signal)) {
        set_state(s, std::string(to_string(signal->state)), std::string(to_string(signal->source)));
      }
      // A dialog, a limit, an error or a busy marker shows soon after output: one look per
      // burst.
      if (!s.check_armed) {
        if (!s.check) s.check = std::make_unique<asio::steady_timer>(io_);
        s.check->expires_after(kScreenCheckDelay);
        s.check_armed = true;
        Session* sp = &s;
        s.check->async_wait([this, sp](const boost::system::error_code& ec) {
          if (ec) return;  // cancelled: the session may be gone, touch nothing
          sp->check_armed = false;
          if (!sp->running() || !sp->screen || !sp->status) return;
          auto seen = sp->status->check(view_of(*sp->screen), to_unix_ms(clock_.now()));
          if (sp->stage(seen)) {
            set_state(*sp, std::string(to_string(seen->state)),
                      std::string(to_string(seen->source)));
          }
        });
      }
    }
    watch_quiet(s);
  }
}

void AgentRegistry::watch_quiet(Session& s) {
  if (s.quiet_armed) return;  // the pending wait re-checks the last output time
  if (!s.quiet) s.quiet = std::make_unique<asio::steady_timer>(io_);
  Millis quiet = s.status ? s.status->quiet() : Millis(500);
  arm_quiet(s, s.last_output + quiet - clock_.steady_now());
}

void AgentRegistry::arm_quiet(Session& s, std::chrono::steady_clock::duration due) {
  s.quiet->expires_after(std::max<std::chrono::steady_clock::duration>(due, Millis(1)));
  s.quiet_armed = true;
  Session* sp = &s;
  s.quiet->async_wait([this, sp](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the session may be gone, touch nothing
    sp->quiet_armed = false;
    on_quiet(*sp);
  });
}

Result<bool> AgentRegistry::offer_signal(const std::string& id_or_name, Signal signal) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (!s.running() || !s.status) {
    return conflict("agent_not_running", "agent " + s.agent.name + " has no running program");
  }
  int64_t now = to_unix_ms(clock_.now());
  signal.at_ms = now;
  auto changed = s.status->offer(signal, now);
  if (!s.stage(changed)) return false;
  set_state(s, std::string(to_string(changed->state)), std::string(to_string(changed->source)));
  return true;
}

// Quiet for the profile's interval: the screen (or, for rule-less profiles, the quiet itself)
// may now say idle.
void AgentRegistry::on_quiet(Session& s) {
  if (!s.running() || !s.screen || !s.status) return;
  if (clock_.steady_now() - s.last_output < s.status->quiet()) return watch_quiet(s);
  int64_t now = to_unix_ms(clock_.now());
  auto signal = s.status->settle(view_of(*s.screen), now);
  if (s.stage(signal)) {
    set_state(s, std::string(to_string(signal->state)), std::string(to_string(signal->source)));
    return;
  }
  // A hook's state holds against the screen for a while; look again once it no longer does.
  if (auto until = s.status->arbiter().held_until_ms(); until && *until > now) {
    arm_quiet(s, Millis(*until - now + 1));
  }
}

void AgentRegistry::on_exited(Session& s, const Json& st) {
  if (!s.run || s.run->state == "exited") return;
  s.run->state = "exited";
  if (st.contains("exit_code") && st["exit_code"].is_number_integer()) {
    s.run->exit_code = st["exit_code"].get<int64_t>();
  }
  if (st.contains("signal") && st["signal"].is_number_integer()) {
    s.run->signal = st["signal"].get<int64_t>();
  }
  if (st.contains("error") && st["error"].is_string())
    s.run->error = st["error"].get<std::string>();
  s.run->ended_at_ms = to_unix_ms(clock_.now());
  persist_run(s);
  (void)bus_.publish("agent.exited", s.agent.id,
                     Json{{"name", s.agent.name},
                          {"exit_code", optional_json(s.run->exit_code)},
                          {"signal", optional_json(s.run->signal)},
                          {"error", s.run->error ? Json(*s.run->error) : Json()},
                          {"generation", s.run->generation}});
  set_state(s, "exited", "process");
  if (observer_) observer_->on_run_status(s.agent.id, status_frame(s));
  if (s.client) s.client->collect();
  if (s.restart_pending) {
    s.restart_pending = false;
    asio::co_spawn(io_, launch(s), asio::detached);
  } else if (s.remove_pending) {
    std::string id = s.agent.id;
    asio::post(io_, [this, id] { (void)remove(id); });
  }
}

void AgentRegistry::on_disconnect(Session& s, const std::string& reason) {
  s.client.reset();
  if (s.run && (s.run->state == "running" || s.run->state == "starting")) {
    mark_lost(s, "lost the holder: " + reason);
  }
}

void AgentRegistry::mark_lost(Session& s, const std::string& reason) {
  if (s.run) {
    s.run->state = "lost";
    s.run->lost_reason = reason;
    s.run->ended_at_ms = to_unix_ms(clock_.now());
    persist_run(s);
  }
  log_.warn("agent.lost", {{"agent", s.agent.id}, {"reason", reason}});
  (void)bus_.publish("agent.lost", s.agent.id, Json{{"name", s.agent.name}, {"reason", reason}});
  set_state(s, "lost", "process");
  if (observer_) observer_->on_run_status(s.agent.id, status_frame(s));
}

asio::awaitable<void> AgentRegistry::reattach_all() {
  auto agents = store_.agents().list();
  if (!agents) {
    log_.error("agent.reattach_failed", {{"error", agents.error().message}});
    co_return;
  }
  for (auto& a : *agents) {
    auto session = std::make_unique<Session>();
    session->agent = a;
    if (!a.token.empty()) auth_.add_agent_token(a.token, a.id);
    auto run = store_.agents().latest_run(a.id);
    if (run) session->run = *run;
    sessions_[a.id] = std::move(session);
  }
  for (auto& [id, sp] : sessions_) {
    Session& s = *sp;
    if (!s.run || (s.run->state != "running" && s.run->state != "starting")) continue;
    s.log_fd.reset(::open(s.run->log_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    struct stat st {};
    if (s.log_fd && ::fstat(s.log_fd.get(), &st) == 0) {
      // What is in the file is what we have: continue the stream from there.
      s.run->end_offset = st.st_size;
    }
    s.screen = std::make_unique<term::Screen>(s.agent.cols, s.agent.rows);
    s.status = live_status_for(profile(s.agent.profile), log_, s.agent.id);
    {
      UniqueFd in(::open(s.run->log_path.c_str(), O_RDONLY | O_CLOEXEC));
      uint64_t end = static_cast<uint64_t>(s.run->end_offset);
      uint64_t from = end > kScreenReplayBytes ? end - kScreenReplayBytes : 0;
      std::string buf(end - from, '\0');
      if (in && ::pread(in.get(), buf.data(), buf.size(), static_cast<off_t>(from)) > 0) {
        s.screen->feed(buf);
      }
    }
    s.client = term::HolderClient::create(io_, s.run->socket, s.agent.id, log_);
    auto connected = co_await s.client->connect();
    if (!connected) {
      s.client.reset();
      mark_lost(s, connected.error().message);
      continue;
    }
    connect_handlers(s);
    s.client->attach(static_cast<uint64_t>(s.run->end_offset));
    s.client->request_status();
    if (s.run->state == "starting") s.run->state = "running";
    persist_run(s);
    log_.info("agent.reattached",
              {{"agent", s.agent.id}, {"name", s.agent.name}, {"from", s.run->end_offset}});
    (void)bus_.publish("agent.reattached", s.agent.id,
                       Json{{"name", s.agent.name}, {"offset", s.run->end_offset}});
    set_state(s, "running", "process");
    s.status->started(to_unix_ms(clock_.now()));
    s.last_output = clock_.steady_now();
    watch_quiet(s);
  }
}

Result<Json> AgentRegistry::show(const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  return agent_json(**s);
}

Result<Json> AgentRegistry::list() {
  Json out = Json::array();
  std::vector<const Session*> ordered;
  for (const auto& [id, s] : sessions_)
    ordered.push_back(s.get());
  std::sort(ordered.begin(), ordered.end(), [](const Session* x, const Session* y) {
    return x->agent.created_at_ms != y->agent.created_at_ms
               ? x->agent.created_at_ms < y->agent.created_at_ms
               : x->agent.name < y->agent.name;
  });
  for (const auto* s : ordered)
    out.push_back(agent_json(*s));
  return out;
}

Result<int64_t> AgentRegistry::count() {
  return static_cast<int64_t>(sessions_.size());
}

namespace {
Error not_running(const std::string& name, const std::optional<RunRecord>& run) {
  std::string why = "is not running";
  if (run && run->state == "exited") {
    why = run->exit_code ? fmt::format("has exited (code {})", *run->exit_code) : "has exited";
  } else if (run && run->state == "lost") {
    why = "was lost: " + run->lost_reason.value_or("");
  }
  return Error{409, "agent_not_running", "agent " + name + " " + why};
}
}  // namespace

Status AgentRegistry::input(const std::string& id_or_name, std::string_view bytes, bool submit) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  if (!(*s)->running() || !(*s)->client)
    return tl::unexpected(not_running((*s)->agent.name, (*s)->run));
  Session& session = **s;
  session.client->input(bytes);
  if (!submit) return {};
  // The profile's submit key, after its pause: some CLIs take text and Enter that arrive
  // together as a paste and do not submit it (Codex).
  std::string key = session.status ? session.status->profile().input.submit : "\r";
  int pause = session.status ? session.status->profile().input.pause_ms : 0;
  if (pause <= 0 || bytes.empty()) {
    session.client->input(key);
    return {};
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, Millis(pause));
  timer->async_wait([this, timer, id = session.agent.id, key,
                     generation = session.agent.generation](const boost::system::error_code& ec) {
    if (ec) return;
    auto found = find_session(id);
    if (!found || !(*found)->running() || !(*found)->client) return;
    if ((*found)->agent.generation != generation) return;  // a new run: not its Enter
    (*found)->client->input(key);
  });
  return {};
}

Status AgentRegistry::interrupt(const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  if (!(*s)->running() || !(*s)->client)
    return tl::unexpected(not_running((*s)->agent.name, (*s)->run));
  (*s)->client->signal(SIGINT, term::SignalTarget::kForeground);
  return {};
}

Status AgentRegistry::resize(const std::string& id_or_name, int cols, int rows) {
  if (cols < 1 || cols > kMaxCols || rows < 1 || rows > kMaxRows) {
    return bad_request("invalid_size",
                       fmt::format("cols must be 1-{} and rows 1-{}", kMaxCols, kMaxRows));
  }
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  Session& session = **s;
  if (!session.running() || !session.client) {
    return tl::unexpected(not_running(session.agent.name, session.run));
  }
  session.client->resize(cols, rows);
  if (session.screen) session.screen->resize(cols, rows);
  session.agent.cols = cols;
  session.agent.rows = rows;
  return store_.agents().update(session.agent);
}

Status AgentRegistry::stop(const std::string& id_or_name, uint32_t grace_ms) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  Session& session = **s;
  if (session.launching) {
    session.stop_pending = true;
    return {};
  }
  if (!session.running() || !session.client) {
    return tl::unexpected(not_running(session.agent.name, session.run));
  }
  session.client->stop(grace_ms);
  set_state(session, "stopping", "process");
  return {};
}

Status AgentRegistry::restart(const std::string& id_or_name, bool fresh) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  Session& session = **s;
  if (session.launching || session.restart_pending) {
    return conflict("agent_starting",
                    "agent " + session.agent.name + " is starting; restart it once it runs");
  }
  Json& plan = session.agent.launch;
  if (fresh && plan.contains("session_id")) {
    // A new native session: the old one stays on disk, under its own id.
    plan["session_id"] = new_uuid();
    plan["session_started"] = false;
  }
  if (session.running() && session.client) {
    session.restart_pending = true;
    session.client->stop(2000);
    set_state(session, "stopping", "process");
  } else {
    asio::co_spawn(io_, launch(session), asio::detached);
  }
  return {};
}

Status AgentRegistry::remove(const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  Session& session = **s;
  if (session.launching) {
    session.remove_pending = true;
    return {};
  }
  if (session.running() && session.client) {
    session.remove_pending = true;
    session.client->stop(2000);
    set_state(session, "stopping", "process");
    return {};
  }
  std::string id = session.agent.id;
  auth_.remove_agent_token(session.agent.token);
  if (session.client) session.client->close();
  if (auto st = store_.agents().remove(id); !st) return st;
  (void)bus_.publish("agent.removed", id, Json{{"name", session.agent.name}});
  sessions_.erase(id);
  return {};
}

Result<Json> AgentRegistry::screen(const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  const Session& session = **s;
  if (!session.screen) {
    return Json{{"cols", session.agent.cols}, {"rows", session.agent.rows},
                {"lines", Json::array()},     {"cursor", {{"row", 0}, {"col", 0}}},
                {"alt_screen", false},        {"offset", 0}};
  }
  auto cursor = session.screen->cursor();
  return Json{{"cols", session.screen->cols()},
              {"rows", session.screen->rows()},
              {"lines", session.screen->lines()},
              {"cursor", {{"row", cursor.row}, {"col", cursor.col}}},
              {"alt_screen", session.screen->alt_screen()},
              {"offset", session.run ? session.run->end_offset : 0}};
}

std::optional<std::chrono::steady_clock::time_point> AgentRegistry::last_output(
    const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s || !(*s)->running()) return std::nullopt;
  return (*s)->last_output;
}

Result<TerminalInfo> AgentRegistry::terminal(const std::string& id_or_name) {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  const Session& session = **s;
  TerminalInfo info;
  info.agent_id = session.agent.id;
  info.status = status_frame(session);
  if (session.run) {
    info.log_path = session.run->log_path;
    info.end_offset = static_cast<uint64_t>(session.run->end_offset);
    info.gaps = session.run->gaps;
  }
  return info;
}

void AgentRegistry::detach_all() {
  for (auto& [id, s] : sessions_) {
    if (s->run && s->run->state == "running") persist_run(*s);
    if (s->client) {
      s->client->close();
      s->client.reset();
    }
  }
}

}  // namespace bosun
