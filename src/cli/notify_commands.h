// `bosun notify show|set|list|test`: where notifications go, what was sent, and a sample.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kNotifyCommand;

}  // namespace bosun::cli
