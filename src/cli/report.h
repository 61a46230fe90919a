// Report: how a command ends when something failed — an exit code by the failure's class, and
// the words on stderr ("bosun: …"), or under --json the daemon's own {"error":{code,message}}
// shape on stdout, so a script reads every outcome the same way.
#pragma once

#include "util/result.h"

namespace bosun::cli {

// The exit codes, one per class of failure (documented in docs/api.md, "Exit codes").
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the daemon or the machine failed, or a checked outcome was a failure
  kExitUsage = 2,        // the command line is wrong, or a value was refused as invalid
  kExitNotFound = 3,     // no such agent, task, project, file…
  kExitConflict = 4,     // the thing's state forbids it now (try again later, or change it)
  kExitRefused = 5,      // not allowed: a wrong or missing token, another agent's task
  kExitUnreachable = 6,  // no daemon runs for this state directory, or it does not answer
};

// The exit code for an error of this kind.
int exit_code_for(ErrorKind kind);

// Whether failures are reported as JSON on stdout (a command given --json) rather than words.
void set_json_errors(bool json);
bool json_errors();

// Reports `error` (stderr, or JSON on stdout under --json) and returns its exit code.
int report_error(const Error& error);

}  // namespace bosun::cli
