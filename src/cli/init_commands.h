// `bosun init`: a starter team file for the repository it is run in, from what it finds there
// (roles) and on this machine (agent CLIs installed, and whether they can log in).
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kInitCommand;

}  // namespace bosun::cli
