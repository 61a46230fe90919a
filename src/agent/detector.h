// Detector: reads an agent's state off its screen with the profile's rules, looking only at
// the live region (the composer, the rows just above it, its footer) — never the transcript.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/profile.h"
#include "agent/status.h"
#include "term/screen.h"

namespace bosun {

// A screen as rows of text, with the cursor when known.
struct ScreenView {
  std::vector<std::string> lines;
  std::optional<term::CursorPos> cursor;
};

ScreenView view_of(const term::Screen& screen);
// A saved screen (tmux capture-pane, a test fixture): one row per line, trailing blanks trimmed.
ScreenView view_of_text(std::string_view text);
// True when `bytes` look like a raw terminal stream (escape sequences, carriage returns)
// rather than rendered rows.
bool looks_like_raw_stream(std::string_view bytes);
// Plays a raw terminal stream into a cols×rows screen and returns what it shows.
ScreenView view_of_stream(std::string_view bytes, int cols, int rows);

// Where the live region of a screen is (row indexes; -1 when absent).
struct LiveRegion {
  int composer = -1;    // the composer row
  int box_top = -1;     // the top row of the composer's box (the composer row without a box)
  int last = -1;        // the last non-blank row
  int above_from = -1;  // rows [above_from, box_top) are the rows above the composer
  int just_above = -1;  // the nearest of those that is neither blank nor a border
  int tail_from = -1;   // rows [tail_from, last] are the tail
};

LiveRegion find_live_region(const ScreenSpec& spec, const ScreenView& view);

// One reading of a screen: the first rule that matched, if any.
struct ScreenReading {
  std::optional<Signal> signal;
  const ScreenRule* rule = nullptr;  // points into the profile
  LiveRegion region;
};

// Tries the profile's rules in order on the live region; `now_ms` stamps the signal and
// resolves a relative reset time ("try again in 2 hours").
ScreenReading read_screen(const Profile& profile, const ScreenView& view, int64_t now_ms);

// "4 days 20 hours 9 minutes", "5m 30s", "12.5 seconds" → milliseconds; nullopt when the text
// is not only a duration (e.g. "11pm (Europe/Paris)").
std::optional<int64_t> parse_duration_words(std::string_view text);

}  // namespace bosun
