// CurrentTask: status groups tried in order, then the latest done.
#include "crew/current_task.h"

#include <algorithm>
#include <vector>

namespace bosun {

namespace {

std::string field(const Json& task, const char* key) {
  auto it = task.find(key);
  return it != task.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string choose_current_task(const Json& tasks, bool finished_too) {
  if (!tasks.is_array()) return {};
  // Assigned or in progress first; else the one it reported blocked (for `mail blocked`) or
  // done (`mail done` after `report submit`, the order the instructions give).
  for (const auto& wanted : {std::vector<std::string>{"assigned", "in_progress"},
                             std::vector<std::string>{"blocked", "review"}}) {
    std::vector<std::string> found;
    for (const auto& t : tasks) {
      if (std::find(wanted.begin(), wanted.end(), field(t, "status")) != wanted.end()) {
        found.push_back(field(t, "id"));
      }
    }
    if (found.size() == 1) return found.front();
    if (found.size() > 1) return {};  // more than one: the agent has to say which
  }
  // Else, when asked, the one it finished last: `mail done` follows `report submit`, whose check
  // may already have moved the task to done.
  if (!finished_too) return {};
  std::string latest;
  std::string latest_at;
  for (const auto& t : tasks) {
    if (field(t, "status") != "done") continue;
    std::string at = field(t, "updated_at");
    if (latest.empty() || at > latest_at) {
      latest = field(t, "id");
      latest_at = at;
    }
  }
  return latest;
}

}  // namespace bosun
