// ContextGauge: how full an agent's context window is, from its strongest signal — Claude
// Code's transcript usage (sent with its hooks), a headless stream's usage, or the CLI's own
// "N% context left" on screen (Gemini CLI, Codex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.h"

namespace bosun {

struct ContextGauge {
  int percent = 0;                // of the window in use, 0-100
  std::optional<int64_t> tokens;  // in the window, when the signal counts them
  std::optional<int64_t> window;  // the window's size, when known
  std::string source;             // "hook", "stream", "screen"
  int64_t at_ms = 0;
};

Json to_json(const ContextGauge& gauge);

// A gauge from a token count and the window (the percent rounded down, at most 100).
ContextGauge gauge_of_tokens(int64_t tokens, int64_t window, std::string source, int64_t at_ms);

// The tokens Claude Code's next request carries, from the tail of its transcript (JSONL): the
// last assistant message's usage, input plus cache read plus cache creation. Nullopt when the
// tail holds none.
std::optional<int64_t> transcript_context_tokens(std::string_view tail);

// The percent in use from a CLI's own words on screen: the last of `rows` holding `marker`
// ("% context left", "% left") preceded by a number, read as what is left.
std::optional<int> screen_context_used(const std::vector<std::string>& rows,
                                       std::string_view marker);

}  // namespace bosun
