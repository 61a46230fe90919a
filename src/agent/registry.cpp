// AgentRegistry: spawn → holder → run; exit, loss and reattach; stop, restart and remove.
#include "agent/registry.h"

#include <csignal>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "agent/launch_plan.h"
#include "agent/permission.h"
#include "util/ids.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// How much of the log a restarted daemon replays into the screen model.
constexpr uint64_t kScreenReplayBytes = 1 << 20;

Json optional_json(const std::optional<int64_t>& v) {
  return v ? Json(*v) : Json();
}

}  // namespace

bool valid_agent_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

AgentRegistry::AgentRegistry(asio::io_context& io, Store& store, StoreRunner& runner,
                             const Clock& clock, Log& log, AgentTokenSink& auth, StateDir state,
                             std::string bosun_exe, std::unique_ptr<HolderHost> host)
    : store_(store),
      runner_(runner),
      clock_(clock),
      log_(log),
      auth_(auth),
      state_(state),
      host_(host ? std::move(host) : std::make_unique<LocalHolderHost>(io, log, state, bosun_exe)),
      files_(std::move(state), std::move(bosun_exe)),
      context_{io, clock, log, AgentStateSinks{runner, log, clock}} {}

AgentRegistry::~AgentRegistry() {
  lifetime_.end();
  detach_all();
}

Result<Session*> AgentRegistry::find_session(const std::string& id_or_name) const {
  auto it = sessions_.find(id_or_name);
  if (it != sessions_.end()) return it->second.get();
  for (const auto& [id, s] : sessions_) {
    if (s->record().name == id_or_name) return s.get();
  }
  return not_found("agent_not_found", "no agent " + id_or_name);
}

Error AgentRegistry::not_running(const Session& s) const {
  std::string why = why_not_running(s.view());
  if (why.empty()) why = "is not running";
  return Error{ErrorKind::kConflict, "agent_not_running", "agent " + s.record().name + " " + why};
}

Result<AgentView> AgentRegistry::view(const std::string& id_or_name) const {
  auto s = find_session(id_or_name);
  if (!s) return tl::unexpected(s.error());
  return (*s)->view();
}

Result<AgentRecord> AgentRegistry::elsewhere(const std::string& id_or_name) const {
  const std::string& here = store_.events().host();
  if (!here.empty()) {
    auto row = store_.agents().find(id_or_name);
    if (!row && row.error().kind != ErrorKind::kNotFound) return row;
    if (row && !row->host.empty() && row->host != here) return row;
  }
  return not_found("agent_not_found", "no agent " + id_or_name);
}

Result<std::vector<AgentRecord>> AgentRegistry::all_elsewhere() const {
  const std::string& here = store_.events().host();
  if (here.empty()) return std::vector<AgentRecord>();
  TRY(all, store_.agents().list());
  std::erase_if(*all, [&here](const AgentRecord& a) { return a.host.empty() || a.host == here; });
  return all;
}

std::vector<AgentView> AgentRegistry::views() const {
  std::vector<AgentView> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_)
    out.push_back(s->view());
  std::sort(out.begin(), out.end(), [](const AgentView& x, const AgentView& y) {
    return x.record.created_at_ms != y.record.created_at_ms
               ? x.record.created_at_ms < y.record.created_at_ms
               : x.name() < y.name();
  });
  return out;
}

void AgentRegistry::persist_run(Session& s) {
  if (!s.run) return;
  auto write = [run = *s.run](Store& store, EventBus&) { return store.agents().update_run(run); };
  runner_.submit(std::move(write), [&log = log_, id = s.record().id](const Status& st) {
    if (!st) log.error("run.persist_failed", {{"agent", id}, {"error", st.error().message}});
  });
}

