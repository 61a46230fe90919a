// AgentRegistry: every agent the daemon knows and the life of its runs — spawn, launch through
// a HolderHost, exit, loss, reattach after a daemon restart, stop, restart and remove.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/agent_view.h"
#include "agent/holder_host.h"
#include "agent/launch_files.h"
#include "agent/session.h"
#include "agent/status.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"
#include "util/state_dir.h"

namespace bosun {

// Where agent tokens are registered so each agent speaks as itself (implemented by api/Auth).
class AgentTokenSink {
 public:
  virtual ~AgentTokenSink() = default;
  virtual void add_agent_token(const std::string& token, const std::string& agent_id) = 0;
  virtual void remove_agent_token(const std::string& token) = 0;
};

struct SpawnRequest {
  std::string name;
  std::string role;
  std::string profile = "shell";
  std::vector<std::string> argv;  // empty: the profile's command (docs/agents.md)
  std::vector<std::string> args;  // added to the profile's command
  std::string cwd;
  std::map<std::string, std::string> env;
  int cols = 120;
  int rows = 40;
  bool permanent = false;
  std::optional<std::string> project_id;
  SandboxPolicy sandbox;           // what the agent's program may see and reach (agent/sandbox.h)
  std::string permission;          // ask (also ""), edits or unattended (agent/permission.h)
  std::string model;               // the role's model, for a profile whose CLI takes one
  std::vector<std::string> tools;  // the role's tools, likewise
};

// What the terminal hub needs to replay a run's output.
struct TerminalInfo {
  std::string agent_id;
  std::string log_path;
  uint64_t end_offset = 0;
  Json gaps = Json::array();
  Json status;  // the status frame
};

// 1-32 characters of [a-z0-9_-], starting with a letter (names are also folder names).
bool valid_agent_name(const std::string& name);

inline constexpr int kMaxCols = 1000;
inline constexpr int kMaxRows = 500;

// What a program run on an agent's behalf (a headless step) inherits from it.
struct AgentContext {
  std::string id;
  std::string name;
  std::string profile;
  std::string cwd;
  std::map<std::string, std::string> env;  // the agent's own variables and BOSUN_*
};

class AgentRegistry {
 public:
  AgentRegistry(boost::asio::io_context& io, Store& store, StoreRunner& runner, const Clock& clock,
                Log& log, AgentTokenSink& tokens, StateDir state, std::string bosun_exe,
                std::unique_ptr<HolderHost> host = nullptr);
  ~AgentRegistry();
  AgentRegistry(const AgentRegistry&) = delete;
  AgentRegistry& operator=(const AgentRegistry&) = delete;

  // The daemon's address for BOSUN_URL inside agents.
  void set_daemon_url(std::string url) { files_.set_daemon_url(std::move(url)); }
  void set_observer(TerminalObserver* observer) { context_.observer = observer; }

  // Writes the agent and run records, then starts a holder; resolves once the
  // holder has answered (the agent may already have exited, e.g. 127).
  boost::asio::awaitable<Result<AgentView>> spawn(SpawnRequest request);
  // Reconnects to the holders of every open run after a daemon start; runs whose
  // holder is gone are marked lost with the reason.
  boost::asio::awaitable<void> reattach_all();
  // This host was declared lost by another's reaper while its daemon ran on (a long pause, the
  // database out of reach) and has joined again: the rows of its running agents, which say
  // lost, are written as they are, each with an agent.state.
  void host_returned();

  // One agent by id or name (404 `agent_not_found`), every agent in creation order.
  Result<AgentView> view(const std::string& id_or_name) const;
  std::vector<AgentView> views() const;
  // An agent another host's daemon runs, on a store several daemons share, as its row says
  // (404 `agent_not_found` when there is none, or it is this host's).
  Result<AgentRecord> elsewhere(const std::string& id_or_name) const;
  // Every agent the other hosts' daemons run (none on a store one daemon owns).
  Result<std::vector<AgentRecord>> all_elsewhere() const;
  int64_t count() const { return static_cast<int64_t>(sessions_.size()); }

