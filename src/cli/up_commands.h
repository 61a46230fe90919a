// `bosun up [bosun.yaml]` and `bosun down`: the crew of a team file.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kUpCommand;
extern const Command kDownCommand;

}  // namespace bosun::cli