void AgentRegistry::persist(const AgentRecord& record) {
  auto write = [record](Store& store, EventBus&) { return store.agents().update(record); };
  runner_.submit(std::move(write), [&log = log_, id = record.id](const Status& st) {
    if (!st) log.error("agent.persist_failed", {{"agent", id}, {"error", st.error().message}});
  });
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

Result<Profile> AgentRegistry::profile(const std::string& name) const {
  return load_profile(name, state_.root.parent_path());
}

Status AgentRegistry::note_session(const std::string& id_or_name, const std::string& session_id,
                                   bool started) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  AgentRecord& a = (*found)->record();
  if (!a.launch.value("profile_argv", false) || session_id.empty()) return {};
  // A run on its way out (stopped, restarted, perhaps fresh with a new id already chosen)
  // no longer says which session the next run continues.
  if ((*found)->after() != AfterRun::kNone) return {};
  bool changed = a.launch.value("session_id", "") != session_id;
  if (changed) a.launch["session_started"] = false;
  a.launch["session_id"] = session_id;
  if (started && !a.launch.value("session_started", false)) {
    a.launch["session_started"] = true;
    changed = true;
  }
  if (!changed) return {};
  persist(a);
  return {};
}

Result<std::optional<ContextGauge>> AgentRegistry::note_context_tokens(
    const std::string& id_or_name, int64_t tokens, const std::string& source) {
  TRY(found, find_session(id_or_name));
  Session& s = **found;
  // The window the CLI itself said (its status line knows the model's), else the profile's.
  int64_t window = s.status ? s.status->profile().context.window : 0;
  const bool said = s.said_window().has_value();
  if (said) window = *s.said_window();
  if (window <= 0) {
    return fail(ErrorKind::kInvalid, "no_context_window",
                "agent " + s.record().name + "'s profile names no context window");
  }
  // More tokens than the profile's window means the model's window is larger (a 1M-token
  // model): a percent of the wrong window would be a false "full", so wait for the CLI's own.
  if (!said && tokens > window) return std::optional<ContextGauge>();
  ContextGauge g = gauge_of_tokens(tokens, window, source, to_unix_ms(clock_.now()));
  s.note_context(g);
  return std::optional<ContextGauge>(g);
}

Status AgentRegistry::note_context(const std::string& id_or_name, const ContextGauge& gauge) {
  TRY(found, find_session(id_or_name));
  (*found)->note_context(gauge);
  return {};
}

Result<AgentContext> AgentRegistry::context(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  const AgentRecord& a = (*found)->record();
  return AgentContext{a.id, a.name, a.profile, a.cwd, files_.own_env(a)};
}

asio::awaitable<Result<AgentView>> AgentRegistry::spawn(SpawnRequest req) {
  if (!valid_agent_name(req.name)) {
    co_return bad_request(
        "invalid_name", "agent name must be 1-32 characters of [a-z0-9_-], starting with a letter");
  }
  if (req.name == "user" || req.name == "supervisor" || req.name == "system") {
    co_return bad_request("reserved_name", "'" + req.name + "' is a mailbox name; pick another");
  }
  if (auto there = elsewhere(req.name)) {
    co_return conflict("agent_exists", fmt::format("an agent named {} already exists, on host {}",
                                                   req.name, there->host));
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
    if (auto st = check_permission(req.permission, req.sandbox, &*profile); !st) {
      co_return tl::unexpected(st.error());
    }
    if (!req.permission.empty()) plan["permission"] = req.permission;
    if (!req.model.empty()) plan["model"] = req.model;
    if (!req.tools.empty()) plan["tools"] = join(req.tools, ",");
    if (!profile->session.assign.empty()) plan["session_id"] = new_uuid();
    auto argv = interactive_argv(*profile, files_.inputs(req.name, plan, false));
    if (!argv) co_return tl::unexpected(argv.error());
    req.argv = *argv;
  } else if (!req.args.empty()) {
    co_return bad_request("invalid_field",
                          "args add to the profile's command; with argv, put them in argv");
  } else if (auto st = check_permission(req.permission, req.sandbox, nullptr); !st) {
    co_return tl::unexpected(st.error());
  }
  for (const auto& a : req.argv) {
    if (a.find('\0') != std::string::npos) co_return bad_request("invalid_argv", "argv has a NUL");
  }
  if (req.cwd.empty()) req.cwd = state_.root.parent_path().string();
  if (auto st = host_->check_cwd(req.cwd); !st) co_return tl::unexpected(st.error());
  for (const auto& [k, v] : req.env) {
    if (!valid_env_name(k) || k.rfind("BOSUN_", 0) == 0) {
      co_return bad_request("invalid_env", "bad or reserved environment variable name: " + k);
    }
  }
  if (auto st = host_->check_program(req.argv.empty() ? "" : req.argv.front(), req.cwd, req.env);
      !st) {
    co_return tl::unexpected(st.error());
  }
  if (auto st = host_->check_sandbox(req.sandbox); !st) co_return tl::unexpected(st.error());
  if (req.sandbox.enabled()) plan["sandbox"] = req.sandbox.to_json();
  AgentRecord a;
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
  auto insert = [&a](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.agents().insert(a));
    TRY_OK(tx.publish("agent.created", a.id, Json{{"name", a.name}, {"argv", a.argv}}));
    return tx.commit();
  };
  CO_TRY_OK(co_await runner_.run(insert));
  auto session = std::make_unique<Session>(context_, std::move(a));
  Session& s = *session;
  sessions_[s.record().id] = std::move(session);
  if (auto st = co_await launch(s); !st) co_return tl::unexpected(st.error());
  co_return s.view();
}

