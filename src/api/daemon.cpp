// Daemon: start-up order, the signal-driven graceful stop, and the run files.
#include "api/daemon.h"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <filesystem>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "agent/registry.h"
#include "api/auth.h"
#include "api/dispatcher.h"
#include "api/event_stream.h"
#include "api/host_relay.h"
#include "api/http_server.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "api/terminal_stream.h"
#include "crew/delivery.h"
#include "crew/dialog_answers.h"
#include "crew/headless.h"
#include "crew/host_lease.h"
#include "crew/merges.h"
#include "crew/pipeline_runs.h"
#include "crew/projects.h"
#include "crew/supervisor.h"
#include "crew/task_branches.h"
#include "crew/verifier.h"
#include "crew/worktrees.h"
#include "notify/notifier.h"
#include "store/pg_listener.h"
#include "store/schema.h"
#include "store/settings.h"
#include "store/store_runner.h"
#include "term/relay.h"
#include "util/files.h"
#include "util/ids.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// The running binary, for starting holders (`bosun hold`).
std::string self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("bosun") : p.string();
}

// The state directory made, locked and opened: what a daemon needs before its loop exists.
struct Opened {
  StateLock lock;
  std::string token;
  std::unique_ptr<Store> store;
};

// The store the daemon opens: the URL it was given, or the state directory's SQLite file.
std::string target_of(const DaemonOptions& options) {
  return options.store.empty() ? options.state.db().string() : options.store;
}

// This daemon's host: the name it was given, else the machine's.
std::string host_name_of(const DaemonOptions& options) {
  if (!options.host_name.empty()) return options.host_name;
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  return host.data();
}

// Where other hosts' daemons reach this one: --advertise, else the listen address; on an
// unspecified address (0.0.0.0, ::), the machine's name with the port.
std::string advertised_address(const DaemonOptions& options, const std::string& address) {
  if (!options.advertise.empty()) return options.advertise;
  auto hp = split_host_port(address);
  if (!hp || (hp->first != "0.0.0.0" && hp->first != "::")) return address;
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  return fmt::format("{}:{}", host.data(), hp->second);
}

std::optional<Opened> open_state(const StateDir& state, const std::string& store_target,
                                 const std::string& host, Log& log) {
  if (auto s = create_state_dirs(state); !s) {
    log.error("serve.state_dir_failed", {{"error", s.error().message}});
    return std::nullopt;
  }
  auto lock = StateLock::acquire(state);
  if (!lock) {
    log.error("serve.refused", {{"error", lock.error().message}});
    return std::nullopt;
  }
  if (auto s = log.open_file((state.logs() / "bosun.log").string()); !s) {
    log.warn("serve.log_file_failed", {{"error", s.error().message}});
  }
  auto token = load_or_create_token(state);
  if (!token) {
    log.error("serve.token_failed", {{"error", token.error().message}});
    return std::nullopt;
  }
  // Every start, before the database opens: the state is the person's alone.
  auto tightened = tighten_state_dir(state);
  if (!tightened) {
    log.error("serve.state_dir_failed", {{"error", tightened.error().message}});
    return std::nullopt;
  }
  for (const auto& change : tightened->changes)
    log.warn("serve.state_tightened", {{"change", change}, {"why", "others could read it"}});
  auto store = Store::open(store_target);
  if (!store) {
    log.error("serve.store_failed", {{"error", store.error().message}});
    return std::nullopt;
  }
  // On a shared server each host is one daemon's: a second one with the same host name is
  // refused, naming the first.
  if (auto held =
          (*store)->hold_exclusive(host, fmt::format("bosun serve on {} (pid {}, state {})", host,
                                                     ::getpid(), state.root.string()));
      !held) {
    log.error("serve.refused", {{"error", held.error().message}});
    return std::nullopt;
  }
  return Opened{std::move(*lock), std::move(*token), std::move(*store)};
}

// Every client, WebSocket and holder is a descriptor: allow as many as the hard limit.
void raise_descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
}

