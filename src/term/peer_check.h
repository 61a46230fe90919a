// PeerCheck: who is on the other end of a holder's socket. Only the daemon of the holder's
// state directory may drive it: the process that holds that directory's lock (flock on
// run/lock), which no other process can hold while the daemon runs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace bosun::term {

// The pid of the process connected on unix socket `fd` (SO_PEERCRED), if known.
std::optional<pid_t> peer_pid(int fd);

// Whether process `pid` holds an flock on the file at `path`, per /proc/locks.
bool holds_flock(pid_t pid, const std::string& path);

}  // namespace bosun::term
