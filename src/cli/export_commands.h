// Bringing data in and taking it away: `bosun task export|import` (the board as beads' JSONL
// issues) and `bosun agent export` (a run as text, an asciicast recording or JSON lines).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace bosun::cli {

void setup_task_export(CLI::App& app, CommandContext& ctx);
void setup_task_import(CLI::App& app, CommandContext& ctx);
void setup_agent_export(CLI::App& app, CommandContext& ctx);

}  // namespace bosun::cli