asio::awaitable<Status> AgentRegistry::launch(Session& s) {
  // While the holder starts, stop and remove only leave a note (the session must outlive this
  // coroutine); they take effect here, once the run is up or has failed.
  s.launching = true;
  Status st = co_await launch_run(s);
  s.launching = false;
  after_launch(s);
  co_return st;
}

void AgentRegistry::after_launch(Session& s) {
  switch (s.after()) {
    case AfterRun::kNone:
    case AfterRun::kRestart:
      return;
    case AfterRun::kStop:
      s.take_after();
      if (s.running() && s.client) stop_run(s, 2000);
      return;
    case AfterRun::kRemove:
      if (s.running() && s.client) {
        stop_run(s, 2000);  // removed once it has exited
      } else {
        asio::post(context_.io, [this, id = s.record().id] { (void)remove(id); });
      }
      return;
  }
}

asio::awaitable<Status> AgentRegistry::launch_run(Session& s) {
  AgentRecord& a = s.record();
  a.generation += 1;
  // A new token for every run: the last run's stops working now, whoever kept a copy.
  auth_.remove_agent_token(a.token);
  a.token = random_hex(24);
  auth_.add_agent_token(a.token, a.id);
  Result<Profile> profile = this->profile(a.profile);  // its command and its detector
  if (auto st = files_.prepare_command(a, profile); !st) {
    s.run.reset();  // the last run ended as it did; this one never began
    mark_lost(s, "cannot build the command from profile " + a.profile + ": " + st.error().message);
    co_return st;
  }
  auto env = files_.own_env(a, profile ? &*profile : nullptr);
  // A policy stored by spawn; a record that has none (or one this build can't read) runs as it is.
  SandboxPolicy sandbox =
      parse_sandbox(a.launch.value("sandbox", Json())).value_or(SandboxPolicy{});
  SandboxLayout layout;
  if (sandbox.enabled()) layout = files_.sandbox_layout(a, profile ? &*profile : nullptr, env);
  if (profile) {
    if (const auto* mode = permission_mode(*profile, a.launch.value("permission", ""))) {
      for (const auto& [k, v] : mode->env)
        env[k] = v;
    }
  }
  RunRecord run;
  run.agent_id = a.id;
  run.generation = a.generation;
  run.argv = a.argv;
  run.cwd = a.cwd;
  run.socket = host_->socket_path(a.id, a.generation);
  run.log_path = host_->log_path(a.name, a.generation);
  run.started_at_ms = to_unix_ms(clock_.now());
  // The records are written before the holder exists: a crash in between leaves a
  // `starting` run that the next daemon marks lost, never a process nobody knows about.
  auto write = [record = a, &run](Store& store, EventBus&) -> Result<int64_t> {
    TRY_OK(store.agents().update(record));
    return store.agents().insert_run(run);
  };
  CO_TRY(run_id, co_await runner_.run(write));
  run.id = *run_id;
  s.run = run;
  if (auto st = s.log.create(run.log_path, a.cols, a.rows, run.started_at_ms); !st) {
    mark_lost(s, st.error().message);
    co_return internal("log_failed", st.error().message);
  }
  s.begin_run(std::move(profile));
  s.machine().enter(AgentState::kStarting);

  HolderSpec spec{a.id, a.name, a.generation, a.argv, a.cwd, a.cols, a.rows, std::move(env)};
  spec.sandbox = sandbox;
  spec.layout = std::move(layout);
  auto started = co_await host_->launch(spec, run.socket);
  if (!started && started.error().code == "holder_failed") {
    auth_.remove_agent_token(a.token);
    s.run->state = "exited";
    s.run->error = started.error().message;
    s.run->ended_at_ms = to_unix_ms(clock_.now());
    persist_run(s);
    s.machine().enter(AgentState::kExited);
    co_return internal("holder_failed",
                       "the holder could not start the agent: " + started.error().message);
  }
  if (!started) {
    mark_lost(s, started.error().message);
    co_return tl::unexpected(started.error());
  }
  s.run->pid = started->pid;
  s.run->holder_pid = started->holder_pid;
  s.run->state = "running";
  persist_run(s);
  s.client = host_->client(s.run->socket, a.id);
  if (auto st = co_await s.client->connect(); !st) {
    mark_lost(s, st.error().message);
    co_return Status{};
  }
  connect_handlers(s);
  s.client->attach(0);
  s.machine().enter(AgentState::kRunning);
  s.start_watching();
  if (context_.observer) context_.observer->on_run_status(a.id, status_frame(s));
  co_return Status{};
}

