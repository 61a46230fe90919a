// Status: names of states and sources, their JSON, and the arbiter between signals.
#include "agent/status.h"

#include <array>
#include <cmath>
#include <utility>

namespace bosun {

namespace {

constexpr std::array<std::pair<AgentState, std::string_view>, 10> kStates{{
    {AgentState::kStarting, "starting"},
    {AgentState::kRunning, "running"},
    {AgentState::kWorking, "working"},
    {AgentState::kIdle, "idle"},
    {AgentState::kWaitingInput, "waiting_input"},
    {AgentState::kRateLimited, "rate_limited"},
    {AgentState::kErrored, "errored"},
    {AgentState::kStopping, "stopping"},
    {AgentState::kExited, "exited"},
    {AgentState::kLost, "lost"},
}};

constexpr std::array<std::pair<SignalSource, std::string_view>, 7> kSources{{
    {SignalSource::kProcess, "process"},
    {SignalSource::kOutput, "output"},
    {SignalSource::kQuiescence, "quiescence"},
    {SignalSource::kScreen, "screen"},
    {SignalSource::kReport, "report"},
    {SignalSource::kHook, "hook"},
    {SignalSource::kProtocol, "protocol"},
}};

// How long an agent's own word holds against the screen: long enough that a redraw does not
// undo it, short enough that a forgotten status does not lie for long.
constexpr int64_t kReportHoldMs = 30'000;

}  // namespace

std::string_view to_string(AgentState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "unknown";
}

bool detected_state(AgentState state) {
  switch (state) {
    case AgentState::kWorking:
    case AgentState::kIdle:
    case AgentState::kWaitingInput:
    case AgentState::kRateLimited:
    case AgentState::kErrored:
      return true;
    case AgentState::kStarting:
    case AgentState::kRunning:
    case AgentState::kStopping:
    case AgentState::kExited:
    case AgentState::kLost:
      return false;
  }
  return false;
}

std::optional<AgentState> parse_agent_state(std::string_view text) {
  for (const auto& [s, name] : kStates) {
    if (name == text) return s;
  }
  return std::nullopt;
}

std::string_view to_string(SignalSource source) {
  for (const auto& [s, name] : kSources) {
    if (s == source) return name;
  }
  return "unknown";
}

std::optional<SignalSource> parse_signal_source(std::string_view text) {
  for (const auto& [s, name] : kSources) {
    if (name == text) return s;
  }
  return std::nullopt;
}

int strength(SignalSource source) {
  switch (source) {
    case SignalSource::kProcess:
      return 0;
    case SignalSource::kOutput:
      return 1;
    case SignalSource::kQuiescence:
      return 2;
    case SignalSource::kScreen:
      return 3;
    case SignalSource::kReport:
      return 4;
    case SignalSource::kHook:
      return 5;
    case SignalSource::kProtocol:
      return 6;
  }
  return 0;
}

Json to_json(const Signal& s) {
  Json j{{"state", to_string(s.state)},
         {"source", to_string(s.source)},
         {"confidence", std::round(s.confidence * 100.0) / 100.0},
         {"evidence", s.evidence}};
  if (!s.detail.empty()) j["detail"] = s.detail;
  if (s.row >= 0) j["row"] = s.row;
  if (!s.dialog.empty()) j["dialog"] = s.dialog;
  if (s.reset_at_ms) j["reset_at_ms"] = *s.reset_at_ms;
  if (!s.reset_text.empty()) j["reset_text"] = s.reset_text;
  return j;
}

std::optional<int64_t> StatusArbiter::hold_ms(SignalSource source) {
  switch (source) {
    case SignalSource::kProcess:
    case SignalSource::kOutput:
    case SignalSource::kQuiescence:
    case SignalSource::kScreen:
      return 0;
    case SignalSource::kReport:
      return kReportHoldMs;
    case SignalSource::kHook:
    case SignalSource::kProtocol:
      return std::nullopt;
  }
  return 0;
}

std::optional<int64_t> StatusArbiter::held_until_ms() const {
  if (!current_ || hold_ms(current_->source)) return std::nullopt;
  if (current_->state == AgentState::kExited) return std::nullopt;
  return current_->at_ms + kStaleHoldMs;
}

bool StatusArbiter::offer(const Signal& signal, int64_t now_ms, bool settled) {
  // The process is the last word on whether there is anything to watch.
  bool from_process =
      signal.source == SignalSource::kProcess &&
      (signal.state == AgentState::kExited || signal.state == AgentState::kStarting);
  bool accept = true;
  if (current_ && !from_process) {
    // Nothing but a new start follows an exit; a weaker source wins only once the current
    // state's hold has passed.
    auto hold = hold_ms(current_->source);
    bool stale = settled && !hold && signal.state != current_->state &&
                 now_ms - current_->at_ms >= kStaleHoldMs;
    accept = current_->state != AgentState::kExited &&
             (strength(signal.source) >= strength(current_->source) ||
              (hold && now_ms - current_->at_ms >= *hold) || stale);
  }
  if (!accept) return false;
  bool same_state = current_ && current_->state == signal.state;
  current_ = signal;
  if (current_->at_ms == 0) current_->at_ms = now_ms;
  if (!same_state) since_ms_ = now_ms;
  return true;
}

}  // namespace bosun
