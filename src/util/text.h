// Text: the string helpers every folder shares — cuts on a UTF-8 boundary, joins and lists.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bosun {

// `text` when it has at most `max_bytes` bytes; else its first bytes up to a UTF-8 sequence
// boundary at or before `max_bytes`, followed by "…".
std::string shorten(std::string_view text, size_t max_bytes);

// The first line of `text`, control characters as spaces, at most `max_bytes` bytes in all
// (cut on a UTF-8 boundary and ended with "…" when longer): a subject made from a summary.
std::string first_line(std::string_view text, size_t max_bytes);

// `text` when it has at most `max_bytes` bytes; else "…" and its last bytes from the first
// UTF-8 sequence boundary within the last `max_bytes`.
std::string tail(std::string_view text, size_t max_bytes);

// The items with `sep` between them.
std::string join(const std::vector<std::string>& items, std::string_view sep);

// "a, b, c" for at most `max` items, then " and N more".
std::string list_text(const std::vector<std::string>& items, size_t max = 5);

// "1 file", "3 files".
std::string plural(size_t n, std::string_view one, std::string_view many);

// One URL path segment or query value: every byte but [A-Za-z0-9-_.~] as %XX.
std::string percent_encode(std::string_view text);

// The edit distance between two words (insertions, deletions, substitutions and swaps of two
// neighbouring letters each count one).
size_t edit_distance(std::string_view a, std::string_view b);

// The candidates nearest to `word` (edit distance at most 2 — 1 for a word of up to 4
// letters — or `word` a prefix of them), the nearest first; empty when none is near.
std::vector<std::string> nearest_words(std::string_view word,
                                       const std::vector<std::string>& candidates);

}  // namespace bosun
