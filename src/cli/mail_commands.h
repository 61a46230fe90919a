// `bosun mail …`: send, list and read messages; an agent's done / status / blocked reports.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kMailCommand;

}  // namespace bosun::cli
