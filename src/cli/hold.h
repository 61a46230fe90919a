// `bosun hold`: the internal command that runs one agent's PTY holder.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kHoldCommand;

}  // namespace bosun::cli
