// Verifier: proof, a commit since the task started, the test command; then the task moves.
#include "crew/verifier.h"

#include <filesystem>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "crew/report.h"
#include "crew/task_board.h"
#include "store/store_runner.h"
#include "util/text.h"

namespace bosun {

namespace asio = boost::asio;

namespace {

// Output kept in the check log from a failing test command.
constexpr size_t kLogTail = 4096;

// `git` with no prompts, no editor, no pager, no hooks, no optional locks, and none of the
// caller's GIT_* repository overrides.
ProcessSpec git_spec(const std::string& cwd, std::vector<std::string> args,
                     std::chrono::milliseconds timeout) {
  ProcessSpec spec;
  spec.argv = {"git",
               "-c",
               "core.hooksPath=/dev/null",
               "-c",
               "core.fsmonitor=false",
               "-c",
               "core.pager=cat",
               "--no-pager",
               "--no-optional-locks",
               "-C",
               cwd};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  spec.env = {{"GIT_TERMINAL_PROMPT", "0"},
              {"GIT_EDITOR", "true"},
              {"GIT_PAGER", "cat"},
              {"GIT_OPTIONAL_LOCKS", "0"},
              {"LC_ALL", "C"}};
  spec.unset_env = {"GIT_DIR",
                    "GIT_WORK_TREE",
                    "GIT_INDEX_FILE",
                    "GIT_OBJECT_DIRECTORY",
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                    "GIT_COMMON_DIR",
                    "GIT_NAMESPACE"};
  spec.timeout = timeout;
  spec.max_output = size_t{64} * 1024;
  return spec;
}

// The three git commands of the check, built outside the coroutines (g++ 12 cannot keep an
// initializer_list in a coroutine frame).
ProcessSpec git_inside_work_tree(const std::string& cwd, std::chrono::milliseconds timeout) {
  return git_spec(cwd, {"rev-parse", "--is-inside-work-tree"}, timeout);
}

ProcessSpec git_commits_since(const std::string& cwd, int64_t since_s,
                              std::chrono::milliseconds timeout) {
  return git_spec(cwd,
                  {"log", "--max-count=20", fmt::format("--max-age={}", since_s),
                   "--format=%H%x09%ct%x09%s", "HEAD", "--"},
                  timeout);
}

ProcessSpec git_current_branch(const std::string& cwd, std::chrono::milliseconds timeout) {
  return git_spec(cwd, {"symbolic-ref", "--quiet", "--short", "HEAD"}, timeout);
}

ProcessSpec git_branch_commits(const std::string& cwd, const std::string& base,
                               const std::string& branch, std::chrono::milliseconds timeout) {
  return git_spec(cwd,
                  {"log", "--max-count=20", "--format=%H%x09%ct%x09%s", base + ".." + branch, "--"},
                  timeout);
}

ProcessSpec git_head(const std::string& cwd, std::chrono::milliseconds timeout) {
  return git_spec(cwd, {"log", "--max-count=1", "--format=%H%x09%ct%x09%s", "HEAD", "--"}, timeout);
}

ProcessSpec test_spec(const std::vector<std::string>& argv, const std::string& cwd,
                      const std::string& task_id, std::chrono::milliseconds timeout) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.cwd = cwd;
  spec.timeout = timeout;
  spec.env = {{"BOSUN_TASK", task_id}, {"CI", "1"}};
  return spec;
}

std::string first_line(const std::string& text) {
  auto nl = text.find('\n');
  std::string line = text.substr(0, nl);
  return shorten(line, 200);
}

struct Commit {
  std::string hash;
  int64_t time_s = 0;
  std::string subject;
};

// Lines of "HASH\tCOMMITTER_UNIX_TIME\tSUBJECT".
std::vector<Commit> parse_commits(const std::string& out) {
  std::vector<Commit> commits;
  size_t i = 0;
  while (i < out.size()) {
    size_t nl = out.find('\n', i);
    if (nl == std::string::npos) nl = out.size();
    std::string line = out.substr(i, nl - i);
    i = nl + 1;
    auto t1 = line.find('\t');
    auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) continue;
    Commit c;
    c.hash = line.substr(0, t1);
    c.time_s = std::strtoll(line.substr(t1 + 1, t2 - t1 - 1).c_str(), nullptr, 10);
    c.subject = line.substr(t2 + 1);
    commits.push_back(std::move(c));
  }
  return commits;
}

}  // namespace

Verifier::Verifier(asio::io_context& io, Store& store, StoreRunner& runner, const Clock& clock,
                   Log& log, ProcessRunner& processes, Options options)
    : io_(io),
      store_(store),
      runner_(runner),
      clock_(clock),
      log_(log),
      processes_(processes),
      options_(options) {}

