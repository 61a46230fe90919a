// AgentStateMachine: every move of the table allowed or refused, and what a move records,
// logs and publishes.
#include "agent/agent_state.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "support/store_fixture.h"

namespace bosun {
namespace {

using A = AgentState;

constexpr A kAll[] = {A::kStarting,    A::kRunning, A::kWorking,  A::kIdle,   A::kWaitingInput,
                      A::kRateLimited, A::kErrored, A::kStopping, A::kExited, A::kLost};
constexpr A kDetected[] = {A::kWorking, A::kIdle, A::kWaitingInput, A::kRateLimited, A::kErrored};

// The allowed moves, written out one by one (not computed the way the table is).
std::set<std::pair<A, A>> allowed_moves() {
  std::set<std::pair<A, A>> ok;
  for (A to : {A::kRunning, A::kStopping, A::kExited, A::kLost})
    ok.insert({A::kStarting, to});
  std::vector<A> live = {A::kRunning};
  live.insert(live.end(), std::begin(kDetected), std::end(kDetected));
  for (A from : live) {
    for (A to : live) {
      if (from != to) ok.insert({from, to});
    }
    for (A to : {A::kStopping, A::kExited, A::kLost})
      ok.insert({from, to});
  }
  for (A to : {A::kExited, A::kLost, A::kRunning})
    ok.insert({A::kStopping, to});
  ok.insert({A::kExited, A::kStarting});
  ok.insert({A::kExited, A::kLost});
  ok.insert({A::kLost, A::kStarting});
  return ok;
}

TEST(AgentStateTable, EveryMoveIsAllowedOrRefusedAsDocumented) {
  auto ok = allowed_moves();
  int allowed = 0;
  for (A from : kAll) {
    for (A to : kAll) {
      if (from == to) continue;
      bool expected = ok.count({from, to}) > 0;
      EXPECT_EQ(agent_transition_allowed(from, to), expected)
          << to_string(from) << " → " << to_string(to);
      allowed += expected ? 1 : 0;
    }
  }
  EXPECT_EQ(allowed, 58);  // of the 90 moves between different states
}

TEST(AgentStateTable, LiveAndProcessStatesAreDefinedOnce) {
  std::set<A> live(std::begin(kDetected), std::end(kDetected));
  live.insert(A::kRunning);
  for (A s : kAll) {
    EXPECT_EQ(is_live(s), live.count(s) > 0) << to_string(s);
    bool process = live.count(s) > 0 || s == A::kStarting || s == A::kStopping;
    EXPECT_EQ(has_process(s), process) << to_string(s);
    EXPECT_EQ(detected_state(s),
              std::set<A>(std::begin(kDetected), std::end(kDetected)).count(s) > 0)
        << to_string(s);
  }
}

TEST(AgentStateTable, EveryStateHasANameThatParsesBack) {
  std::set<std::string_view> names;
  for (A s : kAll) {
    auto name = to_string(s);
    EXPECT_NE(name, "unknown");
    names.insert(name);
    EXPECT_EQ(parse_agent_state(name), s);
  }
  EXPECT_EQ(names.size(), std::size(kAll));
  EXPECT_FALSE(parse_agent_state("sleeping"));
}

class AgentStateMachineTest : public testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    record_.id = "ag_kai00000";
    record_.name = "kai";
    record_.created_at_ms = 1;
    ASSERT_TRUE(store_->agents().insert(record_));
    machine_ =
        std::make_unique<AgentStateMachine>(record_, AgentStateSinks{*store_runner_, log_, clock_});
  }
  void TearDown() override {
    machine_.reset();
    StoreFixture::TearDown();
  }
  AgentRecord stored() { return *store_->agents().find("kai"); }

  AgentRecord record_;
  std::unique_ptr<AgentStateMachine> machine_;
};

