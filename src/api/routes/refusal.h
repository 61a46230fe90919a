// Refusal → response: the error body with the files it concerns ({"error": {code, message,
// files, …}}), so a client can list them.
#pragma once

#include "api/http.h"
#include "api/http_status.h"
#include "crew/refusal.h"

namespace bosun {

inline Response refusal_response(const Refusal& refusal) {
  Json error{{"code", refusal.error.code}, {"message", refusal.error.message}};
  for (const auto& [key, value] : refusal.details.items()) {
    if (key != "code" && key != "message") error[key] = value;
  }
  return Response::json(Json{{"error", error}}, http_status(refusal.error.kind));
}

}  // namespace bosun