void Verifier::check(int64_t report_id) {
  asio::co_spawn(
      io_, run_check(report_id),
      [this, life = lifetime_.guard(), report_id](const std::exception_ptr& e, Status st) {
        if (!life.alive()) return;
        if (e) {
          log_.error("verifier.exception", {{"report", report_id}});
        } else if (!st) {
          log_.error("verifier.failed", {{"report", report_id}, {"error", st.error().message}});
        }
      });
}

void Verifier::resume_unchecked() {
  auto reports = store_.tasks().unchecked_reports();
  if (!reports) {
    log_.error("verifier.resume_failed", {{"error", reports.error().message}});
    return;
  }
  for (const auto& r : *reports)
    check(r.id);
}

asio::awaitable<void> Verifier::check_git(const std::string& cwd, int64_t since_ms,
                                          Outcome& outcome) {
  auto inside = co_await processes_.run(git_inside_work_tree(cwd, options_.git_timeout));
  if (!inside.started) {
    outcome.log.push_back("git: skipped, " + inside.error);
    co_return;
  }
  if (!inside.ok() || first_line(inside.out) != "true") {
    outcome.log.push_back(fmt::format("git: skipped, {} is not inside a git work tree", cwd));
    co_return;
  }
  // Committer dates have one-second resolution: a commit in the second the task started counts.
  int64_t since_s = since_ms / 1000;
  std::string since_text = format_time(from_unix_ms(since_ms));
  auto log = co_await processes_.run(git_commits_since(cwd, since_s, options_.git_timeout));
  if (!log.ok()) {
    outcome.passed = false;
    outcome.problems.push_back("no commit since the task started");
    outcome.log.push_back(fmt::format("git: FAILED, cannot read the history of {} ({}): {}", cwd,
                                      log.summary(), first_line(log.err)));
    co_return;
  }
  std::vector<Commit> fresh;
  for (auto& c : parse_commits(log.out)) {
    if (c.time_s >= since_s) fresh.push_back(std::move(c));
  }
  if (!fresh.empty()) {
    const Commit& newest = fresh.front();
    outcome.log.push_back(
        fmt::format("git: {}{} commit{} in {} since the task started at {}; "
                    "newest {} \"{}\"",
                    fresh.size(), fresh.size() == 20 ? "+" : "", fresh.size() == 1 ? "" : "s", cwd,
                    since_text, newest.hash.substr(0, 12), newest.subject));
    co_return;
  }
  auto head = co_await processes_.run(git_head(cwd, options_.git_timeout));
  auto heads = parse_commits(head.out);
  std::string head_text =
      heads.empty()
          ? "no commit at all"
          : fmt::format("HEAD is {} \"{}\" from {}", heads[0].hash.substr(0, 12), heads[0].subject,
                        format_time(from_unix_ms(heads[0].time_s * 1000)));
  outcome.passed = false;
  outcome.problems.push_back("no commit since the task started");
  outcome.log.push_back(
      fmt::format("git: FAILED, no commit in {} since the task started at {} ({})", cwd, since_text,
                  head_text));
}

asio::awaitable<void> Verifier::check_branch(const std::string& cwd, const Task& task,
                                             Outcome& outcome) {
  const std::string& branch = *task.branch;
  const std::string& base = *task.base_branch;
  auto current = co_await processes_.run(git_current_branch(cwd, options_.git_timeout));
  std::string on = current.ok() ? first_line(current.out) : "";
  if (on != branch) {
    outcome.passed = false;
    outcome.problems.push_back("the worktree is not on the task's branch");
    outcome.log.push_back(fmt::format("git: FAILED, {} is on {}, not on {}'s branch {}", cwd,
                                      on.empty() ? "no branch" : on, task.id, branch));
    co_return;
  }
  auto log = co_await processes_.run(git_branch_commits(cwd, base, branch, options_.git_timeout));
  auto commits = log.ok() ? parse_commits(log.out) : std::vector<Commit>{};
  if (commits.empty()) {
    outcome.passed = false;
    outcome.problems.push_back("no commit on the task's branch");
    outcome.log.push_back(
        log.ok() ? fmt::format("git: FAILED, {} has no commit that {} lacks", branch, base)
                 : fmt::format("git: FAILED, cannot read {} ({}): {}", branch, log.summary(),
                               first_line(log.err)));
    co_return;
  }
  outcome.log.push_back(fmt::format("git: {}{} commit{} on {} that {} lacks; newest {} \"{}\"",
                                    commits.size(), commits.size() == 20 ? "+" : "",
                                    commits.size() == 1 ? "" : "s", branch, base,
                                    commits.front().hash.substr(0, 12), commits.front().subject));
}