void AgentRegistry::connect_handlers(Session& s) {
  // The handlers capture the session: they stop when its client is closed, which happens
  // before the session goes (remove, detach_all). They belong to one run: a holder that ends
  // while the next run starts (a restart) must not touch the new run.
  Session* sp = &s;
  const int64_t generation = s.run->generation;
  const term::HolderClient* client = s.client.get();
  auto mine = [sp, generation] { return sp->run && sp->run->generation == generation; };
  s.screen->set_reply_callback([sp](std::string_view reply) {
    if (sp->client) sp->client->input(reply);
  });
  term::HolderClient::Handlers h;
  h.on_output = [this, sp, mine](uint64_t offset, std::string_view bytes) {
    if (!mine()) return;
    sp->on_output(offset, bytes);
    if (sp->take_gaps_changed()) persist_run(*sp);
  };
  h.on_gap = [this, sp, mine](uint64_t from, uint64_t to) {
    if (!mine()) return;
    sp->run->gaps.push_back(Json::array({from, to}));
    persist_run(*sp);
    log_.warn("agent.output_gap", {{"agent", sp->record().id}, {"from", from}, {"to", to}});
  };
  h.on_status = [this, sp, mine](const term::HolderStatus& status) {
    if (!mine()) return;
    sp->run->pid = status.pid;
    sp->run->holder_pid = status.holder_pid;
    persist_run(*sp);
  };
  h.on_exited = [this, sp, mine](const term::HolderStatus& status) {
    if (mine()) on_exited(*sp, term::status_to_json(status));
  };
  h.on_error = [this, sp](const std::string& message) {
    log_.warn("holder.error", {{"agent", sp->record().id}, {"message", message}});
  };
  h.on_disconnect = [this, sp, mine, client](const std::string& reason) {
    if (sp->client.get() == client) sp->client.reset();
    if (mine()) on_disconnect(*sp, reason);
  };
  s.client->start(std::move(h));
}

