// Holder: the `bosun hold` process that keeps one agent's PTY, output ring and exit status.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace bosun::term {

struct HolderOptions {
  std::string socket_path;        // absolute; created 0600, removed on exit
  std::vector<std::string> argv;  // the agent's command (argv[0] looked up in PATH)
  std::string cwd;                // the agent's working directory
  int cols = 80;
  int rows = 24;
  size_t ring_bytes = size_t{2} << 20;
  std::chrono::seconds linger{86400};  // how long an exited agent waits for kCollect
  int ready_fd = -1;                   // gets "ready <agent_pid> <holder_pid>\n" or "error <msg>\n"
  std::string log_path;                // the holder's own JSON-lines log (empty: stderr only)
  // When set, only a client whose process holds an flock on this file (the daemon's state
  // lock) is served; anyone else is told "not the daemon" and closed at once. Empty: any
  // client (a holder run by hand, the holder's own tests).
  std::string daemon_lock;
};

// Runs the holder until the agent has exited, its output was delivered and the exit status
// collected (or `linger` passed). Returns the process exit code: 0, or 1 if it could not start
// (socket in use, PTY unavailable); a program that cannot be executed is not a holder failure
// but an agent that exited with 127 and an `error`. See holder_protocol.h for the socket.
int run_holder(const HolderOptions& options);

}  // namespace bosun::term
