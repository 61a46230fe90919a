// AgentWatch on a manual clock: heartbeats and their deadline, the stuck watch, the loop check
// and context resets by count and by age — each rule's timing, in milliseconds of test time.
#include "crew/agent_watch.h"

#include <gtest/gtest.h>

#include "util/clock.h"

namespace bosun {
namespace {

using namespace std::chrono_literals;

class AgentWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_.record.id = "ag_kai";
    agent_.record.name = "kai";
    agent_.record.created_at_ms = to_unix_ms(clock_.now());
    agent_.state = AgentState::kIdle;
    agent_.takes_tasks = true;                          // an agent CLI, which bosun may type into
    w_.seen = w_.last_heartbeat = clock_.steady_now();  // as the supervisor's first look does
  }
  WatchDue look() {
    WatchInput in;
    in.now = clock_.steady_now();
    in.now_ms = to_unix_ms(clock_.now());
    in.last_output = last_output_;
    in.counters = counters_;
    return watch_agent(agent_, w_, config_, in);
  }
  void print(AgentState state) {
    agent_.state = state;
    last_output_ = clock_.steady_now();
  }

  ManualClock clock_;
  AgentView agent_;
  Watch w_;
  SupervisorConfig config_;
  std::optional<SteadyTime> last_output_;
  AgentCounters counters_;
};

TEST_F(AgentWatchTest, AnIdleAgentIsAskedEveryIntervalAndMissesOnlyAfterTheAnswerTime) {
  config_.heartbeat = 10min;
  config_.heartbeat_answer = 1min;
  auto start = clock_.steady_now();
  auto due = look();
  EXPECT_FALSE(due.send_heartbeat);
  ASSERT_TRUE(due.next);
  EXPECT_EQ(*due.next, start + 10min);

  clock_.advance(10min - 1ms);
  EXPECT_FALSE(look().send_heartbeat);
  clock_.advance(1ms);
  due = look();
  EXPECT_TRUE(due.send_heartbeat);
  EXPECT_TRUE(w_.heartbeat_pending);
  EXPECT_EQ(w_.heartbeats, 1);
  EXPECT_EQ(*due.next, clock_.steady_now() + 1min);  // the answer deadline

  clock_.advance(1min - 1ms);
  EXPECT_FALSE(look().heartbeat_missed);
  clock_.advance(1ms);
  due = look();
  EXPECT_TRUE(due.heartbeat_missed);
  EXPECT_EQ(w_.missed, 1);
  EXPECT_FALSE(due.send_heartbeat);  // the next one counts from the last sent
  EXPECT_EQ(*due.next, start + 20min);
}

// Heartbeats and resets are typed; a shell is never typed into, so it gets neither.
TEST_F(AgentWatchTest, AShellIsNeverAskedNorReset) {
  agent_.takes_tasks = false;
  agent_.record.role = "ops";
  config_.heartbeat = 1min;
  config_.reset_after_tasks = 1;
  counters_.tasks_since_reset = 5;
  clock_.advance(1h);
  auto due = look();
  EXPECT_FALSE(due.send_heartbeat);
  EXPECT_FALSE(due.reset);
  EXPECT_FALSE(w_.heartbeat_pending);
  agent_.takes_tasks = true;  // the same agent as an agent CLI is due both
  due = look();
  EXPECT_TRUE(due.send_heartbeat);
  EXPECT_TRUE(due.reset);
}

TEST_F(AgentWatchTest, AnAnsweredHeartbeatIsNotMissed) {
  config_.heartbeat = 5min;
  config_.heartbeat_answer = 30s;
  clock_.advance(5min);
  ASSERT_TRUE(look().send_heartbeat);
  w_.heartbeat_pending = false;  // the agent answered ("[SYS] Idle …")
  clock_.advance(30s);
  auto due = look();
  EXPECT_FALSE(due.heartbeat_missed);
  EXPECT_EQ(w_.missed, 0);
  EXPECT_FALSE(due.send_heartbeat);
}

TEST_F(AgentWatchTest, OnlyIdleAgentsGetHeartbeatsAndNoneWhenTheyAreOff) {
  config_.heartbeat = 1min;
  agent_.state = AgentState::kWorking;
  clock_.advance(5min);
  EXPECT_FALSE(look().send_heartbeat);
  agent_.state = AgentState::kIdle;
  config_.heartbeat = 0ms;
  auto due = look();
  EXPECT_FALSE(due.send_heartbeat);
  EXPECT_FALSE(due.next);
}