Result<bool> AgentRegistry::offer_signal(const std::string& id_or_name, Signal signal) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (!s.running() || !s.status) {
    return conflict("agent_not_running", "agent " + s.record().name + " has no running program");
  }
  int64_t now = to_unix_ms(clock_.now());
  signal.at_ms = now;
  return s.offer(s.status->offer(signal, now));
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
  const AgentRecord& a = s.record();
  auth_.remove_agent_token(a.token);  // the run is over: so is what it may do
  runner_.publish("agent.exited", a.id,
                  Json{{"name", a.name},
                       {"exit_code", optional_json(s.run->exit_code)},
                       {"signal", optional_json(s.run->signal)},
                       {"error", s.run->error ? Json(*s.run->error) : Json()},
                       {"generation", s.run->generation},
                       {"then", to_string(s.after())}});
  s.machine().enter(AgentState::kExited);
  if (context_.observer) context_.observer->on_run_status(a.id, status_frame(s));
  if (s.client) s.client->collect();
  switch (s.after()) {
    case AfterRun::kNone:
      return;
    case AfterRun::kStop:
      s.take_after();
      return;
    case AfterRun::kRestart:
      s.take_after();
      // Launching from now on, not from when the coroutine first runs: a stop or remove that
      // arrives in between leaves its note for launch() instead of finding nothing to stop.
      s.launching = true;
      asio::co_spawn(context_.io, launch(s), asio::detached);
      return;
    case AfterRun::kRemove:
      asio::post(context_.io, [this, id = a.id] { (void)remove(id); });
      return;
  }
}

void AgentRegistry::on_disconnect(Session& s, const std::string& reason) {
  if (s.run && (s.run->state == "running" || s.run->state == "starting")) {
    mark_lost(s, "lost the holder: " + reason);
  }
}

void AgentRegistry::mark_lost(Session& s, const std::string& reason) {
  // A run whose holder is gone leaves its tree without a terminal: nothing of it may go on
  // running unseen (a program that ignores HUP and TERM would).
  if (s.run && s.run->pid && (s.run->state == "running" || s.run->state == "starting")) {
    host_->reap(s.record().id, *s.run->pid, s.run->socket, s.run->holder_pid.value_or(0));
  }
  if (s.run) {
    s.run->state = "lost";
    s.run->lost_reason = reason;
    s.run->ended_at_ms = to_unix_ms(clock_.now());
    persist_run(s);
  }
  const AgentRecord& a = s.record();
  auth_.remove_agent_token(a.token);
  log_.warn("agent.lost", {{"agent", a.id}, {"reason", reason}});
  runner_.publish("agent.lost", a.id, Json{{"name", a.name}, {"reason", reason}});
  s.machine().enter(AgentState::kLost);
  if (context_.observer) context_.observer->on_run_status(a.id, status_frame(s));
}

asio::awaitable<void> AgentRegistry::reattach_all() {
  auto agents = store_.agents().local();
  if (!agents) {
    log_.error("agent.reattach_failed", {{"error", agents.error().message}});
    co_return;
  }
  for (auto& a : *agents) {
    auto run = store_.agents().latest_run(a.id);
    // Only a run still going keeps its token.
    bool going = run && (run->state == "running" || run->state == "starting");
    if (going && !a.token.empty()) auth_.add_agent_token(a.token, a.id);
    // Declared lost with its host (another host's reaper) while its run went on: it re-attaches
    // as a run starting again would.
    if (going && a.state == "lost" && a.state_source == "host") a.state = "starting";
    std::string id = a.id;
    auto session = std::make_unique<Session>(context_, std::move(a));
    if (run) session->run = *run;
    sessions_[id] = std::move(session);
  }
  for (auto& [id, sp] : sessions_) {
    Session& s = *sp;
    if (!s.run || (s.run->state != "running" && s.run->state != "starting")) continue;
    // What is in the file is what we have: continue the stream from there.
    if (auto size = s.log.reopen(s.run->log_path)) s.run->end_offset = static_cast<int64_t>(*size);
    s.begin_run(profile(s.record().profile));
    s.screen->feed(RunLog::tail(s.run->log_path, static_cast<uint64_t>(s.run->end_offset),
                                kScreenReplayBytes));
    s.client = host_->client(s.run->socket, id);
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
    const AgentRecord& a = s.record();
    log_.info("agent.reattached", {{"agent", a.id}, {"name", a.name}, {"from", s.run->end_offset}});
    runner_.publish("agent.reattached", a.id,
                    Json{{"name", a.name}, {"offset", s.run->end_offset}});
    s.machine().enter(AgentState::kRunning);
    s.start_watching();
  }
}

