// Command rows for the daemon itself: version, serve, status, hosts.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kVersionCommand;
extern const Command kServeCommand;
extern const Command kStatusCommand;
extern const Command kHostsCommand;

}  // namespace bosun::cli
