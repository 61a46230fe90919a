// TaskBoard: each operation's history rows and events, in one transaction.
#include "crew/task_board.h"

#include <gtest/gtest.h>

#include "support/store_fixture.h"

namespace bosun {
namespace {

class TaskBoardTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    add_agent("ag_kai", "kai");
    add_agent("ag_ana", "ana");
    board_ = std::make_unique<TaskBoard>(*store_, *bus_, clock_);
  }

  std::string add(const std::string& title) {
    NewTask n;
    n.title = title;
    auto t = board_->create(n, "user");
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    return t ? t->id : "";
  }
  // The history rows of `id` for `field`, as "from→to by actor: reason".
  std::vector<std::string> history(const std::string& id, const std::string& field = "status") {
    std::vector<std::string> out;
    auto rows = store_->tasks().history(id);
    EXPECT_TRUE(rows);
    for (const auto& h : rows.value_or(std::vector<TaskHistoryEntry>{})) {
      if (h.field != field) continue;
      out.push_back(h.from.value_or("-") + "→" + h.to.value_or("-") + " by " + h.actor + ": " +
                    h.reason);
    }
    return out;
  }
  Json last(const std::string& type) { return events_.last(type); }
  Json done_report() {
    return Json{{"status", "done"},
                {"summary", "hello written"},
                {"proof", {{"commits", {"abc"}}, {"tests", "ok"}}}};
  }

  std::unique_ptr<TaskBoard> board_;
};

TEST_F(TaskBoardTest, CreateWritesTheTaskItsFirstHistoryAndTaskCreated) {
  std::string id = add("Add a greeting");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(events_.types(), std::vector<std::string>{"task.created"});
  Json data = last("task.created");
  EXPECT_EQ(data["id"], id);
  EXPECT_EQ(data["by"], "user");
  EXPECT_EQ(data["task"]["title"], "Add a greeting");
  EXPECT_EQ(history(id), std::vector<std::string>{"-→pending by user: created"});
}

TEST_F(TaskBoardTest, ClaimAssignsOnceAndSaysWhy) {
  std::string id = add("t");
  auto won = board_->claim(id, "ag_kai", "supervisor", "dispatched");
  ASSERT_TRUE(won) << won.error().message;
  EXPECT_EQ(won->status, TaskStatus::kAssigned);
  auto lost = board_->claim(id, "ag_ana", "ana", "claimed");
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(lost.error().code, "task_claimed");
  Json data = last("task.updated");
  EXPECT_EQ(data["by"], "supervisor");
  EXPECT_EQ(data["reason"], "dispatched");
  EXPECT_EQ(data["from"], "pending");
  EXPECT_EQ(data["to"], "assigned");
  EXPECT_EQ(history(id).back(), "pending→assigned by supervisor: dispatched");
  EXPECT_EQ(store_->tasks().find(id)->assignee, "ag_kai");
}

// What an agent held goes back to the board; what it finished or another agent holds stays.
TEST_F(TaskBoardTest, ReleaseHandsBackOnlyTheTasksTheAgentHolds) {
  std::string assigned = add("assigned");
  std::string working = add("working");
  std::string reviewed = add("in review");
  std::string other = add("ana's");
  ASSERT_TRUE(board_->claim(assigned, "ag_kai", "supervisor", "dispatched"));
  ASSERT_TRUE(board_->claim(working, "ag_kai", "kai", "claimed"));
  ASSERT_TRUE(board_->claim(reviewed, "ag_kai", "kai", "claimed"));
  ASSERT_TRUE(board_->claim(other, "ag_ana", "ana", "claimed"));
  TaskChange start;
  start.status = TaskStatus::kInProgress;
  ASSERT_TRUE(board_->update(working, start, "kai"));
  TaskChange review;
  review.status = TaskStatus::kReview;
  ASSERT_TRUE(board_->update(reviewed, review, "kai"));
  events_.seen.clear();

  auto released = board_->release("ag_kai", "supervisor", "agent kai exited (code 1)");
  ASSERT_TRUE(released) << released.error().message;
  ASSERT_EQ(released->size(), 2u);
  for (const auto& id : {assigned, working}) {
    auto t = store_->tasks().find(id);
    EXPECT_EQ(t->status, TaskStatus::kPending) << id;
    EXPECT_FALSE(t->assignee) << id;
    EXPECT_EQ(history(id).back().substr(history(id).back().find(" by ")),
              " by supervisor: agent kai exited (code 1)");
  }
  EXPECT_EQ(events_.types(), (std::vector<std::string>{"task.updated", "task.updated"}));
  EXPECT_EQ(store_->tasks().find(reviewed)->status, TaskStatus::kReview);
  EXPECT_EQ(store_->tasks().find(other)->assignee, "ag_ana");
  EXPECT_TRUE(board_->release("ag_kai", "supervisor", "again")->empty());
}

