// `bosun detect`: classify a saved screen, raw terminal stream or headless event stream.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "util/json.h"

namespace bosun::cli {

extern const Command kDetectCommand;

// `bosun agent explain A`: the state the daemon recorded for a live agent and why, next to what
// its profile's screen rules read on its screen now (a verb of the `agent` family).
void setup_agent_explain(CLI::App& app, CommandContext& ctx);

// Prints a detection ({state, source, confidence, evidence, …}, as `bosun detect --json`
// gives it) as aligned "key  value" lines.
void print_detection(const Json& detection);

}  // namespace bosun::cli
