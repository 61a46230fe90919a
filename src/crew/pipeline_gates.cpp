// PipelineGates: report, tests_red, tests_green, tests_untouched, domains, review, human.
#include "crew/pipeline_gates.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "crew/report.h"
#include "git/merge.h"
#include "git/run_branch.h"
#include "util/text.h"

namespace bosun {
namespace {

namespace asio = boost::asio;

constexpr size_t kTailBytes = 3000;

std::string list(const std::vector<std::string>& items, size_t at_most = 10) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < at_most; ++i)
    out += (i ? ", " : "") + items[i];
  if (items.size() > at_most) out += fmt::format(" and {} more", items.size() - at_most);
  return out;
}

// The last `n` bytes of `text`, starting at a line.
std::string tail(const std::string& text, size_t n = kTailBytes) {
  if (text.size() <= n) return text;
  size_t from = text.find('\n', text.size() - n);
  return "…" + text.substr(from == std::string::npos ? text.size() - n : from);
}

}  // namespace

GateResult PipelineGates::result(GateKind kind, bool passed, std::string evidence) const {
  return GateResult{to_string(kind), passed ? "passed" : "failed", std::move(evidence),
                    to_unix_ms(clock_.now())};
}

asio::awaitable<PipelineGates::TestRun> PipelineGates::run_tests(
    std::string worktree, std::optional<std::string> command) {
  TestRun out;
  if (!command || command->empty()) {
    out.summary = "the project has no test command (bosun project edit P --test-command '…')";
    co_return out;
  }
  ProcessSpec spec;
  spec.argv = {"sh", "-c", *command};
  spec.cwd = worktree;
  spec.timeout = test_timeout_;
  spec.max_output = size_t{64} * 1024;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("BOSUN_", 0) == 0) spec.unset_env.emplace_back(kv.substr(0, kv.find('=')));
  }
  ProcessResult r = co_await tests_.run(std::move(spec));
  out.ran = r.started;
  out.passed = r.ok();
  out.summary = r.summary();
  out.tail = tail(r.out + (r.err.empty() ? "" : "\n" + r.err));
  co_return out;
}

asio::awaitable<GateResult> PipelineGates::tests_red(GateContext c) {
  const auto kind = GateKind::kTestsRed;
  if (c.step->test_files.empty()) {
    co_return result(kind, false,
                     fmt::format("the step wrote no tests: none of the files it changed ({}) "
                                 "is a test file (tests: {})",
                                 c.step->changed.empty() ? "none" : list(c.step->changed),
                                 list(c.pipeline->test_globs, 6)));
  }
  TestRun t = co_await run_tests(c.run->worktree, c.project->test_command);
  if (!t.ran) co_return result(kind, false, t.summary);
  if (t.passed) {
    co_return result(kind, false,
                     fmt::format("the tests pass already ({}): tests written first must fail "
                                 "until the work is done. Test files: {}\n{}",
                                 t.summary, list(c.step->test_files), t.tail));
  }
  co_return result(
      kind, true,
      fmt::format("{} test file(s) changed ({}); the test command fails as it "
                  "should ({})\n{}",
                  c.step->test_files.size(), list(c.step->test_files), t.summary, t.tail));
}

asio::awaitable<GateResult> PipelineGates::tests_green(GateContext c) {
  const auto kind = GateKind::kTestsGreen;
  std::string worktree = c.run->worktree;
  std::string base = c.run->base_branch;
  std::function<Result<git::BaseMerge>(int)> job = [worktree, base](int) {
    return git::merge_base_in(worktree, base);
  };
  auto merged = co_await git_.call<Result<git::BaseMerge>>(std::move(job));
  if (!merged) co_return result(kind, false, "bringing in " + base + ": " + merged.error().message);
  if (merged->result == "conflict") {
    co_return result(
        kind, false,
        fmt::format("the work does not merge onto {}: conflicts in {}", base, list(merged->files)));
  }
  TestRun t = co_await run_tests(worktree, c.project->test_command);
  if (!t.ran) co_return result(kind, false, t.summary);
  std::string onto = merged->result == "merged" ? fmt::format(" (with {} merged in)", base)
                                                : fmt::format(" (up to date with {})", base);
  if (!t.passed) {
    co_return result(kind, false, fmt::format("the tests fail{}: {}\n{}", onto, t.summary, t.tail));
  }
  co_return result(kind, true, fmt::format("the tests pass{}: {}", onto, t.summary));
}

