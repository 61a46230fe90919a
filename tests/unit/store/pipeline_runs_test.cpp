// PipelineRunStore against a real SQLite file: a run and its steps round-trip whole, lists
// filter, and only unfinished runs come back after a restart.
#include "store/pipeline_runs.h"

#include <gtest/gtest.h>

#include "support/store_fixture.h"

namespace bosun {
namespace {

class PipelineRunStoreTest : public testing::StoreFixture {
 protected:
  PipelineRun make(const std::string& id, const std::string& state, int64_t at) {
    PipelineRun r;
    r.id = id;
    r.pipeline = "feature";
    r.definition = "name: feature\n";
    r.file = "feature.yaml";
    r.task_id = "t_" + id;
    r.project_id = "pr_1";
    r.branch = "bosun-run/" + id;
    r.worktree = "/tmp/w";
    r.base_branch = "main";
    r.base_commit = "abc";
    r.state = state;
    r.created_by = "user";
    r.created_at_ms = r.updated_at_ms = at;
    return r;
  }
};

TEST_F(PipelineRunStoreTest, ARunAndItsStepsRoundTrip) {
  PipelineRun r = make("run_a", "running", 10);
  StepRun s;
  s.id = "tests";
  s.state = "failed";
  s.attempts = 2;
  s.discard = true;
  s.changed = {"tests/a_test.sh", "src/a.sh"};
  s.test_files = {"tests/a_test.sh"};
  s.headless_runs = {"hr_1", "hr_2"};
  s.report = Json{{"status", "done"}};
  s.gates.push_back(GateResult{"tests_red", "failed", "the tests pass already", 7});
  s.evidence = "attempt 1 failed";
  s.started_at_ms = 5;
  r.steps = {s, StepRun{.id = "code"}};
  r.loops = 2;
  ASSERT_TRUE(store_->pipeline_runs().insert(r));
  auto back = store_->pipeline_runs().find("run_a");
  ASSERT_TRUE(back && *back);
  const PipelineRun& b = **back;
  EXPECT_EQ(b.loops, 2);
  ASSERT_EQ(b.steps.size(), 2u);
  const StepRun& t = b.steps[0];
  EXPECT_EQ(t.state, "failed");
  EXPECT_EQ(t.attempts, 2);
  EXPECT_TRUE(t.discard);
  EXPECT_EQ(t.test_files, std::vector<std::string>{"tests/a_test.sh"});
  EXPECT_EQ(t.headless_runs.size(), 2u);
  EXPECT_EQ(t.report["status"], "done");
  ASSERT_EQ(t.gates.size(), 1u);
  EXPECT_EQ(t.gates[0].evidence, "the tests pass already");
  EXPECT_EQ(t.started_at_ms, 5);
  EXPECT_FALSE(t.ended_at_ms);
  EXPECT_EQ(b.steps[1].state, "pending");
  EXPECT_FALSE(*store_->pipeline_runs().find("run_nosuch"));
}

TEST_F(PipelineRunStoreTest, ListsFilterAndOnlyUnfinishedRunsResume) {
  ASSERT_TRUE(store_->pipeline_runs().insert(make("run_a", "merged", 1)));
  ASSERT_TRUE(store_->pipeline_runs().insert(make("run_b", "waiting", 2)));
  ASSERT_TRUE(store_->pipeline_runs().insert(make("run_c", "running", 3)));
  ASSERT_TRUE(store_->pipeline_runs().insert(make("run_d", "cancelled", 4)));
  auto all = store_->pipeline_runs().list(std::nullopt, std::nullopt);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().id, "run_d");  // newest first
  auto waiting = store_->pipeline_runs().list(std::string("waiting"), std::nullopt);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ(waiting->front().id, "run_b");
  auto of_task = store_->pipeline_runs().list(std::nullopt, std::string("t_run_c"));
  ASSERT_EQ(of_task->size(), 1u);
  auto open = store_->pipeline_runs().unfinished();
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, "run_b");
  EXPECT_EQ((*open)[1].id, "run_c");
}

}  // namespace
}  // namespace bosun
