// Refusal: a refused request with the files it is about — 409 for conflicts and unsaved work,
// 422 for a change outside the role's domains. The route turns it into {"error": {…, "files":
// […]}} (api/routes/refusal.h).
#pragma once

#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct Refusal {
  Error error;
  Json details = Json::object();
};

template <typename T>
using Outcome = tl::expected<T, Refusal>;

inline Refusal refuse(Error error, Json details = Json::object()) {
  return Refusal{std::move(error), std::move(details)};
}

inline Refusal refuse(ErrorKind kind, std::string code, std::string message) {
  return Refusal{Error{kind, std::move(code), std::move(message)}, Json::object()};
}

inline tl::unexpected<Refusal> refused(const Error& e) {
  return tl::unexpected(Refusal{e, Json::object()});
}

}  // namespace bosun
