// Hook events: one table from Claude Code's hook names to bosun's states.
#include "agent/hook_events.h"

#include <string>

#include "util/text.h"

namespace bosun {

namespace {

std::string field(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

constexpr size_t kMaxDetailBytes = 200;

}  // namespace

std::optional<Signal> claude_hook_signal(const Json& hook) {
  if (!hook.is_object()) return std::nullopt;
  std::string event = field(hook, "hook_event_name");
  Signal s;
  s.source = SignalSource::kHook;
  s.confidence = 1.0;
  s.evidence = "claude.hook." + event;
  std::string tool = field(hook, "tool_name");
  if (event == "UserPromptSubmit" || event == "PreToolUse" || event == "PostToolUse" ||
      event == "PostToolUseFailure" || event == "SubagentStart" || event == "PreCompact") {
    s.state = AgentState::kWorking;
    s.detail = tool.empty() ? event : event + " " + tool;
    return s;
  }
  if (event == "PermissionRequest") {
    s.state = AgentState::kWaitingInput;
    s.detail = "permission for " + (tool.empty() ? std::string("a tool") : tool);
    return s;
  }
  if (event == "Notification") {
    std::string type = field(hook, "notification_type");
    s.detail = shorten(field(hook, "message"), kMaxDetailBytes);
    if (type == "permission_prompt" || type == "elicitation_dialog" ||
        type == "elicitation_url_dialog" || type == "agent_needs_input") {
      s.state = AgentState::kWaitingInput;
      return s;
    }
    if (type == "idle_prompt") {
      s.state = AgentState::kIdle;
      return s;
    }
    return std::nullopt;
  }
  if (event == "Stop") {
    // Waiting for background work is not idle.
    if (hook.contains("background_tasks") && hook["background_tasks"].is_array() &&
        !hook["background_tasks"].empty()) {
      s.state = AgentState::kWorking;
      s.detail = "waiting for background tasks";
      return s;
    }
    s.state = AgentState::kIdle;
    s.detail = "turn finished";
    return s;
  }
  if (event == "StopFailure") {
    std::string error = field(hook, "error");
    s.state = error == "rate_limit" ? AgentState::kRateLimited : AgentState::kErrored;
    s.detail = shorten(error + (field(hook, "last_assistant_message").empty()
                                    ? ""
                                    : ": " + field(hook, "last_assistant_message")),
                       kMaxDetailBytes);
    if (s.state == AgentState::kRateLimited) s.reset_text = field(hook, "error_details");
    return s;
  }
  return std::nullopt;
}

}  // namespace bosun
