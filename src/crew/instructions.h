// Instructions: what an agent is told about itself — its role's body, where it works, the
// project's decisions for its role, and the bosun protocol (acknowledge, report, read mail).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/role.h"
#include "store/projects.h"

namespace bosun {

struct InstructionsInput {
  std::string agent;
  std::string role_name;
  const Role* role = nullptr;
  const Project* project = nullptr;
  const Worktree* worktree = nullptr;
  std::vector<Decision> decisions;
};

std::string agent_instructions(const InstructionsInput& in);

// "- [gotcha] text" lines, for the instructions and for `bosun task show`.
std::string decisions_text(const std::vector<Decision>& decisions);

}  // namespace bosun
