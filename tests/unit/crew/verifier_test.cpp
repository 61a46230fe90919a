// Verifier: proof, a commit since the task started (real git), the test-command hook, and
// what the result does to the report row, the task, its history and the events.
#include "crew/verifier.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <boost/asio/co_spawn.hpp>

#include "store/store_runner.h"
#include "util/ids.h"

namespace bosun {
namespace {

using namespace std::chrono_literals;

class Recorder : public EventSubscriber {
 public:
  void on_event(const Event& event) override { types.push_back(event.type); }
  std::vector<std::string> types;
};

// Runs git in `dir` with a fixed identity; `date` (if any) is both author and committer date.
void git(const std::filesystem::path& dir, std::vector<std::string> args,
         const std::string& date = "") {
  ProcessSpec spec;
  spec.argv = {"git", "-c", "user.name=Test", "-c", "user.email=test@example.com"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = dir.string();
  spec.unset_env = {"GIT_DIR", "GIT_WORK_TREE"};
  if (!date.empty()) spec.env = {{"GIT_AUTHOR_DATE", date}, {"GIT_COMMITTER_DATE", date}};
  auto r = run_process_blocking(spec);
  ASSERT_TRUE(r.ok()) << "git " << args[0] << ": " << r.summary() << " " << r.err;
}

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("bosun-verify-");
    repo_ = dir_ / "repo";
    std::filesystem::create_directories(repo_);
    auto s = Store::open((dir_ / "bosun.db").string());
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    log_.set_stderr_enabled(false);
    bus_ = std::make_unique<EventBus>(store_->events(), clock_, log_);
    bus_->subscribe(&events_);
    runner_ = std::make_unique<ProcessRunner>(io_, 1);
    store_runner_ = std::make_unique<StoreRunner>(*store_, *bus_);
    verifier_ = std::make_unique<Verifier>(io_, *store_, *store_runner_, clock_, log_, *runner_);
    git(repo_, {"init", "-q"});
    git(repo_, {"commit", "-q", "--allow-empty", "-m", "old work"}, "2020-01-01T00:00:00Z");
    set_agent_cwd(repo_);
  }
  void TearDown() override {
    verifier_.reset();
    runner_.reset();
    store_runner_.reset();
    bus_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void set_agent_cwd(const std::filesystem::path& cwd) {
    AgentRecord kai;
    kai.id = "ag_kai00000";
    kai.name = "kai";
    kai.cwd = cwd.string();
    kai.created_at_ms = 1;
    if (store_->agents().find(kai.id)) {
      ASSERT_TRUE(store_->agents().update(kai));
    } else {
      ASSERT_TRUE(store_->agents().insert(kai));
    }
  }

  // A task claimed by kai a minute ago, with a report of `body`, now in review.
  int64_t task_in_review(const Json& body) {
    int64_t now = to_unix_ms(clock_.now());
    NewTask n;
    n.title = "the work";
    auto task = store_->tasks().create(n, "user", now - 60'000);
    EXPECT_TRUE(task);
    task_id_ = task->id;
    EXPECT_TRUE(store_->tasks().claim(task_id_, "ag_kai00000", "ag_kai00000", now - 60'000));
    TaskReport r;
    r.task_id = task_id_;
    r.agent_id = "ag_kai00000";
    r.author = "ag_kai00000";
    r.status = body.value("status", "done");
    r.body = body;
    r.created_at_ms = now;
    auto report = store_->tasks().add_report(r);
    EXPECT_TRUE(report);
    TaskChange change;
    change.status = TaskStatus::kReview;
    EXPECT_TRUE(store_->tasks().update(task_id_, change, "ag_kai00000", now));
    return report->id;
  }

  Status run(int64_t report_id) {
    Status result = fail(ErrorKind::kInternal, "not_run", "the check did not finish");
    boost::asio::co_spawn(io_, verifier_->run_check(report_id),
                          [&](std::exception_ptr, Status st) { result = st; });
    io_.run_for(60s);
    io_.restart();
    return result;
  }

  TaskReport report(int64_t id) { return *store_->tasks().find_report(id); }
  Task task() { return *store_->tasks().find(task_id_); }

  static Json done_report() {
    return Json{{"status", "done"},
                {"summary", "parser written"},
                {"proof",
                 {{"what_was_done", "wrote it"},
                  {"how_verified", "ran the tests"},
                  {"verification_result", "12 passed"}}}};
  }

  std::filesystem::path dir_;
  std::filesystem::path repo_;
  std::unique_ptr<Store> store_;
  SystemClock clock_;
  Log log_{"test"};
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<StoreRunner> store_runner_;
  Recorder events_;
  boost::asio::io_context io_;
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<Verifier> verifier_;
  std::string task_id_;
};

TEST_F(VerifierTest, PassesWithProofAndACommitSinceTheTaskStarted) {
  auto id = task_in_review(done_report());
  git(repo_, {"commit", "-q", "--allow-empty", "-m", "new work"});
  ASSERT_TRUE(run(id));
  auto r = report(id);
  EXPECT_EQ(r.verified, "passed") << r.check_log;
  EXPECT_NE(r.check_log.find("proof: present"), std::string::npos) << r.check_log;
  EXPECT_NE(r.check_log.find("\"new work\""), std::string::npos) << r.check_log;
  EXPECT_NE(r.check_log.find("tests: skipped"), std::string::npos) << r.check_log;
  EXPECT_TRUE(r.checked_at_ms);
  auto t = task();
  EXPECT_EQ(t.status, TaskStatus::kDone);
  EXPECT_TRUE(t.done_at_ms);
  auto h = store_->tasks().history(task_id_);
  EXPECT_EQ(h->back().actor, kVerifierActor);
  EXPECT_EQ(h->back().to, "done");
  EXPECT_EQ(h->back().reason.rfind("checked", 0), 0u) << h->back().reason;
  EXPECT_NE(std::find(events_.types.begin(), events_.types.end(), "report.checked"),
            events_.types.end());
  EXPECT_EQ(events_.types.back(), "task.updated");
  // A second check of the same report does nothing.
  ASSERT_TRUE(run(id));
  EXPECT_EQ(store_->tasks().history(task_id_)->size(), h->size());
}

TEST_F(VerifierTest, NoCommitSinceTheTaskStartedSendsItBackWithTheLog) {
  auto id = task_in_review(done_report());
  ASSERT_TRUE(run(id));
  auto r = report(id);
  EXPECT_EQ(r.verified, "failed");
  EXPECT_NE(r.check_log.find("no commit in " + repo_.string()), std::string::npos) << r.check_log;
  EXPECT_NE(r.check_log.find("\"old work\""), std::string::npos) << r.check_log;
  auto t = task();
  EXPECT_EQ(t.status, TaskStatus::kInProgress);
  EXPECT_EQ(t.assignee, "ag_kai00000");
  auto h = store_->tasks().history(task_id_);
  EXPECT_EQ(h->back().actor, kVerifierActor);
  EXPECT_NE(h->back().reason.find("no commit"), std::string::npos) << h->back().reason;
  auto comments = store_->tasks().comments(task_id_);
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ(comments->front().author, kVerifierActor);
  EXPECT_NE(comments->front().body.find("no commit"), std::string::npos);
}

TEST_F(VerifierTest, PartialReportWithoutProofFails) {
  auto id = task_in_review(Json{{"status", "partial"}, {"summary", "half"}});
  git(repo_, {"commit", "-q", "--allow-empty", "-m", "half the work"});
  ASSERT_TRUE(run(id));
  auto r = report(id);
  EXPECT_EQ(r.verified, "failed");
  EXPECT_NE(r.check_log.find("proof: FAILED"), std::string::npos) << r.check_log;
  EXPECT_EQ(task().status, TaskStatus::kInProgress);
}

TEST_F(VerifierTest, OutsideAGitWorkTreeTheCommitStepIsSkipped) {
  auto plain = dir_ / "plain";
  std::filesystem::create_directories(plain);
  set_agent_cwd(plain);
  auto id = task_in_review(done_report());
  ASSERT_TRUE(run(id));
  auto r = report(id);
  EXPECT_EQ(r.verified, "passed") << r.check_log;
  EXPECT_NE(r.check_log.find("not inside a git work tree"), std::string::npos) << r.check_log;
  EXPECT_EQ(task().status, TaskStatus::kDone);
}

TEST_F(VerifierTest, TheTestCommandHookDecides) {
  verifier_->set_test_command([](const Task&) {
    return std::vector<std::string>{"sh", "-c", "echo ran in $(pwd) for $BOSUN_TASK; exit 1"};
  });
  auto id = task_in_review(done_report());
  git(repo_, {"commit", "-q", "--allow-empty", "-m", "new work"});
  ASSERT_TRUE(run(id));
  auto r = report(id);
  EXPECT_EQ(r.verified, "failed");
  EXPECT_NE(r.check_log.find("tests: FAILED"), std::string::npos) << r.check_log;
  EXPECT_NE(r.check_log.find("exit 1"), std::string::npos) << r.check_log;
  EXPECT_NE(
      r.check_log.find("ran in " + std::filesystem::canonical(repo_).string() + " for " + task_id_),
      std::string::npos)
      << r.check_log;
  EXPECT_EQ(task().status, TaskStatus::kInProgress);

  verifier_->set_test_command([](const Task&) { return std::vector<std::string>{"true"}; });
  auto second = task_in_review(done_report());
  git(repo_, {"commit", "-q", "--allow-empty", "-m", "more work"});
  ASSERT_TRUE(run(second));
  EXPECT_EQ(report(second).verified, "passed") << report(second).check_log;
  EXPECT_NE(report(second).check_log.find("tests: `true` passed"), std::string::npos);
  EXPECT_EQ(task().status, TaskStatus::kDone);
}

TEST_F(VerifierTest, ATaskThatLeftReviewMeanwhileStaysWhereItIs) {
  auto id = task_in_review(done_report());
  git(repo_, {"commit", "-q", "--allow-empty", "-m", "new work"});
  TaskChange reject;
  reject.status = TaskStatus::kInProgress;
  reject.reason = "rejected by user: not like this";
  ASSERT_TRUE(store_->tasks().update(task_id_, reject, "user", to_unix_ms(clock_.now())));
  ASSERT_TRUE(run(id));
  EXPECT_EQ(report(id).verified, "passed");
  EXPECT_EQ(task().status, TaskStatus::kInProgress);
  EXPECT_EQ(store_->tasks().history(task_id_)->back().actor, "user");
}

}  // namespace
}  // namespace bosun
