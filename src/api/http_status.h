// HttpStatus: the one table between an error's kind and the HTTP status a client sees (the
// dispatcher answers with it; the CLI, an HTTP client, reads replies back through it).
#pragma once

#include "util/result.h"

namespace bosun {

int http_status(ErrorKind kind);
// The kind a reply's status stands for; any other 4xx is kInvalid, any other status kInternal.
ErrorKind error_kind(int http_status);

}  // namespace bosun
