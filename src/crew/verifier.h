// Verifier: checks a done/partial report before its task may be done ("a done without
// evidence is not done"), off the loop, and moves the task by the result.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"
#include "util/process.h"

namespace bosun {

class StoreRunner;

// The name the verifier writes in task history, comments and events.
inline constexpr const char* kVerifierActor = "verifier";

class Verifier {
 public:
  // The test command for a task (an argv run in the reporting agent's working directory),
  // or an empty vector for none. The daemon gives the project's test command (`sh -c`).
  using TestCommand = std::function<std::vector<std::string>(const Task& task)>;

  struct Options {
    std::chrono::milliseconds git_timeout{10'000};
    std::chrono::milliseconds test_timeout{600'000};
  };

  Verifier(boost::asio::io_context& io, Store& store, StoreRunner& runner, const Clock& clock,
           Log& log, ProcessRunner& processes, Options options);
  Verifier(boost::asio::io_context& io, Store& store, StoreRunner& runner, const Clock& clock,
           Log& log, ProcessRunner& processes)
      : Verifier(io, store, runner, clock, log, processes, Options{}) {}
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  void set_test_command(TestCommand command) { test_command_ = std::move(command); }

  // After every check has passed: bringing the work in (crew/merges.h merges the agent's
  // branch when its project is in auto mode, or leaves it for a person in review mode).
  struct Landing {
    bool applies = false;          // the agent works in a worktree
    bool passed = true;            // false: the merge was refused
    bool awaiting_person = false;  // review mode: the task stays in review until merged
    std::string log;               // one line for the check log
    std::string problem;
  };
  using Land =
      std::function<boost::asio::awaitable<Landing>(const Task& task, const std::string& agent_id)>;
  void set_land(Land land) { land_ = std::move(land); }

  // Starts checking report `report_id` and returns at once; the result lands in the report
  // row (verified, check_log, checked_at), a `report.checked` event, and — when the task is
  // still in review — the task: passed → done, failed → in_progress with the log in its
  // history and a comment.
  void check(int64_t report_id);
  // The same, awaitable (tests, and `check`).
  boost::asio::awaitable<Status> run_check(int64_t report_id);
  // Starts the checks that a stopped daemon left unfinished.
  void resume_unchecked();

  // What the check found, before it is stored.
  struct Outcome {
    bool passed = true;
    std::vector<std::string> log;       // one line per step
    std::vector<std::string> problems;  // the failed steps, short
    bool awaiting_person = false;       // passed, but a person merges before it is done
    std::string agent;                  // who reported (for the note to a person)
  };

 private:
  // The worktree is on the task's branch, which holds commits its base lacks.
  boost::asio::awaitable<void> check_branch(const std::string& cwd, const Task& task,
                                            Outcome& outcome);
  boost::asio::awaitable<void> check_git(const std::string& cwd, int64_t since_ms,
                                         Outcome& outcome);
  boost::asio::awaitable<void> check_tests(const Task& task, const std::string& cwd,
                                           Outcome& outcome);
  // Writes the verdict through the store runner.
  boost::asio::awaitable<Status> apply(const TaskReport& report, const Outcome& outcome);

  boost::asio::io_context& io_;
  Store& store_;
  StoreRunner& runner_;  // where verdicts are written, with their events
  const Clock& clock_;
  Log& log_;
  ProcessRunner& processes_;
  Options options_;
  TestCommand test_command_;
  Land land_;
  Lifetime lifetime_;  // checked by callbacks that may outlive this object
};

}  // namespace bosun