TEST_F(AgentWatchTest, AWorkingAgentWithNoOutputIsStuckOnceUntilItPrintsAgain) {
  config_.stuck_after = 20min;
  print(AgentState::kWorking);
  auto printed = clock_.steady_now();
  auto due = look();
  EXPECT_FALSE(due.stuck_for);
  EXPECT_TRUE(due.check_loop);
  ASSERT_TRUE(due.next);
  EXPECT_EQ(*due.next, clock_.steady_now() + 5s);  // the loop check, stuck_after / 4 at most 5 s

  clock_.advance(20min - 1ms);
  EXPECT_FALSE(look().stuck_for);
  clock_.advance(1ms);
  due = look();
  ASSERT_TRUE(due.stuck_for);
  EXPECT_EQ(*due.stuck_for, 20min);
  clock_.advance(10min);
  EXPECT_FALSE(look().stuck_for);  // reported once for that output

  print(AgentState::kWorking);
  EXPECT_GT(*last_output_, printed);
  clock_.advance(20min);
  EXPECT_TRUE(look().stuck_for);  // new output, new watch
}

TEST_F(AgentWatchTest, AWaitingAgentIsStuckTooButGetsNoLoopCheck) {
  config_.stuck_after = 2min;
  print(AgentState::kWaitingInput);
  auto due = look();
  EXPECT_FALSE(due.check_loop);
  ASSERT_TRUE(due.next);
  EXPECT_EQ(*due.next, clock_.steady_now() + 5s);  // looked at again within 5 s while it waits
  clock_.advance(2min);
  EXPECT_TRUE(look().stuck_for);
}

TEST_F(AgentWatchTest, TheNextLookIsTheStuckDeadlineWhenItIsNearerThanTheLoopCheck) {
  config_.stuck_after = 20min;
  print(AgentState::kWorking);
  clock_.advance(20min - 1s);
  auto due = look();
  EXPECT_FALSE(due.stuck_for);
  ASSERT_TRUE(due.next);
  EXPECT_EQ(*due.next, clock_.steady_now() + 1s);  // not the loop check's 5 s
  config_.stuck_after = 100ms;                     // a short watch checks loops every 50 ms
  print(AgentState::kWorking);
  due = look();
  EXPECT_EQ(*due.next, clock_.steady_now() + 50ms);
}

TEST_F(AgentWatchTest, AResetIsDueAfterNTasksWhenIdle) {
  config_.reset_after_tasks = 3;
  counters_.tasks_since_reset = 2;
  EXPECT_FALSE(look().reset);
  counters_.tasks_since_reset = 3;
  agent_.state = AgentState::kWorking;
  EXPECT_FALSE(look().reset);  // not while it works
  agent_.state = AgentState::kIdle;
  auto due = look();
  ASSERT_TRUE(due.reset);
  EXPECT_EQ(*due.reset, "3 tasks finished since the last reset");
  w_.resetting = true;  // the supervisor restarted it
  EXPECT_FALSE(look().reset);
}

TEST_F(AgentWatchTest, AResetIsDueByAgeFromCreationOrTheLastReset) {
  config_.reset_after = 3h;
  auto due = look();
  EXPECT_FALSE(due.reset);
  ASSERT_TRUE(due.next);
  EXPECT_EQ(*due.next, clock_.steady_now() + 3h);
  clock_.advance(3h - 1s);
  EXPECT_FALSE(look().reset);
  clock_.advance(1s);
  due = look();
  ASSERT_TRUE(due.reset);
  EXPECT_EQ(*due.reset, "3h since the last reset");
  // After a reset the age counts from it.
  counters_.last_reset_ms = to_unix_ms(clock_.now());
  w_.resetting = false;
  clock_.advance(1h);
  due = look();
  EXPECT_FALSE(due.reset);
  EXPECT_EQ(*due.next, clock_.steady_now() + 2h);
}

TEST_F(AgentWatchTest, AResetIsDueOnceTheContextIsAsFullAsTheSettingWhenIdle) {
  config_.reset_at_context = 80;
  EXPECT_FALSE(look().reset);  // no reading yet: unknown is not full
  agent_.context = ContextGauge{79, 158'000, 200'000, "hook", 0};
  EXPECT_FALSE(look().reset);
  agent_.context->percent = 80;
  agent_.state = AgentState::kWorking;  // not in the middle of a turn
  EXPECT_FALSE(look().reset);
  agent_.state = AgentState::kIdle;
  auto due = look();
  ASSERT_TRUE(due.reset);
  EXPECT_EQ(*due.reset, "its context is 80% full (reset_at_context 80%)");
  config_.reset_at_context = 0;  // off
  EXPECT_FALSE(look().reset);
}

TEST_F(AgentWatchTest, AnAgentWhoseProgramDoesNotRunHasNothingDue) {
  config_.heartbeat = 1min;
  config_.stuck_after = 1min;
  config_.reset_after_tasks = 1;
  counters_.tasks_since_reset = 5;
  for (AgentState s :
       {AgentState::kStarting, AgentState::kStopping, AgentState::kExited, AgentState::kLost}) {
    agent_.state = s;
    clock_.advance(10min);
    auto due = look();
    EXPECT_FALSE(due.send_heartbeat || due.stuck_for || due.reset || due.next) << to_string(s);
  }
}

}  // namespace
}  // namespace bosun
