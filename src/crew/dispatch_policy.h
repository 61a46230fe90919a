// DispatchPolicy: who may take a task. The supervisor's dispatch asks only this, so a rule
// about who works on what (roles today; pipelines and crew membership later) lives here.
#pragma once

#include "agent/agent_view.h"
#include "store/tasks.h"

namespace bosun {

// Whether `agent` may be handed `task`: a task without a role goes to anyone, an agent
// without a role takes any task, otherwise the roles must match.
bool may_take(const AgentView& agent, const Task& task);

}  // namespace bosun
