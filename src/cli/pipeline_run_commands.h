// `bosun pipeline run|runs|approve|reject|retry|cancel` and `show RUN`: pipeline runs from the
// command line, through the daemon.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "util/json.h"

namespace bosun::cli {

void setup_pipeline_run(CLI::App& app, CommandContext& ctx);
void setup_pipeline_runs(CLI::App& app, CommandContext& ctx);
void setup_pipeline_approve(CLI::App& app, CommandContext& ctx);
void setup_pipeline_reject(CLI::App& app, CommandContext& ctx);
void setup_pipeline_retry(CLI::App& app, CommandContext& ctx);
void setup_pipeline_cancel(CLI::App& app, CommandContext& ctx);
void setup_pipeline_trace(CLI::App& app, CommandContext& ctx);

// A run as `bosun pipeline show RUN` prints it: its state, each step with its attempts and
// gates (with their evidence), usage.
void print_run(const Json& run);

}  // namespace bosun::cli
