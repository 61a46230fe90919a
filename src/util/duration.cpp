// Duration parsing and formatting.
#include "util/duration.h"

#include <charconv>

#include <fmt/format.h>

namespace bosun {

Result<Millis> parse_duration(std::string_view text) {
  auto bad = [&] {
    return bad_request("invalid_duration",
                       fmt::format("'{}' is not a duration like 500ms, 30s, 10m, 3h or 1d", text));
  };
  if (text == "0") return Millis(0);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value < 0) return bad();
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else
    return bad();
  if (value > INT64_MAX / scale / 1000) return bad();  // keep room for arithmetic on it
  return Millis(value * scale);
}

std::string format_duration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0";
  for (auto [scale, unit] : {std::pair<int64_t, const char*>{86'400'000, "d"},
                             {3'600'000, "h"},
                             {60'000, "m"},
                             {1000, "s"}}) {
    if (ms % scale == 0) return fmt::format("{}{}", ms / scale, unit);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace bosun
