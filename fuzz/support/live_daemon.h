// LiveDaemon: the real daemon (`run_daemon`, as `bosun serve` runs it) on a private state
// directory in a thread of the fuzzer's process, so a target can send it bytes over loopback and
// libFuzzer sees the coverage of everything the request reached.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bosun::fuzz {

struct LiveDaemon {
  std::string address;      // "127.0.0.1:PORT"
  std::string token;        // the person's token
  std::string agent_id;     // an agent that exists but is not running ("fuzz")
  std::string agent_token;  // its own token
  // Tasks "t_fuzz" (pending) and "t_fuzz2" (assigned to the agent) exist from the start.
};

// Starts the daemon once per process (aborts when it cannot).
const LiveDaemon& live_daemon();

// `bytes` with @TOKEN@, @AGENT@, @AGENT_ID@ and @HOST@ replaced by the daemon's values, so seeds
// can hold valid credentials and a Host the daemon accepts.
std::string fill_placeholders(std::string_view bytes);

// Sends `bytes` on a new connection, half-closes it, and reads until the daemon closes it. With
// `handshake` > 0, the bytes after the first `handshake` wait for the reply's header (a
// WebSocket client sends frames only once the upgrade is answered). Aborts when the daemon
// neither answers nor closes within the time limit: a hang is a finding.
void exchange(std::string_view bytes, size_t handshake = 0);

// Whether every HTTP request in `bytes` (read as the daemon reads them) is one the harness lets
// through: any GET, and changes only to the board, mail, journal, decisions, login, supervisor
// settings, hooks and the non-running agent's input/resize/interrupt/stop. Routes that start
// processes or run git (spawn, restart, headless runs, projects, worktrees, merges) are never
// sent: fuzzed argv must not run.
bool harmless(std::string_view bytes);

}  // namespace bosun::fuzz
