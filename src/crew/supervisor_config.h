// SupervisorConfig: what the supervisor's timing and limits are, and the settings keys that
// keep them (the crew's, each agent's own overrides, providers' usage limits).
#pragma once

#include <cstdint>

#include "util/clock.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct SupervisorConfig {
  Millis heartbeat{0};              // 0: no heartbeats
  Millis heartbeat_answer{60'000};  // how long an agent has to answer one
  int64_t reset_after_tasks = 0;    // 0: never by count
  Millis reset_after{0};            // 0: never by age
  Millis stuck_after{20 * 60'000};  // working with no output this long is stuck; 0: off
  Millis restart_backoff{1000};     // first restart delay of a permanent agent; doubles
  int64_t restart_limit = 5;        // restarts within restart_window before giving up
  Millis restart_window{10 * 60'000};
  Millis delivery_timeout{3000};  // for a typed message to start a turn
  int64_t delivery_attempts = 3;  // typing attempts before a message fails
  // A provider (a profile: claude, codex…) that hit a usage limit gets no new task until the
  // limit's reset time, or for this long when the CLI did not say.
  Millis rate_limit_wait{15 * 60'000};
  int64_t error_limit = 3;  // API errors of one agent within restart_window: agent.failing
  // The recovery ladder of a stuck agent's task (no output, or a loop): nudge at once, then
  // interrupt, restart fresh with a handoff, and take the task back, each recover_step after
  // the last; 0: report only. A task taken back recover_reassigns times is blocked instead.
  Millis recover_step{2 * 60'000};
  int64_t recover_reassigns = 2;
  // An idle agent whose context window is this full (percent) is reset — cleared and handed
  // off — before the CLI compacts it on its own; 0: never by context.
  int64_t reset_at_context = 0;
};

// Where a provider's usage limit is kept (survives a daemon restart): this prefix plus the
// provider, the value {until_ms, agent, text, reset_known}.
inline constexpr const char* kProviderLimitPrefix = "provider_limit/";

// Where an agent's own settings (its role's heartbeat/reset/stuck overrides) are kept: the
// settings key is this prefix plus the agent's name, the value an object of supervisor keys.
inline constexpr const char* kAgentConfigPrefix = "agent_config/";

// The team file's `supervisor:` keys (durations as "10m", "3h"…); unknown keys are refused.
Result<SupervisorConfig> supervisor_config_from_json(const Json& json);
Json to_json(const SupervisorConfig& config);

}  // namespace bosun
