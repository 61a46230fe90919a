// `bosun project|worktree|role|decision …`, and the agent verbs that bring work back
// (`bosun agent diff|merge|rebase`).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace bosun::cli {

extern const Command kProjectCommand;
extern const Command kWorktreeCommand;
extern const Command kRoleCommand;
extern const Command kDecisionCommand;

void setup_agent_diff(CLI::App& app, CommandContext& ctx);
void setup_agent_merge(CLI::App& app, CommandContext& ctx);
void setup_agent_rebase(CLI::App& app, CommandContext& ctx);

}  // namespace bosun::cli
