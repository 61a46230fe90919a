// AgentView: the one answer to "why isn't this agent running".
#include "agent/agent_view.h"

#include <fmt/format.h>

namespace bosun {

std::string why_not_running(const AgentView& a) {
  if (!a.run) return "has no run";
  const RunRecord& run = *a.run;
  if (a.state == AgentState::kStopping) return "is stopping";
  if (run.state == "exited") {
    if (run.exit_code) return fmt::format("has exited (code {})", *run.exit_code);
    if (run.signal) return fmt::format("has exited (signal {})", *run.signal);
    return "has exited";
  }
  if (run.state == "lost") {
    return run.lost_reason && !run.lost_reason->empty() ? "was lost: " + *run.lost_reason
                                                        : "was lost";
  }
  if (run.state == "starting" || run.state == "running") {
    if (a.state == AgentState::kExited || a.state == AgentState::kLost) {
      return fmt::format("is {}", to_string(a.state));
    }
    return {};
  }
  return fmt::format("is {}", to_string(a.state));
}

}  // namespace bosun
