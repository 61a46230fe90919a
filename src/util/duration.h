// Durations as people write them in team files: "500ms", "30s", "10m", "3h", "1d", or "0".
#pragma once

#include <string>
#include <string_view>

#include "util/clock.h"
#include "util/result.h"

namespace bosun {

// Accepts a number with one unit (ms, s, m, h, d) or a bare 0; fails with a message that
// quotes the text.
Result<Millis> parse_duration(std::string_view text);

// The shortest exact spelling: 600000 ms → "10m", 1500 ms → "1500ms".
std::string format_duration(Millis d);

}  // namespace bosun