  Status input(const std::string& id_or_name, std::string_view bytes, bool submit);
  Status interrupt(const std::string& id_or_name);
  Status resize(const std::string& id_or_name, int cols, int rows);
  // SIGHUP + SIGTERM to the agent's whole tree, SIGKILL after `grace_ms`.
  Status stop(const std::string& id_or_name, uint32_t grace_ms);
  // Stops (if running) and starts a new run with the same command. An agent whose command
  // comes from a profile that can resume sessions continues its native session, unless
  // `fresh`, which starts a new one.
  Status restart(const std::string& id_or_name, bool fresh = false);
  // The CLI reported its native session (a hook's session_id); `started`: it has taken a
  // prompt, so there is a conversation to resume.
  Status note_session(const std::string& id_or_name, const std::string& session_id, bool started);
  // The agent's current run holds `tokens` in its context window (from a hook's transcript
  // usage or a headless stream); the gauge counts them against the window the CLI said, else
  // the profile's. Nullopt (nothing noted) when they overflow the profile's window: the model's
  // is larger, and only the CLI knows it. 400 `no_context_window` for a profile without one.
  Result<std::optional<ContextGauge>> note_context_tokens(const std::string& id_or_name,
                                                          int64_t tokens,
                                                          const std::string& source);
  // A reading the CLI made itself (its status line's percent).
  Status note_context(const std::string& id_or_name, const ContextGauge& gauge);
  // Stops (if running) and forgets the agent; its logs stay on disk.
  Status remove(const std::string& id_or_name);

  // A signal from outside the terminal (a hook, a protocol event, the agent's own report),
  // weighed against the current state by the agent's arbiter. Returns whether the recorded
  // state changed; 409 `agent_not_running` when no run is up.
  Result<bool> offer_signal(const std::string& id_or_name, Signal signal);

  Result<Json> screen(const std::string& id_or_name);
  // When the current run last printed (steady clock), for the supervisor's stuck watch.
  std::optional<std::chrono::steady_clock::time_point> last_output(const std::string& id_or_name);
  Result<TerminalInfo> terminal(const std::string& id_or_name);

  Result<AgentContext> context(const std::string& id_or_name);

  // The profile `name` as agents of this daemon get it (the project's .bosun/profiles first).
  Result<Profile> profile(const std::string& name) const;

  // Where an agent's instructions (its role and the bosun protocol) are written; inside the
  // agent, BOSUN_INSTRUCTIONS names this file when it exists.
  std::filesystem::path instructions_file(const std::string& agent_name) const {
    return files_.instructions_file(agent_name);
  }

  // The profile's mcp args for the agent (LaunchFiles::mcp_args): a headless run gets them too.
  Result<std::vector<std::string>> mcp_args(const std::string& agent_name,
                                            const Profile& profile) const {
    return files_.mcp_args(agent_name, profile);
  }
  // The variable the profile hands its MCP config in (LaunchFiles::mcp_env).
  Result<std::map<std::string, std::string>> mcp_env(const std::string& agent_name,
                                                     const Profile& profile) const {
    return files_.mcp_env(agent_name, profile);
  }

  // Drops every holder connection; the agents keep running (daemon shutdown).
  void detach_all();

 private:
  Result<Session*> find_session(const std::string& id_or_name) const;
  // Refused: the agent's program does not run (409 `agent_not_running` saying why).
  Error not_running(const Session& session) const;
  // Input that holds the profile's submit key started a turn: the status knows (submit grace).
  void note_submit(Session& session, std::string_view bytes);
  boost::asio::awaitable<Status> launch(Session& session);
  boost::asio::awaitable<Status> launch_run(Session& session);
  // What an ended launch or run leaves to do (AfterRun).
  void after_launch(Session& session);
  void connect_handlers(Session& session);
  void on_exited(Session& session, const Json& holder_status);
  void on_disconnect(Session& session, const std::string& reason);
  void mark_lost(Session& session, const std::string& reason);
  // Asks the holder to stop the program; the state is stopping until it exits.
  void stop_run(Session& session, uint32_t grace_ms);
  Json status_frame(const Session& session) const;
  // Writes the run's record as it is now, through the runner (in the order asked).
  void persist_run(Session& session);
  // Writes the agent's record as it is now, through the runner.
  void persist(const AgentRecord& record);

  Store& store_;  // read on the loop; every write goes through runner_
  StoreRunner& runner_;
  const Clock& clock_;
  Log& log_;
  AgentTokenSink& auth_;
  StateDir state_;
  std::unique_ptr<HolderHost> host_;
  LaunchFiles files_;
  SessionContext context_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;  // by agent id
  Lifetime lifetime_;  // checked by callbacks that may outlive the registry
};

}  // namespace bosun
