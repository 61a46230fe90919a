// Pipeline: a pipeline file (`.bosun/pipelines/NAME.yaml`, or one built into bosun) — the steps
// of a process (architect → tests first → implementation → review…), who does each and how,
// what each may use from earlier steps, and the gates bosun checks after each — read and checked
// whole before anything runs. Every mistake names its `file:line:col`.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/clock.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun {

// How a step is worked: a one-shot run of the role's CLI (its prompt in, a report out), or a
// task handed to a permanent agent of the role.
enum class StepMode { kHeadless, kAgent };

// What bosun checks after a step, never on the agent's word (docs/pipelines.md).
enum class GateKind {
  kReport,          // the step's report is valid, with complete proof
  kTestsRed,        // it added or changed tests, and they fail
  kTestsGreen,      // the test command passes on its result merged onto the base
  kTestsUntouched,  // it did not change the tests an earlier step wrote
  kDomains,         // it changed only paths in its role's domains
  kReview,          // a reviewer's report says approve (request_changes loops back)
  kHuman,           // a person approves
};
const char* to_string(GateKind kind);
std::optional<GateKind> parse_gate_kind(std::string_view name);

// What happens when a gate fails: the step again with the gate's evidence, back to an earlier
// step, or a person is asked.
struct OnFail {
  enum class Action { kRetry, kBackTo, kAsk } action = Action::kRetry;
  std::string step;  // kBackTo: the step to go back to
};

struct Gate {
  GateKind kind = GateKind::kReport;
  OnFail on_fail;
  std::vector<std::string> who;  // kHuman: who may approve (empty: any person)
};

struct Step {
  std::string id;
  std::string role;
  StepMode mode = StepMode::kAgent;
  std::string prompt;              // a template: {{task.title}}, {{steps.ID.output}}, …
  std::vector<std::string> needs;  // steps that finish before this one starts
  std::vector<Gate> gates;
  int max_attempts = 2;
  std::optional<Millis> timeout;
  std::string where;    // file:line:col of the step, for messages about it
  std::string role_at;  // file:line:col of its role

  const Gate* gate(GateKind kind) const;  // its gate of that kind, if it has one
};

struct PipelineLimits {
  int max_loops = 3;  // times a review may send the work back before a person decides
  // Loop prevention within an attempt (crew/step_loops.h): writes of one file, and failures
  // in a row of one command, before bosun stops the step and asks a person.
  int max_rewrites = 12;
  int max_failures = 3;
  std::optional<Millis> timeout;
  std::optional<int64_t> budget_tokens;
  std::optional<double> budget_usd;
};

// Where tests live, unless a pipeline says (`tests:`): folders and file-name globs of the
// common test layouts.
inline constexpr const char* kDefaultTestGlobs[] = {
    "test/",       "tests/",      "spec/",       "__tests__/",    "**/test_*",   "**/*_test.*",
    "**/*.test.*", "**/*_spec.*", "**/*.spec.*", "**/*Test.java", "**/tests/**", "**/test/**"};

struct Pipeline {
  std::string name;
  std::string description;
  std::string file;         // where it was read from
  std::vector<Step> steps;  // in an order where every step comes after what it needs
  PipelineLimits limits;
  std::vector<std::string> test_globs{std::begin(kDefaultTestGlobs), std::end(kDefaultTestGlobs)};

  const Step* step(std::string_view id) const;
};

// The placeholders a step's prompt may use; {{steps.ID.output}} and {{steps.ID.report}} for a
// step it needs (directly or through others).
inline constexpr std::string_view kPromptFields[] = {
    "task.id",   "task.title", "task.description", "project.name", "project.tech_stack",
    "decisions", "handoff",    "review.comments",  "gate.evidence"};

// Parses and checks one pipeline file: known keys, a step id used once, `needs` naming steps and
// making no cycle, known gates, `back_to` naming a step this one needs, placeholders it may use.
// Errors are 400 `invalid_pipeline`, "file:line:col: what".
Result<Pipeline> parse_pipeline(std::string_view text, const std::string& file);

// Each step's role must be one of `roles` (the project's role files): 422 naming the step.
Status check_roles(const Pipeline& pipeline, std::span<const std::string> roles);

// NAME from `<project>/.bosun/pipelines/NAME.yaml`, else the built-in one; 404
// `pipeline_not_found`.
Result<Pipeline> load_pipeline(const std::string& name, const std::filesystem::path& project);

// Every pipeline a project can run: the built-ins and its own, by name (its own first), each
// with the file it comes from and what is wrong with it, if anything.
struct PipelineEntry {
  std::string name;
  std::string file;
  std::optional<Pipeline> pipeline;
  std::optional<Error> error;
  bool builtin = false;
  bool overrides = false;  // the project's file replaces a built-in of the same name
};
std::vector<PipelineEntry> list_pipelines(const std::filesystem::path& project);

// {name, description, file, limits, steps: [{id, role, mode, needs, gates, prompt, …}]}
Json to_json(const Pipeline& pipeline);

// The pipelines shipped with bosun (generated from src/pipeline/pipelines/*.yaml).
struct BuiltinPipeline {
  std::string_view name;
  std::string_view path;
  std::string_view text;
};
std::span<const BuiltinPipeline> builtin_pipelines();

}  // namespace bosun
