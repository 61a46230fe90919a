// DispatchPolicy: the role rule.
#include "crew/dispatch_policy.h"

namespace bosun {

bool may_take(const AgentView& agent, const Task& task) {
  return task.role.empty() || agent.role().empty() || agent.role() == task.role;
}

}  // namespace bosun
