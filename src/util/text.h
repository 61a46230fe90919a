// Text: shortening strings for display without splitting a UTF-8 sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bosun {

// `text` when it has at most `max_bytes` bytes; else its first bytes up to a UTF-8 sequence
// boundary at or before `max_bytes`, followed by "…".
std::string shorten(std::string_view text, size_t max_bytes);

}  // namespace bosun
