// Activity: whether a running agent is working or idle, from its output and its screen.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/clock.h"

namespace bosun::term {
class Screen;
}

namespace bosun {

// The rule a profile gives for "idle" until stronger signals exist for it (hooks, JSON
// streams): output has been quiet for `quiet`, and, for prompt-style programs, the row the
// cursor is on starts with `prompt` (after leading blanks).
struct IdleRule {
  Millis quiet{500};
  std::string prompt;  // empty: quiet output alone means idle
};

IdleRule idle_rule(const std::string& profile);

// The states of an agent whose program runs: running (just started), working, idle.
inline bool is_live(std::string_view state) {
  return state == "running" || state == "idle" || state == "working";
}

// When output has been quiet: the source that says the agent is idle ("screen" when the prompt
// matched, "quiescence" when quiet alone decides), or nullopt while it still looks busy.
std::optional<std::string> idle_source(const IdleRule& rule, const term::Screen& screen);

}  // namespace bosun
