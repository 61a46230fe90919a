// Launch: start a daemon in the background for a state directory, if none answers there.
#pragma once

#include <string>

#include "cli/client.h"
#include "util/state_dir.h"

namespace bosun::cli {

// The bosun binary itself (/proc/self/exe).
std::string bosun_executable();

// Returns the daemon answering on `state`, starting `bosun serve --listen LISTEN` detached from
// this process (its own session; output to <state>/logs/serve.out) when none does. Waits (at most
// 15 s) until it answers /healthz.
Result<Endpoint> ensure_daemon(const StateDir& state, const std::string& listen,
                               bool* started = nullptr);

}  // namespace bosun::cli