// The project's test command for a task's check: the task's project, else its assignee's.
std::vector<std::string> test_command_of(Store& store, const Task& task) {
  std::optional<std::string> project = task.project_id;
  if (!project && task.assignee) {
    if (auto agent = store.agents().find(*task.assignee)) project = agent->project_id;
  }
  if (project) {
    if (auto p = store.projects().find(*project); p && p->test_command) {
      return {"/bin/sh", "-c", *p->test_command};
    }
  }
  return {};
}

// Listens on `wanted`; with port 0, on the port this state directory's daemon used last when
// it is free, so that agents' BOSUN_URL and a bookmarked dashboard stay right across restarts.
Result<std::string> listen(HttpServer& server, const std::string& wanted, Store& store) {
  const std::string key = host_setting("daemon.address", store.events().host());
  auto want = split_host_port(wanted);
  if (want && want->second == 0) {
    auto last = store.settings().get(key);
    if (last && *last && (**last).is_string()) {
      std::string prior = (**last).get<std::string>();
      auto hp = split_host_port(prior);
      if (hp && hp->first == want->first && hp->second != 0) {
        if (auto again = server.listen(prior)) return again;
      }
    }
  }
  auto address = server.listen(wanted);
  if (address) (void)store.settings().set(key, *address);
  return address;
}

// The pid file, then the address file: once the address file exists, the daemon answers.
bool write_run_files(const StateDir& state, const std::string& address, Log& log) {
  for (const auto& [file, text] : {std::pair{state.pid_file(), fmt::format("{}\n", ::getpid())},
                                   std::pair{state.address_file(), address + "\n"}}) {
    if (auto s = write_file_atomic(file, text, 0600); !s) {
      log.error("serve.run_file_failed", {{"error", s.error().message}});
      return false;
    }
  }
  return true;
}

// The crew's hooks: the verifier lands checked work (a task's own branch, else the agent's)
// and runs the project's test command; the supervisor starts a task's branch before its [TASK].
void wire_crew(Store& store, Verifier& verifier, Supervisor& supervisor, Merges& merges,
               TaskBranches& branches) {
  verifier.set_land([&merges, &branches](const Task& task, const std::string& agent_id) {
    return task.branch ? branches.land(task, agent_id) : merges.land(task, agent_id);
  });
  verifier.set_test_command([&store](const Task& task) { return test_command_of(store, task); });
  supervisor.set_before_task([&branches](std::string agent_id, std::string task_id) {
    return branches.begin(std::move(task_id), std::move(agent_id));
  });
}

// What the daemon does on SIGINT/SIGTERM.
struct GracefulStop {
  asio::io_context& io;
  asio::signal_set& signals;
  Log& log;
  const StateDir& state;
  EventStream& event_stream;
  TerminalStream& terminals;
  AgentRegistry& agents;
  HttpServer& server;
  bool stopping = false;

  void arm() {
    signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (!ec) on_signal(signo);
    });
  }
  void on_signal(int signo) {
    if (stopping) {
      log.warn("serve.forced_stop", {{"signal", signo}});
      io.stop();
      return;
    }
    stopping = true;
    log.info("serve.stopping", {{"signal", signo}});
    ::unlink(state.address_file().c_str());
    event_stream.close_all();
    terminals.close_all();
    agents.detach_all();
    server.stop([this] {
      signals.cancel();
      io.stop();
    });
    arm();
  }
};

