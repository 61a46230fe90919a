// Result<T>: how every expected failure travels (see STYLE.md, "Errors").
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace bosun {

// What kind of failure it is, in the domain's words; api/ maps each kind to an HTTP status once
// (api/http_status.h), and no layer below it speaks HTTP.
enum class ErrorKind {
  kInvalid,           // the request is malformed or a value is wrong (400)
  kUnauthorized,      // no or a wrong token (401)
  kForbidden,         // the caller may not do this (403)
  kNotFound,          // no such thing (404)
  kMethodNotAllowed,  // (405)
  kConflict,          // the thing's state forbids it now (409)
  kTooLarge,          // over a size limit (413)
  kUnsupportedMedia,  // a body of the wrong Content-Type (415)
  kUnprocessable,     // well-formed, but it cannot be done as asked (422)
  kUpgradeRequired,   // a WebSocket route asked for without an upgrade (426)
  kInternal,          // the machine failed rather than the request (500)
  kUnavailable,       // not ready or shutting down (503)
  kNoSpace,           // the disk is full (507)
};

// An expected failure: its kind, a stable machine code (`task_not_found`) and one line for a
// person.
struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string code, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(code), std::move(message)});
}
inline tl::unexpected<Error> bad_request(std::string code, std::string message) {
  return fail(ErrorKind::kInvalid, std::move(code), std::move(message));
}
inline tl::unexpected<Error> not_found(std::string code, std::string message) {
  return fail(ErrorKind::kNotFound, std::move(code), std::move(message));
}
inline tl::unexpected<Error> conflict(std::string code, std::string message) {
  return fail(ErrorKind::kConflict, std::move(code), std::move(message));
}
inline tl::unexpected<Error> unprocessable(std::string code, std::string message) {
  return fail(ErrorKind::kUnprocessable, std::move(code), std::move(message));
}
// A failure of the machine rather than of the request (disk full, I/O error).
inline tl::unexpected<Error> internal(std::string code, std::string message) {
  return fail(ErrorKind::kInternal, std::move(code), std::move(message));
}

// Returns "<what>: <strerror(err)>".
std::string errno_message(const std::string& what, int err);

}  // namespace bosun

// Propagating a failed Result from a function that returns a Result (CO_: from a coroutine).
// TRY(var, expr) declares `var` = expr and returns its error if it failed; TRY_OK(expr) returns
// the error of a failed expr and drops its value. `var` is a name to declare, so it cannot be
// parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define TRY(var, expr) \
  auto var = (expr);   \
  if (!var) return tl::unexpected(std::move(var).error())
#define TRY_OK(expr) \
  if (auto try_ok_ = (expr); !try_ok_) return tl::unexpected(std::move(try_ok_).error())
#define CO_TRY(var, expr) \
  auto var = (expr);      \
  if (!var) co_return tl::unexpected(std::move(var).error())
#define CO_TRY_OK(expr) \
  if (auto try_ok_ = (expr); !try_ok_) co_return tl::unexpected(std::move(try_ok_).error())
// NOLINTEND(bugprone-macro-parentheses)
