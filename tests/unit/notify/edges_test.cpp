// Edges: which events open, close or once-tell which condition, with what words — and the
// events that must not.
#include "notify/edges.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

using Move = EdgeMove::Move;

std::vector<EdgeMove> moves(const std::string& type, const std::string& subject, const Json& data,
                            const EdgeFacts& facts = {}) {
  Event e;
  e.seq = 42;
  e.type = type;
  e.subject = subject;
  e.data = data.dump();
  return edge_moves(e, data, facts);
}

const EdgeMove* find(const std::vector<EdgeMove>& ms, const std::string& key) {
  for (const auto& m : ms) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

TEST(Edges, AnAgentWaitingForAnAnswerOpensWithTheQuestionAndAnyOtherStateClosesIt) {
  EdgeFacts facts{"backend", "pr_1", false, 0};
  auto open =
      moves("agent.state", "ag_1",
            Json{{"name", "kai"}, {"state", "waiting_input"}, {"detail", "Allow edits to a.txt?"}},
            facts);
  const EdgeMove* m = find(open, "waiting:ag_1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->move, Move::kOpen);
  EXPECT_EQ(m->kind, EdgeKind::kWaitingInput);
  EXPECT_EQ(m->title, "kai is waiting for you");
  EXPECT_EQ(m->body, "Allow edits to a.txt?");
  EXPECT_EQ(m->link, "#/terminals/kai");
  EXPECT_EQ(m->role, "backend");
  EXPECT_EQ(m->project, "pr_1");
  auto working = moves("agent.state", "ag_1", Json{{"name", "kai"}, {"state", "working"}});
  ASSERT_TRUE(find(working, "waiting:ag_1"));
  EXPECT_EQ(find(working, "waiting:ag_1")->move, Move::kClose);
  EXPECT_FALSE(find(working, "stuck:ag_1"));  // still working: still stuck
  auto idle = moves("agent.state", "ag_1", Json{{"name", "kai"}, {"state", "idle"}});
  ASSERT_TRUE(find(idle, "stuck:ag_1"));
  EXPECT_EQ(find(idle, "stuck:ag_1")->move, Move::kClose);
}

TEST(Edges, OnlyAnExitNobodyAskedForIsNews) {
  auto crash =
      moves("agent.exited", "ag_1",
            Json{{"name", "kai"}, {"exit_code", nullptr}, {"signal", 9}, {"then", "none"}});
  ASSERT_EQ(crash.size(), 1u);
  EXPECT_EQ(crash[0].move, Move::kOnce);
  EXPECT_EQ(crash[0].key, "exited:ag_1:42");
  EXPECT_EQ(crash[0].title, "kai exited (killed by signal 9)");
  auto failed =
      moves("agent.exited", "ag_1", Json{{"name", "kai"}, {"exit_code", 3}, {"then", "none"}});
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].title, "kai exited (exit 3)");
  // Stopped or restarted by a person or the supervisor, or a clean exit: not news.
  EXPECT_TRUE(moves("agent.exited", "ag_1", Json{{"name", "kai"}, {"signal", 15}, {"then", "stop"}})
                  .empty());
  EXPECT_TRUE(
      moves("agent.exited", "ag_1", Json{{"name", "kai"}, {"exit_code", 1}, {"then", "restart"}})
          .empty());
  EXPECT_TRUE(
      moves("agent.exited", "ag_1", Json{{"name", "kai"}, {"exit_code", 0}, {"then", "none"}})
          .empty());
  auto lost = moves("agent.lost", "ag_1", Json{{"name", "kai"}, {"reason", "holder gone"}});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].kind, EdgeKind::kExited);
  EXPECT_EQ(lost[0].body, "holder gone");
}

TEST(Edges, StuckAndFailingOpenAndARemovedAgentClosesAll) {
  auto stuck =
      moves("agent.stuck", "ag_1", Json{{"name", "kai"}, {"message", "no output for 20m"}});
  ASSERT_EQ(stuck.size(), 1u);
  EXPECT_EQ(stuck[0].kind, EdgeKind::kStuck);
  EXPECT_EQ(stuck[0].body, "no output for 20m");
  auto failing = moves("agent.failing", "ag_1",
                       Json{{"name", "kai"}, {"errors", 3}, {"window", "10m"}, {"detail", "503"}});
  ASSERT_EQ(failing.size(), 1u);
  EXPECT_EQ(failing[0].key, "failing:ag_1");
  EXPECT_EQ(failing[0].body, "3 API errors within 10m; last: 503");
  auto removed = moves("agent.removed", "ag_1", Json{{"name", "kai"}});
  EXPECT_EQ(removed.size(), 3u);
  for (const auto& m : removed)
    EXPECT_EQ(m.move, Move::kClose);
  EXPECT_TRUE(moves("agent.created", "ag_1", Json{{"name", "kai"}}).empty());
}