TEST_F(AgentStateMachineTest, AMoveIsWrittenAndPublishedWithWhatItRestsOn) {
  ASSERT_TRUE(machine_->enter(A::kRunning));
  clock_.advance(Millis(1500));
  Signal screen;
  screen.state = A::kWaitingInput;
  screen.source = SignalSource::kScreen;
  screen.confidence = 0.9;
  screen.evidence = "claude.permission";
  screen.detail = "Do you want to proceed?";
  screen.row = 12;
  ASSERT_TRUE(machine_->enter(screen));

  EXPECT_EQ(machine_->state(), A::kWaitingInput);
  EXPECT_EQ(machine_->source(), SignalSource::kScreen);
  AgentRecord row = stored();
  EXPECT_EQ(row.state, "waiting_input");
  EXPECT_EQ(row.state_source, "screen");
  EXPECT_EQ(row.state_since_ms, to_unix_ms(clock_.now()));

  ASSERT_EQ(events_.seen.size(), 2u);
  const Event& e = events_.seen.back();
  EXPECT_EQ(e.type, "agent.state");
  EXPECT_EQ(e.subject, "ag_kai00000");
  Json data = event_data(e);
  EXPECT_EQ(data["from"], "running");
  EXPECT_EQ(data["state"], "waiting_input");
  EXPECT_EQ(data["source"], "screen");
  EXPECT_EQ(data["evidence"], "claude.permission");
  EXPECT_EQ(data["detail"], "Do you want to proceed?");
  EXPECT_EQ(data["row"], 12);
  EXPECT_DOUBLE_EQ(data["confidence"].get<double>(), 0.9);
  EXPECT_EQ(data["since"], format_time(clock_.now()));
}

TEST_F(AgentStateMachineTest, TheSameStateRefinesEvidenceWithoutAWriteOrAnEvent) {
  ASSERT_TRUE(machine_->enter(A::kRunning));
  Signal output{A::kWorking, SignalSource::kOutput, 0.6, "output"};
  ASSERT_TRUE(machine_->enter(output));
  size_t events = events_.seen.size();
  int64_t since = stored().state_since_ms;
  clock_.advance(Millis(100));
  Signal busy{A::kWorking, SignalSource::kScreen, 0.95, "claude.busy"};
  EXPECT_FALSE(machine_->enter(busy));
  EXPECT_EQ(events_.seen.size(), events);
  EXPECT_EQ(machine_->reading().evidence, "claude.busy");
  EXPECT_EQ(machine_->source(), SignalSource::kScreen);
  EXPECT_EQ(stored().state_since_ms, since);
  EXPECT_EQ(stored().state_source, "output");  // in memory only until the next move
}

TEST_F(AgentStateMachineTest, ARefusedMoveChangesNothing) {
  ASSERT_TRUE(machine_->enter(A::kRunning));
  ASSERT_TRUE(machine_->enter(A::kExited));
  size_t events = events_.seen.size();
  Signal idle{A::kIdle, SignalSource::kScreen, 0.9, "shell.prompt"};
  EXPECT_FALSE(machine_->enter(idle));          // exited → idle is not a move
  EXPECT_FALSE(machine_->enter(A::kStopping));  // nor is exited → stopping
  EXPECT_EQ(machine_->state(), A::kExited);
  EXPECT_EQ(stored().state, "exited");
  EXPECT_EQ(events_.seen.size(), events);
}

TEST_F(AgentStateMachineTest, EveryAllowedMoveFromEveryStateIsMade) {
  // Walk each allowed move from a machine placed in its start state.
  for (const auto& [from, to] : allowed_moves()) {
    record_.state = std::string(to_string(from));
    record_.state_source = "process";
    AgentStateMachine m(record_, AgentStateSinks{*store_runner_, log_, clock_});
    ASSERT_EQ(m.state(), from);
    size_t before = events_.seen.size();
    EXPECT_TRUE(m.enter(to)) << to_string(from) << " → " << to_string(to);
    EXPECT_EQ(stored().state, to_string(to));
    ASSERT_EQ(events_.seen.size(), before + 1);
    EXPECT_EQ(event_data(events_.seen.back())["from"], to_string(from));
  }
}

TEST_F(AgentStateMachineTest, AnUnknownRecordedStateReadsAsLost) {
  record_.state = "hibernating";
  AgentStateMachine m(record_, AgentStateSinks{*store_runner_, log_, clock_});
  EXPECT_EQ(m.state(), A::kLost);
  EXPECT_TRUE(m.enter(A::kStarting));
}

}  // namespace
}  // namespace bosun