asio::awaitable<void> Verifier::check_tests(const Task& task, const std::string& cwd,
                                            Outcome& outcome) {
  std::vector<std::string> argv;
  if (test_command_) argv = test_command_(task);
  if (argv.empty()) {
    outcome.log.push_back("tests: skipped, no test command is configured");
    co_return;
  }
  std::string shown = join(argv, " ");
  auto result = co_await processes_.run(test_spec(argv, cwd, task.id, options_.test_timeout));
  if (result.ok()) {
    outcome.log.push_back(
        fmt::format("tests: `{}` passed in {} ms", shown, result.elapsed.count()));
    co_return;
  }
  outcome.passed = false;
  outcome.problems.push_back(fmt::format("`{}` failed ({})", shown, result.summary()));
  std::string output = result.out + result.err;
  outcome.log.push_back(fmt::format("tests: FAILED, `{}`: {}{}", shown, result.summary(),
                                    output.empty() ? "" : "\n" + tail(output, kLogTail)));
}

asio::awaitable<Status> Verifier::run_check(int64_t report_id) {
  auto report = store_.tasks().find_report(report_id);
  if (!report) co_return tl::unexpected(report.error());
  if (report->verified != "pending") co_return Status{};
  auto task = store_.tasks().find(report->task_id);
  if (!task) co_return tl::unexpected(task.error());
  log_.info("verifier.started", {{"report", report_id}, {"task", task->id}});

  Outcome outcome;
  // (a) the proof.
  auto missing = missing_proof(report->body);
  if (missing.empty()) {
    outcome.log.push_back("proof: present (what_was_done, how_verified, verification_result)");
  } else {
    outcome.passed = false;
    outcome.problems.push_back("proof incomplete");
    outcome.log.push_back("proof: FAILED, missing or empty: " + join(missing, ", "));
  }
  // The working directory of the agent that reported (else of the assignee).
  std::optional<std::string> agent_id = report->agent_id ? report->agent_id : task->assignee;
  std::string cwd;
  if (agent_id) {
    if (auto agent = store_.agents().find(*agent_id)) cwd = agent->cwd;
  }
  std::error_code ec;
  if (task->is_step()) {
    // A pipeline step: the run checks the work with the step's gates once it is on the run's
    // branch (crew/pipeline_gates.h) — a test step's tests are meant to fail.
    outcome.log.push_back(fmt::format("git, tests: checked by pipeline run {}'s gates for step {}",
                                      *task->pipeline_run_id, *task->step));
  } else if (cwd.empty() || !std::filesystem::is_directory(cwd, ec)) {
    outcome.log.push_back(cwd.empty() ? "git: skipped, no reporting agent with a working directory"
                                      : fmt::format("git: skipped, {} is not a directory", cwd));
    cwd.clear();
  } else {
    // (b) a commit made for the task: on its own branch when it has one, else since it started.
    if (task->branch && task->base_branch) {
      co_await check_branch(cwd, *task, outcome);
    } else {
      co_await check_git(cwd, task->started_at_ms.value_or(task->created_at_ms), outcome);
    }
  }
  // (c) the test command, when there is one.
  if (!task->is_step()) {
    co_await check_tests(*task, cwd, outcome);
  }
  // (d) the work comes in: merged (auto mode) or left for a person (review mode).
  if (outcome.passed && land_ && agent_id) {
    Landing landing = co_await land_(*task, *agent_id);
    if (landing.applies) {
      outcome.log.push_back(landing.log);
      if (!landing.passed) {
        outcome.passed = false;
        outcome.problems.push_back(landing.problem);
      }
      outcome.awaiting_person = landing.passed && landing.awaiting_person;
    }
  }
  outcome.log.push_back(outcome.passed ? "result: passed"
                                       : "result: FAILED (" + join(outcome.problems, "; ") + ")");
  co_return co_await apply(*report, outcome);
}

asio::awaitable<Status> Verifier::apply(const TaskReport& report, const Outcome& outcome) {
  CheckResult result;
  result.report_id = report.id;
  result.task_id = report.task_id;
  result.passed = outcome.passed;
  result.log = join(outcome.log, "\n");
  if (outcome.awaiting_person) {
    result.comment = fmt::format(
        "Report {} passed its check; the task stays in review until a person merges the work.\n{}",
        report.id, result.log);
  } else if (outcome.passed) {
    result.move_to = TaskStatus::kDone;
    std::vector<std::string> steps;
    for (const auto& line : outcome.log) {
      if (line.rfind("result:", 0) != 0) steps.push_back(line);
    }
    result.reason = fmt::format("checked (report {}): {}", report.id, join(steps, "; "));
  } else {
    result.move_to = TaskStatus::kInProgress;
    result.reason = fmt::format("check of report {} failed:\n{}", report.id, result.log);
    result.comment = fmt::format("The check of report {} failed; the task is back in progress.\n{}",
                                 report.id, result.log);
  }
  auto record = [&clock = clock_, &result](Store& store, EventBus& bus) {
    return TaskBoard(store, bus, clock).record_check(result, kVerifierActor);
  };
  CO_TRY_OK(co_await runner_.run(record));
  log_.info("verifier.checked", {{"report", report.id},
                                 {"task", report.task_id},
                                 {"verified", outcome.passed ? "passed" : "failed"}});
  co_return Status{};
}

}  // namespace bosun