// The tests as their writers left them, against the step's result: any difference is an edit,
// whichever attempt made it.
asio::awaitable<GateResult> PipelineGates::tests_untouched(GateContext c) {
  const auto kind = GateKind::kTestsUntouched;
  if (c.test_writers.empty()) co_return result(kind, true, "no earlier step wrote tests");
  std::string worktree = c.run->worktree;
  std::string head = c.step->end_commit;
  auto writers = c.test_writers;
  std::function<Result<std::vector<std::string>>(int)> job =
      [worktree, head, writers](int) -> Result<std::vector<std::string>> {
    std::vector<std::string> touched;
    for (const auto& [commit, files] : writers) {
      TRY(diff, git::differing(worktree, commit, head, files));
      touched.insert(touched.end(), diff->begin(), diff->end());
    }
    return touched;
  };
  auto touched = co_await git_.call<Result<std::vector<std::string>>>(std::move(job));
  if (!touched) co_return result(kind, false, "comparing the tests: " + touched.error().message);
  if (!touched->empty()) {
    co_return result(kind, false,
                     fmt::format("the step changed tests an earlier step wrote: {}; make them "
                                 "pass without editing them",
                                 list(*touched)));
  }
  co_return result(kind, true,
                   fmt::format("the tests earlier steps wrote ({}) are as they left them",
                               list(c.earlier_tests)));
}

asio::awaitable<GateResult> PipelineGates::check(GateKind kind, GateContext c) {
  const StepRun& s = *c.step;
  switch (kind) {
    case GateKind::kReport: {
      if (!s.report.is_object()) {
        co_return result(kind, false,
                         "the step's final answer holds no JSON report (a ```json block or an "
                         "object with status, summary and proof)");
      }
      if (auto st = validate_report(s.report); !st) {
        co_return result(kind, false, "the report is not valid: " + st.error().message);
      }
      std::string status = string_field(s.report, "status");
      if (status == "blocked") {
        co_return result(kind, false,
                         "the step is blocked: " + string_field(s.report, "blocked_reason"));
      }
      if (status != "done") {
        co_return result(
            kind, false,
            "the report says " + status + ", not done: " + string_field(s.report, "summary"));
      }
      co_return result(kind, true, "a valid done report with complete proof");
    }
    case GateKind::kTestsRed:
      co_return co_await tests_red(c);
    case GateKind::kTestsGreen:
      co_return co_await tests_green(c);
    case GateKind::kTestsUntouched:
      co_return co_await tests_untouched(c);
    case GateKind::kDomains: {
      if (c.domains.empty()) co_return result(kind, true, "the role may change any path");
      std::vector<std::string> outside;
      for (const auto& f : s.changed) {
        if (!git::path_in_domains(f, c.domains)) outside.push_back(f);
      }
      if (!outside.empty()) {
        co_return result(kind, false,
                         fmt::format("changed outside the role's domains ({}): {}", list(c.domains),
                                     list(outside)));
      }
      co_return result(kind, true,
                       fmt::format("{} file(s), all within {}", s.changed.size(), list(c.domains)));
    }
    case GateKind::kReview: {
      auto review = s.report.is_object() ? s.report.find("review") : s.report.end();
      if (!s.report.is_object() || review == s.report.end() || !review->is_object()) {
        co_return result(kind, false,
                         "the report has no review verdict ({\"review\": {\"verdict\": "
                         "\"approve\"|\"request_changes\", \"comments\": …}})");
      }
      std::string verdict = string_field(*review, "verdict");
      std::string comments = string_field(*review, "comments");
      if (verdict == "approve") {
        co_return result(kind, true, comments.empty() ? "approved" : "approved: " + comments);
      }
      co_return result(kind, false, "changes requested: " + comments);
    }
    case GateKind::kHuman:
      co_return GateResult{to_string(kind), "waiting", "waits for a person's approval",
                           to_unix_ms(clock_.now())};
  }
  co_return result(kind, false, "unknown gate");
}

}  // namespace bosun
