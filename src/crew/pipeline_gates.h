// PipelineGates: the checks after a pipeline step, made by bosun from the step's commits, its
// report and the project's test command — never from what the agent says it did. Each gate
// gives passed, failed or waiting (a person decides) with the evidence a person or the next
// attempt reads.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "pipeline/pipeline.h"
#include "store/pipeline_runs.h"
#include "store/projects.h"
#include "util/clock.h"
#include "util/process.h"

namespace bosun {

struct GateContext {
  const PipelineRun* run = nullptr;
  const Pipeline* pipeline = nullptr;
  const StepRun* step = nullptr;  // the attempt that just ended: its report, changed files
  const Project* project = nullptr;
  std::vector<std::string> domains;        // the step's role's; empty: anywhere
  std::vector<std::string> earlier_tests;  // test files earlier steps wrote
  // Each earlier step that wrote tests: its last commit and the test files it wrote.
  std::vector<std::pair<std::string, std::vector<std::string>>> test_writers;
};

class PipelineGates {
 public:
  // `git`: the git worker; `tests`: where the project's test command runs.
  PipelineGates(ProcessRunner& git, ProcessRunner& tests, const Clock& clock,
                std::chrono::milliseconds test_timeout)
      : git_(git), tests_(tests), clock_(clock), test_timeout_(test_timeout) {}

  boost::asio::awaitable<GateResult> check(GateKind kind, GateContext context);

  // The test command's run in the run's worktree: exit status and the output's last lines.
  struct TestRun {
    bool ran = false;  // false: no test command, or it could not start
    bool passed = false;
    std::string summary;  // "exit 1", "timed out after …"
    std::string tail;
  };
  boost::asio::awaitable<TestRun> run_tests(std::string worktree,
                                            std::optional<std::string> command);

 private:
  GateResult result(GateKind kind, bool passed, std::string evidence) const;
  boost::asio::awaitable<GateResult> tests_red(GateContext c);
  boost::asio::awaitable<GateResult> tests_green(GateContext c);
  boost::asio::awaitable<GateResult> tests_untouched(GateContext c);

  ProcessRunner& git_;
  ProcessRunner& tests_;
  const Clock& clock_;
  std::chrono::milliseconds test_timeout_;
};

}  // namespace bosun
