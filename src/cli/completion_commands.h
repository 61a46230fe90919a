// `bosun completion bash|zsh|fish` and `bosun man`: shell completions and the manual page, both
// generated from the command table itself, so they never fall behind a new command or flag.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kCompletionCommand;
extern const Command kManCommand;

}  // namespace bosun::cli
