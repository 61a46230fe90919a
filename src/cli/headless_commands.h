// `bosun run` (one headless task step for an agent) and `bosun usage` (what runs cost).
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kRunCommand;
extern const Command kUsageCommand;

}  // namespace bosun::cli
