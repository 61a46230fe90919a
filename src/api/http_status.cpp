// HttpStatus: kinds ↔ statuses.
#include "api/http_status.h"

#include <array>
#include <utility>

namespace bosun {

namespace {

constexpr std::array<std::pair<ErrorKind, int>, 13> kStatuses{{
    {ErrorKind::kInvalid, 400},
    {ErrorKind::kUnauthorized, 401},
    {ErrorKind::kForbidden, 403},
    {ErrorKind::kNotFound, 404},
    {ErrorKind::kMethodNotAllowed, 405},
    {ErrorKind::kConflict, 409},
    {ErrorKind::kTooLarge, 413},
    {ErrorKind::kUnsupportedMedia, 415},
    {ErrorKind::kUnprocessable, 422},
    {ErrorKind::kUpgradeRequired, 426},
    {ErrorKind::kInternal, 500},
    {ErrorKind::kUnavailable, 503},
    {ErrorKind::kNoSpace, 507},
}};

}  // namespace

int http_status(ErrorKind kind) {
  for (const auto& [k, status] : kStatuses) {
    if (k == kind) return status;
  }
  return 500;
}

ErrorKind error_kind(int http_status) {
  for (const auto& [kind, status] : kStatuses) {
    if (status == http_status) return kind;
  }
  return http_status >= 400 && http_status < 500 ? ErrorKind::kInvalid : ErrorKind::kInternal;
}

}  // namespace bosun
