// Hook events: Claude Code's hook JSON (what `bosun hook claude` forwards) read as a status
// signal with source `hook` — the structured feed of an interactive session.
#pragma once

#include <optional>

#include "agent/status.h"
#include "util/json.h"

namespace bosun {

// UserPromptSubmit, PreToolUse, PostToolUse(Failure), SubagentStart, PreCompact → working;
// PermissionRequest, Notification permission_prompt / elicitation_dialog / agent_needs_input →
// waiting_input; Stop (no background tasks) and Notification idle_prompt → idle; StopFailure
// rate_limit → rate_limited, other errors → errored. Other events (SessionStart, SessionEnd,
// …) say nothing about the state: nullopt. Evidence is "claude.hook.<Event>".
std::optional<Signal> claude_hook_signal(const Json& hook);

}  // namespace bosun
