// PipelineTrace: a run's requirements traced through its work. Requirement ids (`REQ-1`,
// `REQ-2`, …) come from the run's brief and from the files its steps changed other than tests
// (the architect's spec); each is traced to the test files that mention it, the commits on the
// run's branch that mention it or made its tests pass, and the gates that checked those tests.
// Ids that only tests mention are listed apart: they name no requirement of the run.
#pragma once

#include <string>
#include <vector>

#include "store/pipeline_runs.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct TraceInput {
  std::string repo;   // the project's repository
  std::string head;   // the run's branch tip (or its merged commit)
  std::string brief;  // the task's title and description
  std::vector<std::string> test_globs;
  const PipelineRun* run = nullptr;
};

// The ids of the form REQ-<digits> in `text`, each once, in order of first appearance; an id
// glued to a letter, digit, `_` or `-` on either side is not one.
std::vector<std::string> requirement_ids(std::string_view text);

// The matrix: {run, head, requirements: [{id, in_brief, status, files[], tests[], commits[],
// gates[]}], unknown: [{id, tests[]}]}. status: untested (no test mentions it), tested (tests,
// no passing tests_green yet), failing (the last gate that ran its tests failed), verified (a
// tests_green gate ran its tests and passed). Blocking: runs git in `repo`.
Result<Json> trace_requirements(const TraceInput& in);

}  // namespace bosun
