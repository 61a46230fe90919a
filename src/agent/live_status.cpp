// LiveStatus: when each kind of reading may change a live agent's state.
#include "agent/live_status.h"

namespace bosun {

namespace {

Signal make(AgentState state, SignalSource source, double confidence, std::string evidence,
            int64_t now_ms) {
  Signal s;
  s.state = state;
  s.source = source;
  s.confidence = confidence;
  s.evidence = std::move(evidence);
  s.at_ms = now_ms;
  return s;
}

}  // namespace

std::optional<Signal> LiveStatus::apply(const Signal& signal, int64_t now_ms, bool settled) {
  std::optional<Signal> before = arbiter_.current();
  if (!arbiter_.offer(signal, now_ms, settled)) return std::nullopt;
  const Signal& now = *arbiter_.current();
  if (before && before->state == now.state && before->source == now.source) return std::nullopt;
  return now;
}

std::optional<Signal> LiveStatus::started(int64_t now_ms) {
  return apply(make(AgentState::kStarting, SignalSource::kProcess, 1.0, "started", now_ms), now_ms);
}

std::optional<Signal> LiveStatus::output(int64_t now_ms) {
  const auto& cur = arbiter_.current();
  if (cur && cur->state != AgentState::kStarting && cur->state != AgentState::kIdle) {
    return std::nullopt;
  }
  return apply(make(AgentState::kWorking, SignalSource::kOutput, 0.6, "output", now_ms), now_ms);
}

std::optional<Signal> LiveStatus::check(const ScreenView& view, int64_t now_ms) {
  ScreenReading reading = read_screen(profile_, view, now_ms);
  if (reading.signal && reading.signal->state != AgentState::kIdle) {
    return apply(*reading.signal, now_ms);
  }
  // Idle is debounced (settle() decides it), but what put the agent in its state may be gone.
  const auto& cur = arbiter_.current();
  if (cur && cur->source == SignalSource::kScreen && cur->state != AgentState::kWorking &&
      cur->state != AgentState::kIdle) {
    // The dialog, limit or error is gone and the program printed: it works again.
    Signal s = make(AgentState::kWorking, SignalSource::kOutput, 0.5, "output", now_ms);
    s.detail = "after " + cur->evidence + " left the screen";
    return apply(s, now_ms);
  }
  return std::nullopt;
}

std::optional<int64_t> LiveStatus::idle_held_until_ms(int64_t now_ms) const {
  if (!submitted_ms_) return std::nullopt;
  int64_t until = *submitted_ms_ + profile_.input.submit_grace_ms;
  return until > now_ms ? std::optional(until) : std::nullopt;
}

std::optional<Signal> LiveStatus::settle(const ScreenView& view, int64_t now_ms) {
  ScreenReading reading = read_screen(profile_, view, now_ms);
  if (reading.signal && reading.signal->state == AgentState::kIdle && idle_held_until_ms(now_ms)) {
    return std::nullopt;
  }
  if (reading.signal) return apply(*reading.signal, now_ms, true);
  if (profile_.screen.quiet_idle) {
    const auto& cur = arbiter_.current();
    if (cur && cur->state != AgentState::kWorking && cur->state != AgentState::kStarting) {
      return std::nullopt;  // quiet alone does not undo a dialog or an error
    }
    Signal s =
        make(AgentState::kIdle, SignalSource::kQuiescence, 0.5, profile_.name + ".quiet", now_ms);
    s.detail = "no output for " + std::to_string(quiet().count()) + " ms";
    return apply(s, now_ms);
  }
  return std::nullopt;
}

std::optional<Signal> LiveStatus::exited(int64_t now_ms) {
  return apply(make(AgentState::kExited, SignalSource::kProcess, 1.0, "exited", now_ms), now_ms);
}

std::optional<Signal> LiveStatus::offer(const Signal& signal, int64_t now_ms) {
  return apply(signal, now_ms);
}

}  // namespace bosun