TEST(Edges, ATaskInReviewOpensLeavingReviewClosesAndTheBoardFinishes) {
  Json task{{"title", "Ship it"}, {"role", "backend"}, {"project_id", "pr_1"}};
  auto review =
      moves("task.updated", "t_1", Json{{"task", task}, {"from", "in_progress"}, {"to", "review"}});
  const EdgeMove* m = find(review, "review:t_1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->move, Move::kOpen);
  EXPECT_EQ(m->title, "Task in review: Ship it");
  EXPECT_EQ(m->link, "#/review/t_1");
  EXPECT_EQ(m->project, "pr_1");
  EXPECT_EQ(find(review, "board")->move, Move::kClose);  // work is open again
  auto approved =
      moves("task.updated", "t_1", Json{{"task", task}, {"from", "review"}, {"to", "done"}},
            EdgeFacts{"", "", true, 7});
  EXPECT_EQ(find(approved, "review:t_1")->move, Move::kClose);
  ASSERT_TRUE(find(approved, "board"));
  EXPECT_EQ(find(approved, "board")->move, Move::kOpen);
  EXPECT_EQ(find(approved, "board")->body, "7 tasks done, nothing left to work on");
  auto not_yet =
      moves("task.updated", "t_1", Json{{"task", task}, {"from", "review"}, {"to", "done"}});
  EXPECT_FALSE(find(not_yet, "board"));
  auto renamed = moves("task.updated", "t_1", Json{{"task", task}});  // no status change
  EXPECT_TRUE(renamed.empty());
  auto parked =
      moves("task.created", "t_2", Json{{"task", Json{{"title", "x"}, {"status", "backlog"}}}});
  EXPECT_TRUE(parked.empty());
}

TEST(Edges, APipelineGateWaitsAndARunsEndIsToldOnce) {
  auto waiting =
      moves("pipeline.run.waiting", "run_1", Json{{"run", "run_1"}, {"reason", "gate human"}});
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].kind, EdgeKind::kReview);
  EXPECT_EQ(waiting[0].move, Move::kOpen);
  auto resumed = moves("pipeline.run.resumed", "run_1", Json{{"run", "run_1"}});
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].move, Move::kClose);
  auto finished =
      moves("pipeline.run.finished", "run_1",
            Json{{"run", "run_1"}, {"state", "merged"}, {"reason", "all gates passed"}});
  const EdgeMove* once = find(finished, "finished:run_1");
  ASSERT_TRUE(once);
  EXPECT_EQ(once->kind, EdgeKind::kFinished);
  EXPECT_EQ(once->title, "Pipeline run run_1 merged");
  EXPECT_TRUE(moves("pipeline.run.started", "run_1", Json::object()).empty());  // no run id
}

TEST(Edges, AUsageLimitOpensAndItsEndIsToldWhereItWas) {
  auto limited = moves("provider.rate_limited", "claude",
                       Json{{"provider", "claude"}, {"until", "2026-12-06T10:00:00Z"}});
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0].key, "limit:claude");
  EXPECT_EQ(limited[0].title, "claude hit its usage limit");
  auto agent = moves("provider.resumed", "claude", Json{{"provider", "claude"}, {"agent", "kai"}});
  ASSERT_EQ(agent.size(), 1u);
  EXPECT_EQ(agent[0].key, "limit:claude/kai");
  EXPECT_EQ(agent[0].move, Move::kClose);
  EXPECT_EQ(agent[0].ended_title, "claude (kai) resumed after its usage limit");
}

TEST(Edges, EventsThatMoveNothingAreNotLookedAt) {
  EXPECT_TRUE(may_move_edges("agent.state"));
  EXPECT_TRUE(may_move_edges("task.updated"));
  EXPECT_FALSE(may_move_edges("message.created"));
  EXPECT_FALSE(may_move_edges("notify.edge"));
  EXPECT_TRUE(moves("message.created", "m_1", Json::object()).empty());
}

}  // namespace
}  // namespace bosun
