// `bosun events`, `bosun journal`, `bosun supervisor`: what happened, what was noted, and how the
// supervisor is set — read (and set) from the CLI as the dashboard shows them.
#pragma once

#include "cli/command.h"

namespace bosun::cli {

extern const Command kEventsCommand;
extern const Command kJournalCommand;
extern const Command kSupervisorCommand;

}  // namespace bosun::cli
