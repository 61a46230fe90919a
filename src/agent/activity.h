// Activity: which recorded agent states mean that the agent's program runs.
#pragma once

#include <string_view>

namespace bosun {

// The states of an agent whose program runs: running (just started), working, idle, and what
// its profile's detector may read besides (agent/status.h, agent/live_status.h).
inline bool is_live(std::string_view state) {
  return state == "running" || state == "idle" || state == "working" || state == "waiting_input" ||
         state == "rate_limited" || state == "errored";
}

}  // namespace bosun
