// `bosun task …` (the task board) and `bosun report submit` (an agent's report on its task).
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kTaskCommand;
extern const Command kReportCommand;

}  // namespace bosun::cli
