// `bosun pipeline list|show|check`: the pipelines a project can run, and checking a file.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kPipelineCommand;

}  // namespace bosun::cli
