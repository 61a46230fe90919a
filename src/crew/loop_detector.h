// LoopDetector: whether an agent's latest output is one line printed again and again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bosun {

// How much of a working agent's latest output the loop detector reads.
inline constexpr size_t kLoopWindow = size_t{16} * 1024;
inline constexpr size_t kLoopMinLines = 20;

// Output lines without escape sequences or carriage-return overdraws.
std::vector<std::string> plain_lines(std::string_view bytes);

// The line that makes up 80 % or more of the (at least kLoopMinLines) non-blank lines of
// `output`, trailing spaces ignored; nullopt when there is none. `starts_mid_line`: the first
// line is cut and does not count.
std::optional<std::string> repeated_line(std::string_view output, bool starts_mid_line);

}  // namespace bosun
