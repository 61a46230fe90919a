// Result<T>: how every expected failure travels (see STYLE.md, "Errors").
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace bosun {

// An expected failure: the HTTP status a client would see, a stable machine
// code (`task_not_found`) and one line for a person.
struct Error {
  int status = 500;
  std::string code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(int status, std::string code, std::string message) {
  return tl::unexpected<Error>(Error{status, std::move(code), std::move(message)});
}
inline tl::unexpected<Error> bad_request(std::string code, std::string message) {
  return fail(400, std::move(code), std::move(message));
}
inline tl::unexpected<Error> not_found(std::string code, std::string message) {
  return fail(404, std::move(code), std::move(message));
}
inline tl::unexpected<Error> conflict(std::string code, std::string message) {
  return fail(409, std::move(code), std::move(message));
}
inline tl::unexpected<Error> unprocessable(std::string code, std::string message) {
  return fail(422, std::move(code), std::move(message));
}
// A failure of the machine rather than of the request (disk full, I/O error).
inline tl::unexpected<Error> internal(std::string code, std::string message) {
  return fail(500, std::move(code), std::move(message));
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