void AgentRegistry::host_returned() {
  for (auto& [id, sp] : sessions_) {
    Session& s = *sp;
    if (!s.run || (s.run->state != "running" && s.run->state != "starting")) continue;
    const AgentRecord& a = s.record();
    persist(a);
    runner_.publish("agent.state", id,
                    Json{{"name", a.name},
                         {"state", a.state},
                         {"from", "lost"},
                         {"source", a.state_source},
                         {"since", format_time(from_unix_ms(a.state_since_ms))},
                         {"evidence", "its host is back"}});
  }
}

Status AgentRegistry::input(const std::string& id_or_name, std::string_view bytes, bool submit) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (!s.running() || !s.client) return tl::unexpected(not_running(s));
  s.client->input(bytes);
  note_submit(s, bytes);
  if (!submit) return {};
  // The profile's submit key, after its pause: some CLIs take text and Enter that arrive
  // together as a paste and do not submit it (Codex).
  std::string key = s.status ? s.status->profile().input.submit : "\r";
  int pause = s.status ? s.status->profile().input.pause_ms : 0;
  if (pause <= 0 || bytes.empty()) {
    s.client->input(key);
    note_submit(s, key);
    return {};
  }
  // The timer outlives this call: it finds the agent again by id (and run) when it fires.
  auto timer = std::make_shared<asio::steady_timer>(context_.io, Millis(pause));
  timer->async_wait([this, life = lifetime_.guard(), timer, id = s.record().id, key,
                     generation = s.record().generation](const boost::system::error_code& ec) {
    if (ec || !life.alive()) return;
    auto again = find_session(id);
    if (!again || !(*again)->running() || !(*again)->client) return;
    if ((*again)->record().generation != generation) return;  // a new run: not its Enter
    (*again)->client->input(key);
    note_submit(**again, key);
  });
  return {};
}

void AgentRegistry::note_submit(Session& s, std::string_view bytes) {
  if (!s.status) return;
  const std::string& key = s.status->profile().input.submit;
  if (key.empty() || bytes.find(key) == std::string_view::npos) return;
  s.status->submitted(to_unix_ms(clock_.now()));
}

Status AgentRegistry::interrupt(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (!s.running() || !s.client) return tl::unexpected(not_running(s));
  s.client->signal(SIGINT, term::SignalTarget::kForeground);
  return {};
}

Status AgentRegistry::resize(const std::string& id_or_name, int cols, int rows) {
  if (cols < 1 || cols > kMaxCols || rows < 1 || rows > kMaxRows) {
    return bad_request("invalid_size",
                       fmt::format("cols must be 1-{} and rows 1-{}", kMaxCols, kMaxRows));
  }
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (!s.running() || !s.client) return tl::unexpected(not_running(s));
  s.client->resize(cols, rows);
  s.flush_screen();  // output from before the resize, at the old size
  if (s.screen) s.screen->resize(cols, rows);
  if (s.run) {
    s.log.note_resize(static_cast<uint64_t>(s.run->end_offset), cols, rows,
                      to_unix_ms(clock_.now()));
  }
  s.record().cols = cols;
  s.record().rows = rows;
  persist(s.record());
  return {};
}

