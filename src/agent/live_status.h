// LiveStatus: the state of one running agent, from its process, its output and its screen read
// with the profile's rules, kept by a StatusArbiter so that stronger signals (hooks, protocol
// events, reports) hold against them.
#pragma once

#include <cstdint>
#include <optional>

#include "agent/detector.h"
#include "agent/profile.h"
#include "agent/status.h"

namespace bosun {

class LiveStatus {
 public:
  explicit LiveStatus(Profile profile) : profile_(std::move(profile)) {}

  const Profile& profile() const { return profile_; }
  // How long output must be quiet before the screen may say idle.
  Millis quiet() const { return profile_.screen.quiet; }

  // Each call returns the new current signal when the state or its source changed (the caller
  // records and publishes it), nullopt when nothing a person would see changed; fresher
  // evidence for the same state is kept silently.

  // The program started: starting, from the process.
  std::optional<Signal> started(int64_t now_ms);
  // The program printed: a starting or idle agent is working (source output). Other states
  // wait for the screen: a dialog redrawing itself is still a dialog.
  std::optional<Signal> output(int64_t now_ms);
  // A look at the screen soon after output: a dialog, a limit, an error or a busy marker
  // applies at once; idle waits for quiet. When the screen no longer shows what put the agent
  // in its state, it is working (it printed since).
  std::optional<Signal> check(const ScreenView& view, int64_t now_ms);
  // Output has been quiet for quiet(): whatever the screen says applies, idle included (and,
  // once stale, against a hook's state it contradicts: StatusArbiter); with no rule
  // matching, a `quiet_idle` profile is idle from quiescence.
  std::optional<Signal> settle(const ScreenView& view, int64_t now_ms);
  // The program ended: exited, from the process.
  std::optional<Signal> exited(int64_t now_ms);
  // Any other signal (a hook, a protocol event, the agent's own report).
  std::optional<Signal> offer(const Signal& signal, int64_t now_ms);
  // The profile's submit key reached the program: for its input.submit_grace_ms, settle()
  // does not believe an idle screen (the CLI has not drawn the turn it started yet).
  void submitted(int64_t now_ms) { submitted_ms_ = now_ms; }
  // When settle() believes an idle screen again, while it does not.
  std::optional<int64_t> idle_held_until_ms(int64_t now_ms) const;

  const StatusArbiter& arbiter() const { return arbiter_; }

 private:
  std::optional<Signal> apply(const Signal& signal, int64_t now_ms, bool settled = false);

  Profile profile_;
  StatusArbiter arbiter_;
  std::optional<int64_t> submitted_ms_;
};

}  // namespace bosun
