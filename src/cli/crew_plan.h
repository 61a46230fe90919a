// CrewPlan: what `bosun up` does to make the running crew the team file's crew — worked out from
// what the file asks, what the daemon runs, and what the last `up` applied, before anything is
// done (so `up --dry-run` prints exactly what `up` would do).
#pragma once

#include <string>
#include <vector>

#include "util/json.h"

namespace bosun::cli {

enum class CrewAction {
  kStart,    // not there: created
  kKeep,     // running as the file says: left alone
  kRestart,  // there, as the file says, but not running: started again
  kReplace,  // its settings in the file changed: removed and created again with the new ones
  kLeave,    // an earlier `up` started it and the file no longer lists it: left (no --prune)
  kStop,     // as kLeave, with --prune: stopped
};

const char* crew_action_name(CrewAction action);

struct CrewStep {
  std::string name;
  CrewAction action = CrewAction::kStart;
  std::string state;                 // the agent's state now; empty when there is none
  std::vector<std::string> changes;  // kReplace: "role: backend → frontend", "env: KEY"
  Json spec;                         // kStart, kReplace: what the agent is created with
};

// `wanted`: each agent of the file as POST /api/v1/agents takes it (in file order), without
// `project`; `agents`: GET /api/v1/agents's list; `applied`: name → the spec the last `up` gave
// it. Steps come in file order, then the agents the file dropped.
std::vector<CrewStep> plan_crew(const std::vector<Json>& wanted, const Json& agents,
                                const Json& applied, bool prune);

// The settings that differ between two specs, as "key: old → new" (env by key name only: its
// values may be secrets).
std::vector<std::string> spec_changes(const Json& before, const Json& after);

}  // namespace bosun::cli
