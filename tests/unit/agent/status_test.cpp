// Status: names, JSON, and the arbiter's rule that a weaker signal never overrides a fresher
// stronger one.
#include "agent/status.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

Signal sig(AgentState state, SignalSource source, std::string evidence = "e") {
  Signal s;
  s.state = state;
  s.source = source;
  s.evidence = std::move(evidence);
  return s;
}

TEST(Status, StateAndSourceNamesRoundTrip) {
  for (auto s :
       {AgentState::kStarting, AgentState::kWorking, AgentState::kIdle, AgentState::kWaitingInput,
        AgentState::kRateLimited, AgentState::kErrored, AgentState::kExited}) {
    EXPECT_EQ(parse_agent_state(to_string(s)), s);
  }
  EXPECT_EQ(to_string(AgentState::kWaitingInput), "waiting_input");
  EXPECT_FALSE(detected_state(parse_agent_state("running").value()));  // the process decides it
  EXPECT_FALSE(parse_agent_state("sleeping"));
  EXPECT_EQ(parse_signal_source("quiescence"), SignalSource::kQuiescence);
  EXPECT_LT(strength(SignalSource::kScreen), strength(SignalSource::kHook));
  EXPECT_LT(strength(SignalSource::kOutput), strength(SignalSource::kScreen));
}

TEST(Status, JsonCarriesTheEvidence) {
  Signal s = sig(AgentState::kRateLimited, SignalSource::kScreen, "codex.usage-limit");
  s.confidence = 0.876;
  s.row = 3;
  s.reset_at_ms = 42;
  s.reset_text = "2 hours";
  Json j = to_json(s);
  EXPECT_EQ(j["state"], "rate_limited");
  EXPECT_EQ(j["source"], "screen");
  EXPECT_EQ(j["confidence"], 0.88);
  EXPECT_EQ(j["evidence"], "codex.usage-limit");
  EXPECT_EQ(j["row"], 3);
  EXPECT_EQ(j["reset_at_ms"], 42);
  EXPECT_FALSE(j.contains("dialog"));
}

TEST(StatusArbiter, StrongerOrEqualSourcesReplace) {
  StatusArbiter a;
  EXPECT_TRUE(a.offer(sig(AgentState::kStarting, SignalSource::kProcess), 0));
  EXPECT_TRUE(a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 10));
  EXPECT_TRUE(a.offer(sig(AgentState::kIdle, SignalSource::kScreen), 20));
  EXPECT_EQ(a.current()->state, AgentState::kIdle);
  EXPECT_EQ(a.since_ms(), 20);
  // Screen and output readings hold only until newer evidence arrives.
  EXPECT_TRUE(a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 30));
  EXPECT_EQ(a.current()->source, SignalSource::kOutput);
}

TEST(StatusArbiter, AHookHoldsAgainstTheScreenUntilAStrongerOrEqualSignal) {
  StatusArbiter a;
  a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 0);
  EXPECT_TRUE(a.offer(sig(AgentState::kWaitingInput, SignalSource::kHook, "PermissionRequest"), 5));
  EXPECT_FALSE(a.offer(sig(AgentState::kIdle, SignalSource::kScreen), 10'000'000));
  EXPECT_FALSE(a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 10'000'001));
  EXPECT_EQ(a.current()->state, AgentState::kWaitingInput);
  EXPECT_TRUE(a.offer(sig(AgentState::kWorking, SignalSource::kHook, "PostToolUse"), 10'000'002));
  EXPECT_TRUE(a.offer(sig(AgentState::kIdle, SignalSource::kProtocol), 10'000'003));
}

TEST(StatusArbiter, ASettledScreenReplacesAStaleHookItContradicts) {
  StatusArbiter a;
  // Claude Code fires no hook when a person interrupts it: the hook said working, the quiet
  // screen shows the composer.
  a.offer(sig(AgentState::kWorking, SignalSource::kHook, "UserPromptSubmit"), 1000);
  EXPECT_EQ(a.held_until_ms(), 1000 + StatusArbiter::kStaleHoldMs);
  Signal idle = sig(AgentState::kIdle, SignalSource::kScreen, "claude.composer");
  EXPECT_FALSE(a.offer(idle, 1000 + StatusArbiter::kStaleHoldMs - 1, /*settled=*/true));
  EXPECT_FALSE(a.offer(idle, 1000 + StatusArbiter::kStaleHoldMs, /*settled=*/false));
  EXPECT_TRUE(a.offer(idle, 1000 + StatusArbiter::kStaleHoldMs, /*settled=*/true));
  EXPECT_EQ(a.current()->source, SignalSource::kScreen);
  EXPECT_EQ(a.held_until_ms(), std::nullopt);  // a screen state holds against nothing
  // A settled screen that agrees leaves the hook's word (and its source) standing.
  a.offer(sig(AgentState::kWaitingInput, SignalSource::kHook, "PermissionRequest"), 20'000);
  EXPECT_FALSE(a.offer(sig(AgentState::kWaitingInput, SignalSource::kScreen), 90'000, true));
  EXPECT_EQ(a.current()->source, SignalSource::kHook);
}

TEST(StatusArbiter, AReportHoldsForAWhile) {
  StatusArbiter a;
  a.offer(sig(AgentState::kIdle, SignalSource::kReport), 1000);
  EXPECT_FALSE(a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 2000));
  EXPECT_TRUE(a.offer(sig(AgentState::kWorking, SignalSource::kOutput),
                      1000 + *StatusArbiter::hold_ms(SignalSource::kReport)));
}

TEST(StatusArbiter, ExitIsFinalUntilTheNextStart) {
  StatusArbiter a;
  a.offer(sig(AgentState::kWorking, SignalSource::kProtocol), 0);
  EXPECT_TRUE(a.offer(sig(AgentState::kExited, SignalSource::kProcess), 1));
  EXPECT_FALSE(a.offer(sig(AgentState::kIdle, SignalSource::kProtocol), 2));
  EXPECT_TRUE(a.offer(sig(AgentState::kStarting, SignalSource::kProcess), 3));
  EXPECT_EQ(a.current()->state, AgentState::kStarting);
}

TEST(StatusArbiter, FresherEvidenceForTheSameStateKeepsSince) {
  StatusArbiter a;
  a.offer(sig(AgentState::kWorking, SignalSource::kOutput), 100);
  EXPECT_TRUE(a.offer(sig(AgentState::kWorking, SignalSource::kScreen, "claude.spinner"), 200));
  EXPECT_EQ(a.since_ms(), 100);
  EXPECT_EQ(a.current()->evidence, "claude.spinner");
}

}  // namespace
}  // namespace bosun
