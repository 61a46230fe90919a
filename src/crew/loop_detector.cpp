// LoopDetector: plain lines, counted.
#include "crew/loop_detector.h"

#include <algorithm>
#include <map>

namespace bosun {

// Output lines without escape sequences or carriage-return overdraws.
std::vector<std::string> plain_lines(std::string_view bytes) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c == '\x1b') {  // skip CSI … final, or ESC x
      if (i + 1 < bytes.size() && bytes[i + 1] == '[') {
        i += 2;
        while (i < bytes.size() && !(bytes[i] >= 0x40 && bytes[i] <= 0x7e))
          ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '\r') {
      size_t next = i + 1;
      while (next < bytes.size() && bytes[next] == '\r')
        ++next;
      if (next < bytes.size() && bytes[next] == '\n') continue;  // "\r\n", "\r\r\n": a line end
      line.clear();  // a carriage return that overdraws the line
      continue;
    }
    if (c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
      continue;
    }
    line += c;
  }
  return lines;
}

std::optional<std::string> repeated_line(std::string_view output, bool starts_mid_line) {
  auto lines = plain_lines(output);
  if (starts_mid_line && !lines.empty()) lines.erase(lines.begin());
  std::map<std::string, size_t> counts;
  size_t total = 0;
  for (auto& l : lines) {
    while (!l.empty() && l.back() == ' ')
      l.pop_back();
    if (l.empty()) continue;
    ++total;
    ++counts[l];
  }
  if (total < kLoopMinLines) return std::nullopt;
  auto top = std::max_element(counts.begin(), counts.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  if (top->second * 10 < total * 8) return std::nullopt;  // under 80%: not a loop
  return top->first;
}

}  // namespace bosun
