// HolderHost: where an agent's `bosun hold` runs — starting one, connecting to it, and where
// its socket and logs live. LocalHolderHost is this machine, today's only kind; a sandboxed
// launch or another machine is another implementation, not an edit of the registry.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/sandbox.h"
#include "term/holder_client.h"
#include "util/log.h"
#include "util/result.h"
#include "util/state_dir.h"

namespace bosun {

// One run's holder, as the registry asks for it.
struct HolderSpec {
  std::string agent_id;
  std::string agent_name;
  int64_t generation = 0;
  std::vector<std::string> argv;
  std::string cwd;
  int cols = 120;
  int rows = 40;
  std::map<std::string, std::string> env;  // the agent's own; the host adds its base environment
  SandboxPolicy sandbox;                   // none: the program runs as it is
  SandboxLayout layout;                    // what the sandbox shows it
};

// A holder that answered "ready".
struct HolderStarted {
  int64_t pid = 0;
  int64_t holder_pid = 0;
};

class HolderHost {
 public:
  virtual ~HolderHost() = default;

  // Whether `cwd` can be an agent's folder here: 400 `invalid_cwd` otherwise.
  virtual Status check_cwd(const std::string& cwd) const = 0;
  // Whether `program` (argv[0]) can be run here from `cwd` with the agent's own `env` on top of
  // the host's: 404 `program_not_found` saying where it was looked for otherwise, so a spawn
  // fails with the reason instead of starting a run that exits 127.
  virtual Status check_program(const std::string& program, const std::string& cwd,
                               const std::map<std::string, std::string>& env) const = 0;
  // Whether runs can be sandboxed this way here: 400 `sandbox_unavailable` saying what is
  // missing otherwise.
  virtual Status check_sandbox(const SandboxPolicy& policy) const = 0;
  // Where a run's holder socket and its output log live.
  virtual std::string socket_path(const std::string& agent_id, int64_t generation) const = 0;
  virtual std::string log_path(const std::string& agent_name, int64_t generation) const = 0;

  // Starts a holder at `socket` and waits for its first word. Errors: 500 `holder_unavailable`
  // when no holder could be started; 500 `holder_failed` with the holder's own message when
  // it started but could not start the agent (its program's exit is then the run's end).
  virtual boost::asio::awaitable<Result<HolderStarted>> launch(const HolderSpec& spec,
                                                               const std::string& socket) = 0;
  // A connection to the holder at `socket`, not yet connected.
  virtual std::shared_ptr<term::HolderClient> client(const std::string& socket,
                                                     const std::string& agent_id) = 0;
  // What a run left running once its holder is gone (killed, crashed): the processes of the
  // agent's session — and only those that carry the agent's BOSUN_AGENT_ID, so a recycled pid
  // is never someone else's — are killed. Returns how many.
  // Nothing is done while the run's holder (`holder_pid`, serving `socket`) still runs.
  virtual int reap(const std::string& agent_id, int64_t agent_pid, const std::string& socket,
                   int64_t holder_pid) = 0;
};

// This machine: `bosun hold` double-forked from the daemon's own binary, its environment the
// daemon's (less BOSUN_* and the CI markers CI, CI_*, CONTINUOUS_INTEGRATION and GITHUB_ACTIONS:
// an agent is at a terminal) with TERM=xterm-256color and the agent's own on top, its socket in
// `<state>/run/`, its logs in `<state>/logs/`. A sandboxed run's program is started by the
// holder through bubblewrap (`bwrap` on PATH): the holder and the PTY stay outside.
class LocalHolderHost final : public HolderHost {
 public:
  LocalHolderHost(boost::asio::io_context& io, Log& log, StateDir state, std::string bosun_exe)
      : io_(io), log_(log), state_(std::move(state)), bosun_exe_(std::move(bosun_exe)) {}

  Status check_cwd(const std::string& cwd) const override;
  Status check_program(const std::string& program, const std::string& cwd,
                       const std::map<std::string, std::string>& env) const override;
  Status check_sandbox(const SandboxPolicy& policy) const override;
  std::string socket_path(const std::string& agent_id, int64_t generation) const override;
  std::string log_path(const std::string& agent_name, int64_t generation) const override;
  boost::asio::awaitable<Result<HolderStarted>> launch(const HolderSpec& spec,
                                                       const std::string& socket) override;
  std::shared_ptr<term::HolderClient> client(const std::string& socket,
                                             const std::string& agent_id) override;
  int reap(const std::string& agent_id, int64_t agent_pid, const std::string& socket,
           int64_t holder_pid) override;

 private:
  std::vector<std::string> environment(const HolderSpec& spec) const;

  boost::asio::io_context& io_;
  Log& log_;
  StateDir state_;
  std::string bosun_exe_;
};

}  // namespace bosun
