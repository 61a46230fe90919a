// DispatchPolicy: crew membership, typing, and the role rule.
#include "crew/dispatch_policy.h"

namespace bosun {

bool is_crew_member(const AgentView& agent) {
  return agent.takes_tasks || !agent.role().empty();
}

bool may_type_into(const AgentView& agent) {
  return agent.takes_tasks;
}

bool may_take(const AgentView& agent, const Task& task) {
  if (!is_crew_member(agent)) return false;
  return task.role.empty() || agent.role().empty() || agent.role() == task.role;
}

}  // namespace bosun
