// Report: a failed command's exit code by class and its words, plain or JSON.
#include "cli/report.h"

#include <cstdio>

#include "util/json.h"

namespace bosun::cli {

namespace {

bool g_json_errors = false;  // one command runs per process: set once, before it runs

}  // namespace

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
    case ErrorKind::kTooLarge:
    case ErrorKind::kUnsupportedMedia:
    case ErrorKind::kMethodNotAllowed:
    case ErrorKind::kUpgradeRequired:
      return kExitUsage;
    case ErrorKind::kNotFound:
      return kExitNotFound;
    case ErrorKind::kConflict:
    case ErrorKind::kUnprocessable:
      return kExitConflict;
    case ErrorKind::kUnauthorized:
    case ErrorKind::kForbidden:
      return kExitRefused;
    case ErrorKind::kUnavailable:
      return kExitUnreachable;
    case ErrorKind::kInternal:
    case ErrorKind::kNoSpace:
      return kExitFailed;
  }
  return kExitFailed;
}

void set_json_errors(bool json) {
  g_json_errors = json;
}

bool json_errors() {
  return g_json_errors;
}

int report_error(const Error& error) {
  if (g_json_errors) {
    Json body{{"error", {{"code", error.code}, {"message", error.message}}}};
    std::printf("%s\n", dump_json(body).c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "bosun: %s\n", error.message.c_str());
  }
  return exit_code_for(error.kind);
}

}  // namespace bosun::cli
