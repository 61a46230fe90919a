// Status: what an agent is doing, which signal says so, and how sure it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/json.h"

namespace bosun {

// An agent's state (docs/agents.md). Detectors report working … errored; the process decides
// starting, running, stopping, exited and lost. The allowed moves are in agent/agent_state.h.
enum class AgentState {
  kStarting,  // a run's records are written and its holder is starting
  kRunning,   // the program started; nothing has been read of it yet
  kWorking,
  kIdle,
  kWaitingInput,  // a permission dialog, a question, or a first-run dialog
  kRateLimited,   // a usage limit; reset_at says until when, when the CLI says
  kErrored,
  kStopping,  // asked to stop; the process has not ended yet
  kExited,
  kLost,  // the holder went away without telling how the program ended
};

// Where a state comes from, weakest first. A stronger source holds its state against weaker
// ones (see StatusArbiter).
enum class SignalSource {
  kProcess,     // the holder: started, exited, lost
  kOutput,      // the program printed something
  kQuiescence,  // the program has been quiet for the profile's interval
  kScreen,      // a screen rule of the profile matched the live region
  kReport,      // the agent said so itself (bosun mail status, …)
  kHook,        // a hook of the CLI (Claude Code hooks)
  kProtocol,    // a structured event stream (stream-json, exec --json, app-server)
};

std::string_view to_string(AgentState state);
// Whether a detector (a screen rule, a hook, a stream) may report `state`: working, idle,
// waiting_input, rate_limited or errored. The rest belong to the process.
bool detected_state(AgentState state);
std::optional<AgentState> parse_agent_state(std::string_view text);
std::string_view to_string(SignalSource source);
std::optional<SignalSource> parse_signal_source(std::string_view text);
// 0 for process … 6 for protocol.
int strength(SignalSource source);

// One reading of an agent's state, with its evidence.
struct Signal {
  AgentState state = AgentState::kStarting;
  SignalSource source = SignalSource::kProcess;
  double confidence = 1.0;             // 0..1
  std::string evidence;                // the rule's name or the event, e.g. "claude.permission"
  std::string detail;                  // what was seen (a screen row, an error message), shortened
  int row = -1;                        // the screen row that matched, when a screen rule decided
  std::string dialog;                  // the profile's first-run dialog this is, if any
  std::optional<int64_t> reset_at_ms;  // rate_limited: when the limit lifts (Unix ms)
  std::string reset_text;              // rate_limited: the CLI's own words for it
  int64_t at_ms = 0;                   // when the signal was taken (Unix ms)
};

// {state, source, confidence, evidence, detail?, row?, dialog?, reset_at?, reset_text?, since?}
Json to_json(const Signal& signal);

// Keeps the current state of one agent and decides whether a new signal replaces it:
// - process signals for exited/starting always win (the process is the last word on life);
// - otherwise a signal from a source at least as strong as the current one's wins;
// - a weaker signal wins only once the current one's hold has passed (`hold_ms` per source:
//   hooks and protocol events hold until a newer signal of their strength, a report holds
//   for a short while, screen and output readings not at all).
class StatusArbiter {
 public:
  static constexpr int64_t kStaleHoldMs = 5000;
  // Offers a signal taken at `now_ms`; true when it became the current state (a change of
  // state or source, or fresher evidence for the same state). `settled`: a screen reading
  // after the profile's quiet interval. It replaces a hook or protocol state it contradicts
  // once that state is kStaleHoldMs old: a CLI does not report everything (Claude Code fires
  // no hook when a person interrupts it), and a quiet screen that disagrees is then right.
  bool offer(const Signal& signal, int64_t now_ms, bool settled = false);
  // When a settled screen reading could next replace the current state; nullopt when it
  // already can, or never will (the current state does not hold against the screen).
  std::optional<int64_t> held_until_ms() const;
  const std::optional<Signal>& current() const { return current_; }
  // When the current state began (Unix ms): unchanged by fresher evidence for the same state.
  int64_t since_ms() const { return since_ms_; }
  // How long a state from `source` holds against weaker sources; nullopt: until replaced.
  static std::optional<int64_t> hold_ms(SignalSource source);

 private:
  std::optional<Signal> current_;
  int64_t since_ms_ = 0;
};

}  // namespace bosun
