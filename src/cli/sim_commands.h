// `bosun sim-agent`.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kSimAgentCommand;

}  // namespace bosun::cli