// The daemon's parts over one loop, built in the order they depend on each other and wired:
// the agents and their terminals, then the crew's engines that act on them.
struct DaemonParts {
  DaemonParts(asio::io_context& io, Store& store, Log& log, const StateDir& state,
              const std::string& token)
      : bus(store.events(), clock, log),
        runner(store, bus),
        event_stream(bus, log),
        auth(token),
        info{BOSUN_VERSION, clock.now(), static_cast<int>(::getpid()), state.root.string(), ""},
        agents(io, store, runner, clock, log, auth, state, self_executable()),
        terminals(io, agents, log),
        processes(io),
        verifier(io, store, runner, clock, log, processes),
        delivery(io, store, bus, runner, clock, log, agents),
        dialogs(io, store, bus, runner, clock, log, agents),
        supervisor(io, store, bus, runner, clock, log, agents, &delivery),
        git(io, 1),
        projects(store, runner, clock, log, git, state),
        worktrees(store, runner, clock, log, processes, git, state),
        merges(store, runner, clock, log, git, worktrees, projects),
        branches(store, runner, clock, log, git, projects),
        headless(io, store, runner, clock, log, agents, state),
        pipelines(io, store, bus, runner, clock, log, git, processes, projects, branches, headless,
                  state, self_executable()),
        notifier(io, store, bus, runner, clock, log, agents),
        relay(io, log),
        services{store,        bus,      runner,    clock,     log,        auth,     info,
                 event_stream, agents,   terminals, verifier,  supervisor, projects, worktrees,
                 merges,       headless, branches,  pipelines, notifier,   relay} {
    worktrees.set_agents(&agents);
    merges.set_agents(&agents);
    branches.set_agents(&agents);
    wire_crew(store, verifier, supervisor, merges, branches);
    pipelines.set_agents(&agents);
    headless.close_abandoned();
    // Before the agents re-attach: it takes what happened while no daemon ran, then follows.
    if (auto st = notifier.start(); !st) {
      log.error("notify.start_failed", {{"error", st.error().message}});
    }
  }

  SystemClock clock;
  EventBus bus;
  StoreRunner runner;
  EventStream event_stream;
  Auth auth;
  DaemonInfo info;
  AgentRegistry agents;
  TerminalStream terminals;
  ProcessRunner processes;  // git and test commands run off the loop (the verifier)
  Verifier verifier;
  DeliveryEngine delivery;
  DialogAnswers dialogs;  // the profiles' auto_answer dialogs
  Supervisor supervisor;
  ProcessRunner git;  // one thread for git on the repositories: their operations never overlap
  Projects projects;
  Worktrees worktrees;
  Merges merges;
  TaskBranches branches;
  HeadlessRunner headless;
  PipelineRuns pipelines;
  Notifier notifier;
  HostRelay relay;
  Services services;
};

}  // namespace

