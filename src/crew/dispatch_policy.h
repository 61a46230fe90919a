// DispatchPolicy: who may take a task, and who may have text typed into its terminal. The
// supervisor's dispatch and the delivery engine ask only this, so a rule about who works on
// what (roles today; pipelines later) lives here.
#pragma once

#include "agent/agent_view.h"
#include "store/tasks.h"

namespace bosun {

// A member of the crew: an agent whose profile declares an agent CLI (`takes_tasks`), or any
// agent a person gave a role. A plain shell with no role is nobody's worker.
bool is_crew_member(const AgentView& agent);

// Whether bosun may type [TASK]/[MAIL]/[HEARTBEAT]/[RESET] lines into the agent's terminal:
// only into an agent CLI, whose composer takes prose. Into anything else (a shell, where a
// line is a command) nothing is ever typed; its mail and tasks wait in its inbox.
bool may_type_into(const AgentView& agent);

// Whether `agent` may be handed `task`: a crew member, and a task without a role goes to
// anyone, an agent without a role takes any task, otherwise the roles must match. A pipeline
// step's task goes only to an agent of its role in its project.
bool may_take(const AgentView& agent, const Task& task);

}  // namespace bosun
