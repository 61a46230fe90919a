// PipelineHandoff: the run's handoff ledger. At the end of each attempt of a step bosun writes
// what it hands on — what was done, the state things are in, what comes next, open questions —
// from the step's report (its `handoff` object when it gives one, else its summary, proof and
// notes), beside what bosun itself saw: the gates' results, the commits and the files. The next
// steps get the ledger in their prompt (`{{handoff}}`), and so does the step's own next attempt.
#pragma once

#include <string>

#include "store/pipeline_runs.h"
#include "util/json.h"

namespace bosun {

// Attempts' handoffs a step keeps (the oldest go first).
inline constexpr size_t kMaxHandoffs = 10;

// The handoff of `step`'s attempt that just ended (its report, gates, commits and files as
// they are now): {step, attempt, at, result, done, state, next, questions, gates[], commits[],
// files[]}.
Json make_handoff(const StepRun& step, int64_t at_ms);

// Appends `handoff` to the step's ledger (in place of the same attempt's when that one waited
// for a person), keeping the last kMaxHandoffs.
void keep_handoff(StepRun& step, Json handoff);

// The ledger as prompt text: the latest handoff of every step that has one (a step that runs
// again sees its own last attempt's, and the review that sent it back), in the order they were
// written, at most `max_bytes` (the oldest dropped first). "" when there is none.
std::string handoff_text(const PipelineRun& run, size_t max_bytes);

}  // namespace bosun
