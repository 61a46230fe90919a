// Holder launch: starts a detached `bosun hold` process for the daemon.
#pragma once

#include <string>
#include <vector>

#include "term/holder.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace bosun::term {

struct LaunchedHolder {
  // Read end (CLOEXEC, blocking) of the ready pipe. The holder writes one line and closes it:
  // "ready <agent_pid> <holder_pid>\n" or "error <message>\n" (also when `bosun_exe` cannot
  // be executed: "error exec bosun failed, errno N"). EOF without a line means the holder died
  // before it was ready (a crash, or flags that `bosun hold` rejected).
  UniqueFd ready_fd;
};

// Starts `bosun_exe hold --socket … --cwd … --cols … --rows … --ring … --linger … --ready-fd 3
// [--log …] -- argv…` with exactly `env` as its environment (the agent inherits it; nothing of it
// appears on a command line). Double fork: an intermediate child calls setsid(), forks the holder
// and exits, and is reaped here by its pid, so the holder is not our child and survives us. The
// holder's stdin/stdout/stderr are /dev/null, its cwd is "/" and it inherits no other fd.
// `bosun_exe`, `options.socket_path` and `options.cwd` must be absolute paths.
// `options.ready_fd` is ignored. Fails (without a holder) on bad options or if fork fails.
Result<LaunchedHolder> launch_holder(const std::string& bosun_exe, const HolderOptions& options,
                                     const std::vector<std::string>& env);

// The command line launch_holder() runs (argv[0] = bosun_exe); exposed for tests and logs.
std::vector<std::string> holder_command_line(const std::string& bosun_exe,
                                             const HolderOptions& options, int ready_fd);

}  // namespace bosun::term
