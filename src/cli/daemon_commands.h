// Command rows for the daemon itself: version, serve, status.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kVersionCommand;
extern const Command kServeCommand;
extern const Command kStatusCommand;

}  // namespace bosun::cli
