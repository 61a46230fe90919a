// Daemon: `bosun serve` — composes the store, the event bus, the API and the loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "util/log.h"
#include "util/state_dir.h"

namespace bosun {

struct DaemonOptions {
  StateDir state;
  std::string listen = "127.0.0.1:7777";
  size_t max_body = 1 << 20;
  size_t ws_queue_limit = 8 << 20;
  std::vector<std::string> allowed_hosts;
  // The store: empty for the state directory's SQLite file, or a postgres:// URL (docs/scale.md).
  std::string store;
  // Store work on a worker connection of its own, each round trip delayed this long: the
  // stand-in for a networked store with which tests check that the loop never waits for one
  // (BOSUN_STORE_WORKER=<ms>). None: inline on the loop's connection, unless the store is
  // PostgreSQL, whose work always runs on a worker.
  std::optional<std::chrono::milliseconds> store_worker;
  // This daemon's host among those sharing a PostgreSQL store (default: the machine's name),
  // and how long its lease on its agents lasts unrenewed before another host's reaper declares
  // it lost (docs/scale.md).
  std::string host_name;
  std::chrono::milliseconds host_lease{15'000};
  // Where other hosts' daemons reach this one (HOST:PORT); empty: the listen address.
  std::string advertise;
  size_t max_connections = 0;  // 0: three quarters of the descriptor limit  // names besides
                               // addresses and localhost (Host check)
};

// Runs the daemon until SIGINT/SIGTERM. Returns the process exit code
// (1 when it cannot start: state directory locked, address in use, …).
int run_daemon(const DaemonOptions& options, Log& log);

}  // namespace bosun
