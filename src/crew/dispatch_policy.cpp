// DispatchPolicy: crew membership, typing, the role rule and pipeline steps.
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
  // A pipeline step is worked in the run's project, on a branch its run merges: only an agent
  // of the step's role in that project.
  if (task.is_step()) {
    return agent.role() == task.role && agent.record.project_id &&
           agent.record.project_id == task.project_id;
  }
  return task.role.empty() || agent.role().empty() || agent.role() == task.role;
}

}  // namespace bosun
