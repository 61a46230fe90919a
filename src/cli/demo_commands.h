// `bosun demo`: a crew of scripted agents builds a small feature in a sample repository.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kDemoCommand;

}  // namespace bosun::cli
