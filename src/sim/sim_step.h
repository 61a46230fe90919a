// SimStep: `bosun sim-agent --headless PROMPT`, the scripted agent as a one-shot headless CLI
// for pipeline steps (and a permanent sim-agent handed a step's task plays it the same way). It
// plays the role bosun names in BOSUN_ROLE — an architect writes a design with requirement ids, QA
// (or a debugger) writes a test that fails until the feature exists, a backend engineer writes the
// feature, a reviewer approves or requests changes — commits in its working directory, and prints
// Claude Code's stream-json with a report at the end.
//
// Lines `sim: ACT` in the prompt (a role file's body is part of it) make it misbehave:
// tests-pass (QA writes a test that passes already), no-tests (QA writes no test), wrong (the
// feature is wrong), edit-tests (the backend also edits the tests), request-changes (a reviewer
// asks for changes until the work carries its comment), request-changes-always, blocked, crash,
// no-report, loop-edit and fail-loop (the same edit, or the same failing test run, again and
// again: headless as stream tool calls, as an agent as Claude Code hooks); `sim: slow MS` waits
// MS milliseconds before it starts; `sim: ACT on attempt N`
// only on attempt N (BOSUN_ATTEMPT).
#pragma once

#include <optional>
#include <string>

#include "util/json.h"

namespace bosun::sim {

// One step played as a permanent agent plays it (a pipeline step handed to an agent as a
// task): in the current directory, as `role`, on `prompt` (its task's description and the
// agent's instructions), attempt `attempt`. What it says, and its report (none for no-report).
struct StepPlay {
  std::string said;
  std::optional<Json> report;
  bool crashed = false;
};
StepPlay play_step(const std::string& role, const std::string& prompt, int attempt);
// Whether `prompt` asks for act `act` (a `sim: ACT` line) on attempt `attempt`.
bool has_act(const std::string& prompt, const std::string& act, int attempt);

// Runs one step in the current directory; returns the exit code.
int run_sim_step(const std::string& prompt);

}  // namespace bosun::sim
