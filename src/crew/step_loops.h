// StepLoops: whether the CLI working a pipeline step goes round in circles — rewriting the same
// file again and again, or running a command that keeps failing — read from its tool calls
// (a headless step's JSON stream, an interactive Claude Code's hooks). The run stops such a
// step and asks a person, with the evidence, instead of letting it burn its budget.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "util/json.h"

namespace bosun {

struct LoopLimits {
  int max_rewrites = 12;  // writes of one file in one attempt
  int max_failures = 3;   // failures in a row of one command in one attempt
};

class StepLoops {
 public:
  explicit StepLoops(LoopLimits limits) : limits_(limits) {}

  // A tool call (`tool` as the CLI names it, `input` its arguments): a file it writes
  // (Write/Edit/MultiEdit `file_path`, opencode's `filePath`, `path`) or a command it runs
  // (`command`, a string or an argv). Returns the evidence when it is one write too many.
  std::optional<std::string> call(const std::string& id, const std::string& tool,
                                  const Json& input);
  // The call's result; returns the evidence when a command has now failed too often.
  std::optional<std::string> result(const std::string& id, bool is_error);
  // Both at once, for a feed that reports a finished call (a PostToolUse hook).
  std::optional<std::string> finished(const std::string& tool, const Json& input, bool is_error);

 private:
  LoopLimits limits_;
  std::map<std::string, int> writes_;            // file → times written
  std::map<std::string, int> failures_;          // command → failures since it last worked
  std::map<std::string, std::string> commands_;  // call id → the command it runs
};

}  // namespace bosun
