// CurrentTask: which of an agent's tasks "the current task" means when it does not name one
// (`bosun mail done`, `report submit`, the MCP tools) — one rule for the CLI and the endpoint.
#pragma once

#include <string>

#include "util/json.h"

namespace bosun {

// From the agent's tasks (the API's task objects): the one assigned or in progress; else the
// one blocked or in review; else, when `finished_too`, the one it finished last. "" when
// there is none, or more than one at the first step that has any (the agent must say which).
std::string choose_current_task(const Json& tasks, bool finished_too);

}  // namespace bosun