TEST_F(TaskBoardTest, UpdateWithACommentWritesBothAndNothingWhenNothingChanged) {
  std::string id = add("t");
  TaskChange change;
  change.priority = 0;
  change.reason = "urgent now";
  ASSERT_TRUE(board_->update(id, change, "user", "Customers are waiting"));
  EXPECT_EQ(events_.types(),
            (std::vector<std::string>{"task.created", "task.comment", "task.updated"}));
  EXPECT_EQ(history(id, "priority"), std::vector<std::string>{"2→0 by user: urgent now"});
  ASSERT_EQ(store_->tasks().comments(id)->size(), 1u);
  // The same change again changes nothing: no history row, no event.
  size_t before = events_.seen.size();
  ASSERT_TRUE(board_->update(id, change, "user"));
  EXPECT_EQ(events_.seen.size(), before);
  EXPECT_EQ(history(id, "priority").size(), 1u);
}

TEST_F(TaskBoardTest, AnUpdateTheStateMachineRefusesWritesNothing) {
  std::string id = add("t");
  TaskChange change;
  change.status = TaskStatus::kDone;
  size_t before = events_.seen.size();
  auto r = board_->update(id, change, "user", "a comment that must not land");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(events_.seen.size(), before);
  EXPECT_TRUE(store_->tasks().comments(id)->empty());
  EXPECT_EQ(store_->tasks().find(id)->status, TaskStatus::kPending);
}

TEST_F(TaskBoardTest, AReportMovesToReviewAndOnlyTheAssigneeMayReport) {
  std::string id = add("t");
  ASSERT_TRUE(board_->claim(id, "ag_kai", "kai", "claimed"));
  auto other = board_->report(id, done_report(), "ana", std::string("ag_ana"));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::kForbidden);
  EXPECT_TRUE(store_->tasks().reports(id)->empty());

  auto r = board_->report(id, done_report(), "kai", std::string("ag_kai"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->task.status, TaskStatus::kReview);
  EXPECT_EQ(r->report.verified, "pending");
  auto types = events_.types();
  EXPECT_EQ(std::vector<std::string>(types.end() - 2, types.end()),
            (std::vector<std::string>{"report.submitted", "task.updated"}));
  EXPECT_EQ(history(id).back(), "assigned→review by kai: done report " +
                                    std::to_string(r->report.id) + ": hello written");
  // In review already: a second report is refused.
  auto again = board_->report(id, done_report(), "kai", std::string("ag_kai"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "invalid_transition");
}

// A task taken back from a stuck agent: its recovery steps are history rows and events, it is
// on the board again, and the agent it was taken from is fenced off it — its late report is
// refused saying who has it now — while an agent that never held it gets the plain refusal.
TEST_F(TaskBoardTest, ATaskTakenBackFencesTheAgentItWasTakenFrom) {
  std::string id = add("t");
  ASSERT_TRUE(board_->claim(id, "ag_kai", "supervisor", "dispatched"));
  ASSERT_TRUE(board_->note_recovery(id, "kai", "nudged", "no output for 20m"));
  EXPECT_EQ(last("task.recovery")["step"], "nudged");
  auto taken = board_->take_back(id, "ag_kai", "no output for 24m", false);
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->status, TaskStatus::kPending);
  EXPECT_FALSE(taken->assignee);
  EXPECT_EQ(history(id, "recovery"),
            (std::vector<std::string>{"kai→nudged by supervisor: no output for 20m",
                                      "kai→reassigned by supervisor: no output for 24m"}));
  EXPECT_EQ(history(id).back(),
            "assigned→pending by supervisor: taken from kai: no output for 24m");
  EXPECT_EQ(board_->times_taken_back(id).value_or(-1), 1);
  // Taking it back from an agent that does not hold it is refused.
  EXPECT_EQ(board_->take_back(id, "ag_kai", "again", false).error().code, "not_held");

  ASSERT_TRUE(board_->claim(id, "ag_ana", "supervisor", "dispatched"));
  auto late = board_->report(id, done_report(), "kai", std::string("ag_kai"));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "reassigned");
  EXPECT_EQ(late.error().message,
            id + " was taken from kai: no output for 24m; it is reassigned to ana now. Your "
                 "commits on its branch are kept for whoever takes it next");
  EXPECT_TRUE(store_->tasks().reports(id)->empty());
  // Fenced only where it was taken from: another task's refusal stays the plain one.
  std::string other = add("u");
  ASSERT_TRUE(board_->claim(other, "ag_ana", "ana", "claimed"));
  EXPECT_EQ(board_->report(other, done_report(), "kai", std::string("ag_kai")).error().code,
            "forbidden");
}

