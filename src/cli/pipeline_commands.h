// `bosun pipeline list|show|check|run|runs|approve|reject|retry|cancel`: the pipelines a project
// can run, checking a file, and runs.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kPipelineCommand;

}  // namespace bosun::cli