int run_daemon(const DaemonOptions& options, Log& log) {
  const StateDir& state = options.state;
  const std::string store_target = target_of(options);
  // On a store several daemons share, each is a host: its events, agents and notifications
  // carry its name.
  const bool shared = Database::is_postgres(store_target);
  const std::string host = shared ? host_name_of(options) : std::string();
  auto opened = open_state(state, store_target, host, log);
  if (!opened) return 1;
  auto& store = opened->store;
  if (shared) store->set_host(host);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);  // a file size limit fails the write (a recorded gap), no more
  raise_descriptor_limit();
  asio::io_context io(1);
  // Handlers first: a SIGTERM that arrives once the address file exists must stop the daemon
  // cleanly, not kill it (asio keeps a signal that comes before the wait starts).
  asio::signal_set signals(io, SIGINT, SIGTERM);
  DaemonParts d(io, *store, log, state, opened->token);
  // PostgreSQL's round trips cross a socket: its work never runs on the loop.
  auto store_worker = options.store_worker;
  if (!store_worker && Database::is_postgres(store_target)) store_worker.emplace(0);
  if (store_worker) {
    auto worker = StoreWorker::open(store_target, d.clock, *store_worker, host);
    auto used =
        worker ? d.runner.use(std::move(*worker), io) : Status(tl::unexpected(worker.error()));
    if (!used) {
      log.error("serve.store_worker_failed", {{"error", used.error().message}});
      return 1;
    }
    log.info("serve.store_worker", {{"round_trip_ms", store_worker->count()}});
  }
  Dispatcher dispatcher(d.services, Router(route_table()));

  HttpServer server(io, dispatcher, log,
                    HttpServer::Options{.max_body = options.max_body,
                                        .ws_queue_limit = options.ws_queue_limit,
                                        .max_connections = options.max_connections});
  auto address = listen(server, options.listen, *store);
  if (!address) {
    log.error("serve.listen_failed", {{"error", address.error().message}});
    return 1;
  }
  d.info.address = *address;
  d.agents.set_daemon_url("http://" + *address);
  d.notifier.set_dashboard("http://" + *address + "/");
  const std::string advertised = shared ? advertised_address(options, *address) : std::string();
  std::vector<std::string> allowed_hosts = options.allowed_hosts;
  // Other hosts' daemons send the advertised name as Host.
  if (auto hp = split_host_port(advertised)) {
    boost::system::error_code not_ip;
    (void)asio::ip::make_address(hp->first, not_ip);
    if (not_ip) allowed_hosts.push_back(hp->first);
  }
  d.auth.set_allowed_hosts(std::move(allowed_hosts));
  if (auto hp = split_host_port(*address)) d.auth.set_listen_address(hp->first, hp->second);

  // Sandboxes without a network reach the API through this socket (agent/sandbox.h).
  boost::system::error_code bad_address;
  auto hp = split_host_port(*address);
  auto ip = hp ? asio::ip::make_address(hp->first, bad_address) : asio::ip::address();
  if (hp && !bad_address) {
    auto relay = state.run() / "relay";
    std::error_code ec;
    std::filesystem::create_directories(relay, ec);
    std::filesystem::permissions(relay, std::filesystem::perms::owner_all, ec);
    if (auto st = term::start_unix_to_tcp_relay(
            io, (relay / "api.sock").string(),
            asio::ip::tcp::endpoint(ip, static_cast<uint16_t>(hp->second)));
        !st) {
      log.warn("serve.relay_failed", {{"error", st.error().message}});
    }
  }
  // A host joins the crew before its agents re-attach: its lease is what keeps them its own.
  std::unique_ptr<HostLease> lease;
  std::unique_ptr<PgListener> listener;
  if (shared) {
    HostRecord self;
    self.name = host;
    self.address = advertised;
    self.pid = ::getpid();
    self.state_dir = state.root.string();
    self.version = BOSUN_VERSION;
    self.schema_version = schema_migrations().back().version;
    auto joined = join_host(*store, d.bus, self, options.host_lease.count());
    if (!joined) {
      log.error("serve.join_failed", {{"host", host}, {"error", joined.error().message}});
      return 1;
    }
    log.info("serve.joined", {{"host", host}, {"epoch", joined->epoch}});
    // Requests for another host's agents go to its daemon with the crew's credential.
    auto secret = store->settings().keep_first("cluster.secret", random_hex(32));
    if (!secret || !secret->is_string() || secret->get<std::string>().size() < 32) {
      log.error("serve.join_failed", {{"host", host},
                                      {"error", secret ? "setting cluster.secret is not a secret"
                                                       : secret.error().message}});
      return 1;
    }
    d.auth.set_cluster(secret->get<std::string>(), host);
    d.relay.set_cluster(host, secret->get<std::string>());
    lease = std::make_unique<HostLease>(io, d.runner, d.clock, log, *joined, options.host_lease,
                                        [&agents = d.agents] { agents.host_returned(); });
    lease->start();
    // Other hosts' events: woken by their commits, and every second whatever happens.
    listener = std::make_unique<PgListener>(
        io, store_target, std::chrono::seconds(1), [&runner = d.runner] { runner.poll(); }, log);
    listener->start();
  }
  if (!write_run_files(state, *address, log)) return 1;
  // Agents started by an earlier daemon are still running: reconnect before serving.
  // Then the crew's engines, which act on the agents.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await d.agents.reattach_all();
        d.delivery.start();
        d.supervisor.start();
        d.dialogs.start();
      },
      asio::detached);
  d.verifier.resume_unchecked();  // checks a stopped daemon left unfinished
  d.pipelines.resume();           // runs a stopped daemon left under way
  (void)d.bus.publish(
      "daemon.started", "",
      Json{{"pid", d.info.pid}, {"address", *address}, {"version", d.info.version}});
  log.info("serve.listening",
           {{"address", *address}, {"state", state.root.string()}, {"pid", d.info.pid}});

  // SIGINT/SIGTERM: stop accepting, close the hubs, let the agents be, then stop the loop; a
  // second signal stops it at once.
  GracefulStop stop{io, signals, log, state, d.event_stream, d.terminals, d.agents, server};
  stop.arm();

  io.run();

  (void)d.bus.publish("daemon.stopped", "", Json{{"pid", d.info.pid}});
  ::unlink(state.address_file().c_str());
  ::unlink(state.pid_file().c_str());
  log.info("serve.stopped", {{"pid", d.info.pid}});
  return 0;
}

}  // namespace bosun
