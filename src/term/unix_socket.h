// Unix sockets: listening on and connecting to a holder's socket path.
#pragma once

#include <string>

#include "util/result.h"
#include "util/unique_fd.h"

namespace bosun::term {

// Listens on `path` (mode 0600, non-blocking, CLOEXEC). A stale socket file (nobody accepting)
// is replaced; a live one is 409 `socket_in_use`; a non-socket file at `path` is refused.
Result<UniqueFd> listen_unix(const std::string& path);

// Connects to `path` (blocking, CLOEXEC). ECONNREFUSED/ENOENT are 404 `holder_not_found`.
Result<UniqueFd> connect_unix(const std::string& path);

}  // namespace bosun::term
