// Text: cuts on a UTF-8 boundary, joins and lists.
#include "util/text.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace bosun {

namespace {

bool continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string shorten(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Back up to the first byte of a UTF-8 sequence.
  while (cut > 0 && continuation(text[cut]))
    --cut;
  return std::string(text.substr(0, cut)) + "…";
}

std::string tail(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t start = text.size() - max_bytes;
  while (start < text.size() && continuation(text[start]))
    ++start;
  return "…" + std::string(text.substr(start));
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string list_text(const std::vector<std::string>& items, size_t max) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i)
    out += (i ? ", " : "") + items[i];
  if (items.size() > max) out += fmt::format(" and {} more", items.size() - max);
  return out;
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string first_line(std::string_view text, size_t max_bytes) {
  std::string line(text.substr(0, text.find_first_of("\r\n")));
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  constexpr size_t kEllipsis = 3;  // "…"
  if (line.size() <= max_bytes || max_bytes < kEllipsis) return line.substr(0, max_bytes);
  return shorten(line, max_bytes - kEllipsis);
}

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: three rows of the table are enough.
  std::vector<size_t> before(b.size() + 1), last(b.size() + 1), row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    last[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({last[j] + 1, row[j - 1] + 1, last[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(last);
    last.swap(row);
  }
  return last[b.size()];
}

std::vector<std::string> nearest_words(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  std::vector<std::pair<size_t, std::string>> near;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    bool prefix = !word.empty() && c.size() > word.size() && c.compare(0, word.size(), word) == 0;
    size_t most = word.size() <= 4 ? 1 : 2;  // two changes to a short word make another word
    if (d <= most || prefix) near.emplace_back(prefix ? 1 : d, c);
  }
  std::stable_sort(near.begin(), near.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  out.reserve(near.size());
  for (auto& [d, c] : near)
    out.push_back(std::move(c));
  return out;
}

}  // namespace bosun