TEST_F(TaskBoardTest, ABlockedReportBlocksWithItsReason) {
  std::string id = add("t");
  ASSERT_TRUE(board_->claim(id, "ag_kai", "kai", "claimed"));
  Json blocked{{"status", "blocked"}, {"blocked_reason", "needs the API key"}};
  auto r = board_->report(id, blocked, "kai", std::string("ag_kai"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->task.status, TaskStatus::kBlocked);
  EXPECT_EQ(r->report.verified, "skipped");
  EXPECT_EQ(history(id).back(), "assigned→blocked by kai: needs the API key");
}

TEST_F(TaskBoardTest, ApproveAndRejectDecideOnlyATaskInReview) {
  std::string id = add("t");
  auto early = board_->approve(id, "user", std::nullopt);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().message,
            "cannot move " + id + " from pending to done: only a task in review can be approved");
  ASSERT_TRUE(board_->claim(id, "ag_kai", "kai", "claimed"));
  ASSERT_TRUE(board_->report(id, done_report(), "kai", std::string("ag_kai")));
  auto rejected = board_->reject(id, "user", "the greeting is misspelt");
  ASSERT_TRUE(rejected) << rejected.error().message;
  // Back to the same agent, not yet restarted: the supervisor hands it back when it is free.
  EXPECT_EQ(rejected->status, TaskStatus::kAssigned);
  EXPECT_EQ(rejected->assignee, "ag_kai");
  EXPECT_EQ(history(id).back(),
            "review→assigned by user: rejected by user: the greeting is misspelt");
  auto back = store_->tasks().returned_to("ag_kai");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->id, id);
  EXPECT_EQ(store_->tasks().comments(id)->back().body, "Rejected: the greeting is misspelt");
  ASSERT_TRUE(board_->report(id, done_report(), "kai", std::string("ag_kai")));
  auto approved = board_->approve(id, "user", std::string("looks good"));
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->status, TaskStatus::kDone);
  EXPECT_EQ(history(id).back(), "review→done by user: approved by user: looks good");
}

TEST_F(TaskBoardTest, ACheckMovesATaskInReviewAndLeavesADecidedOneAlone) {
  std::string id = add("t");
  ASSERT_TRUE(board_->claim(id, "ag_kai", "kai", "claimed"));
  auto r = board_->report(id, done_report(), "kai", std::string("ag_kai"));
  ASSERT_TRUE(r);
  CheckResult failed{
      r->report.id,      id, false, "tests: FAILED", TaskStatus::kInProgress, "check failed",
      "The check failed"};
  ASSERT_TRUE(board_->record_check(failed, "verifier"));
  EXPECT_EQ(store_->tasks().find(id)->status, TaskStatus::kInProgress);
  EXPECT_EQ(store_->tasks().find_report(r->report.id)->verified, "failed");
  EXPECT_EQ(last("report.checked")["verified"], "failed");
  EXPECT_EQ(history(id).back(), "review→in_progress by verifier: check failed");
  EXPECT_EQ(store_->tasks().comments(id)->back().body, "The check failed");

  // A verdict on a task no longer in review records the check and moves nothing.
  CheckResult late{r->report.id, id, true, "ok", TaskStatus::kDone, "checked", ""};
  size_t rows = store_->tasks().history(id)->size();
  ASSERT_TRUE(board_->record_check(late, "verifier"));
  EXPECT_EQ(store_->tasks().find(id)->status, TaskStatus::kInProgress);
  EXPECT_EQ(store_->tasks().history(id)->size(), rows);
  EXPECT_EQ(last("report.checked")["verified"], "passed");
}

TEST_F(TaskBoardTest, RemoveDeletesAnUnstartedTaskAndSaysWho) {
  std::string id = add("t");
  ASSERT_TRUE(board_->remove(id, "user"));
  EXPECT_EQ(last("task.deleted")["by"], "user");
  EXPECT_FALSE(store_->tasks().find(id));
  EXPECT_EQ(board_->remove(id, "user").error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace bosun