void AgentRegistry::stop_run(Session& s, uint32_t grace_ms) {
  s.client->stop(grace_ms);
  s.machine().enter(AgentState::kStopping);
}

Status AgentRegistry::stop(const std::string& id_or_name, uint32_t grace_ms) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (s.launching) {
    s.ask(AfterRun::kStop);
    return {};
  }
  if (!s.running() || !s.client) return tl::unexpected(not_running(s));
  s.ask(AfterRun::kStop);  // its exit says it was asked for
  stop_run(s, grace_ms);
  return {};
}

Status AgentRegistry::restart(const std::string& id_or_name, bool fresh) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (s.launching || s.after() == AfterRun::kRestart) {
    return conflict("agent_starting",
                    "agent " + s.record().name + " is starting; restart it once it runs");
  }
  Json& plan = s.record().launch;
  if (fresh && plan.contains("session_id")) {
    // A new native session: the old one stays on disk, under its own id.
    plan["session_id"] = new_uuid();
    plan["session_started"] = false;
  }
  if (s.running() && s.client) {
    s.ask(AfterRun::kRestart);
    stop_run(s, 2000);
  } else {
    s.launching = true;  // as after an exit: a stop from now on waits for the run
    asio::co_spawn(context_.io, launch(s), asio::detached);
  }
  return {};
}

Status AgentRegistry::remove(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  if (s.launching) {
    s.ask(AfterRun::kRemove);
    return {};
  }
  if (s.running() && s.client) {
    s.ask(AfterRun::kRemove);
    stop_run(s, 2000);
    return {};
  }
  std::string id = s.record().id;
  std::string name = s.record().name;
  // Whatever a lost run left behind goes with the agent.
  if (s.run && s.run->pid && s.run->state == "lost") {
    host_->reap(id, *s.run->pid, s.run->socket, s.run->holder_pid.value_or(0));
  }
  auth_.remove_agent_token(s.record().token);
  if (s.client) s.client->close();
  auto write = [id, name](Store& store, EventBus& bus) -> Status {
    EventBus::Transaction tx(bus, store);
    TRY_OK(tx.begin());
    TRY_OK(store.agents().remove(id));
    TRY_OK(tx.publish("agent.removed", id, Json{{"name", name}}));
    return tx.commit();
  };
  sessions_.erase(id);
  runner_.submit(std::move(write), [&log = log_, id](const Status& st) {
    if (!st) log.error("agent.remove_failed", {{"agent", id}, {"error", st.error().message}});
  });
  return {};
}

Result<Json> AgentRegistry::screen(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  Session& s = **found;
  s.flush_screen();
  if (!s.screen) {
    return Json{{"cols", s.record().cols}, {"rows", s.record().rows},
                {"lines", Json::array()},  {"cursor", {{"row", 0}, {"col", 0}}},
                {"alt_screen", false},     {"offset", 0}};
  }
  auto cursor = s.screen->cursor();
  return Json{{"cols", s.screen->cols()},
              {"rows", s.screen->rows()},
              {"lines", s.screen->lines()},
              {"cursor", {{"row", cursor.row}, {"col", cursor.col}}},
              {"alt_screen", s.screen->alt_screen()},
              {"offset", s.run ? s.run->end_offset : 0}};
}

std::optional<std::chrono::steady_clock::time_point> AgentRegistry::last_output(
    const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found || !(*found)->running()) return std::nullopt;
  return (*found)->last_output;
}

Result<TerminalInfo> AgentRegistry::terminal(const std::string& id_or_name) {
  auto found = find_session(id_or_name);
  if (!found) return tl::unexpected(found.error());
  const Session& s = **found;
  TerminalInfo info;
  info.agent_id = s.record().id;
  info.status = status_frame(s);
  if (s.run) {
    info.log_path = s.run->log_path;
    info.end_offset = static_cast<uint64_t>(s.run->end_offset);
    info.gaps = s.run->gaps;
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
