// `bosun sandboxed`: the internal command a sandbox without a network starts its agent with.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kSandboxedCommand;

}  // namespace bosun::cli
