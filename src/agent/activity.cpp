// Activity: idle rules per profile; the screen test looks only at the cursor's row.
#include "agent/activity.h"

#include "term/screen.h"

namespace bosun {

IdleRule idle_rule(const std::string& profile) {
  if (profile == "sim") return IdleRule{Millis(250), "\xe2\x80\xba"};  // "›", the sim's prompt
  return IdleRule{};
}

std::optional<std::string> idle_source(const IdleRule& rule, const term::Screen& screen) {
  if (rule.prompt.empty()) return std::string("quiescence");
  auto lines = screen.lines();
  auto row = static_cast<size_t>(screen.cursor().row);
  if (row >= lines.size()) return std::nullopt;
  std::string_view line = lines[row];
  while (!line.empty() && line.front() == ' ')
    line.remove_prefix(1);
  if (line.rfind(rule.prompt, 0) == 0) return std::string("screen");
  return std::nullopt;
}

}  // namespace bosun
