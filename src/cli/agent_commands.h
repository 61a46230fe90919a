// `bosun agent …`: spawn, inspect, drive and attach to agents.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kAgentCommand;

}  // namespace bosun::cli
