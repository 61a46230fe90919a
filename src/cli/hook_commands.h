// `bosun hook claude`: the command Claude Code's hooks run; forwards the hook JSON to the daemon.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kHookCommand;

}  // namespace bosun::cli
