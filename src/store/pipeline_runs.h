// PipelineRuns (store): one row per run of a pipeline on a task — the pipeline as it was when
// the run started, the run's branch and worktree, where it stands, and each step's attempts,
// outputs and gate results — so a restarted daemon continues a run where it was.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

// One gate's verdict after one attempt of a step.
struct GateResult {
  std::string gate;    // report | tests_red | … (pipeline/pipeline.h GateKind)
  std::string result;  // passed | failed | waiting
  std::string evidence;
  int64_t at_ms = 0;
};

// A step of a run: pending → running → checking → passed | failed | waiting (a person decides).
struct StepRun {
  std::string id;
  std::string state = "pending";
  int attempts = 0;          // runs started, the one under way included
  bool resumed = false;      // a running attempt a stopped daemon interrupted
  bool discard = false;      // the next attempt starts where the refused one did (its commits kept
                             // at refs/bosun/attempts/RUN/STEP/N)
  std::string start_commit;  // the branch's commit when the attempt started
  std::string end_commit;    // and when it ended
  std::vector<std::string> commits;  // the commits each attempt made, newest first (a refused
                                     // attempt's too, though set aside from the branch)
  std::vector<Json> handoffs;  // what each attempt handed on (crew/pipeline_handoff.h), oldest
                               // first, the last 10
  std::vector<std::string> headless_runs;  // the headless runs of every attempt ("hr_…")
  std::vector<std::string> tasks;          // an agent step's task of every attempt ("t_…")
  std::vector<std::string> changed;        // files the last attempt changed
  std::vector<std::string> test_files;     // test files it changed
  std::string output;                      // the report's summary and notes, for later steps
  Json report;                             // the last attempt's report, or null
  std::vector<GateResult> gates;           // the last attempt's gates, in order
  std::string evidence;                    // why the next attempt runs (a failed gate, a person)
  std::string comments;                    // a reviewer's comments that sent the work back here
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> ended_at_ms;
};

// A run: running → review (a person approves the merge) → merged; or waiting (a person
// decides: a human gate, a limit reached, a gate that asks), failed, cancelled.
struct PipelineRun {
  std::string id;  // "run_…"
  std::string pipeline;
  std::string definition;  // the pipeline file's text when the run started
  std::string file;        // where it was read from
  std::string task_id;
  std::string project_id;
  std::string branch;
  std::string worktree;
  std::string base_branch;
  std::string base_commit;
  std::string mode = "review";  // the project's execution mode: auto | review
  std::string state = "running";
  std::string reason;  // why it waits, failed or was cancelled
  int loops = 0;       // times a review sent the work back
  std::vector<StepRun> steps;
  std::string merged_commit;
  std::string created_by;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> ended_at_ms;

  StepRun* step(const std::string& id);
  const StepRun* step(const std::string& id) const;
  bool finished() const { return state == "merged" || state == "failed" || state == "cancelled"; }
};

Json to_json(const GateResult& gate);
Json to_json(const StepRun& step);
Json to_json(const PipelineRun& run);

class PipelineRunStore {
 public:
  explicit PipelineRunStore(Database& db) : db_(db) {}
  // This daemon's host on a shared store: the runs it starts are its to drive, and only those.
  void set_host(std::string host) { host_ = std::move(host); }
  Status insert(const PipelineRun& run);
  Status update(const PipelineRun& run);
  Result<std::optional<PipelineRun>> find(const std::string& id);
  // Newest first; `state` and `task_id` filter when given.
  Result<std::vector<PipelineRun>> list(const std::optional<std::string>& state,
                                        const std::optional<std::string>& task_id, int limit = 100);
  // This host's runs that are not finished (running, review, waiting), oldest first.
  Result<std::vector<PipelineRun>> unfinished();
  // Whether run `id` is this host's to drive (always, on a store one daemon owns).
  Result<bool> here(const std::string& id);

 private:
  Database& db_;
  std::string host_;
};

}  // namespace bosun
