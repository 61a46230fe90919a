// LiveStatus: output, screen checks and quiet settle a live agent's state in the right order.
#include "agent/live_status.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace bosun {
namespace {

using testing::builtin;

ScreenView screen(const std::string& text) {
  return view_of_text(text);
}

TEST(LiveStatus, SimPromptQuestionAnswerAndIdle) {
  LiveStatus live(builtin("sim"));
  ASSERT_TRUE(live.started(0));
  EXPECT_EQ(live.output(10)->state, AgentState::kWorking);
  // The prompt is on screen, but idle waits for quiet.
  EXPECT_FALSE(live.check(screen("sim-agent kai\n› "), 20));
  auto idle = live.settle(screen("sim-agent kai\n› "), 300);
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->state, AgentState::kIdle);
  EXPECT_EQ(idle->source, SignalSource::kScreen);
  EXPECT_EQ(idle->evidence, "sim.prompt");

  EXPECT_EQ(live.output(400)->source, SignalSource::kOutput);
  auto ask = live.check(screen("› [TASK] t_1\nAllow edits to a.txt? (y/n) "), 450);
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->state, AgentState::kWaitingInput);
  EXPECT_EQ(ask->evidence, "sim.ask");
  // The question redrawn, or the cursor blinking: output alone does not end the wait.
  EXPECT_FALSE(live.output(500));
  EXPECT_FALSE(live.settle(screen("› [TASK] t_1\nAllow edits to a.txt? (y/n) "), 800));
  EXPECT_EQ(live.arbiter().current()->state, AgentState::kWaitingInput);
  // Answered: the question left the screen and the spinner runs.
  auto working =
      live.check(screen("Allow edits to a.txt? (y/n) y\n⠋ Working (0s • esc to interrupt)"), 900);
  ASSERT_TRUE(working);
  EXPECT_EQ(working->state, AgentState::kWorking);
  EXPECT_EQ(working->evidence, "sim.working");
}

TEST(LiveStatus, AnswerWithNoRecognisableScreenFallsBackToWorking) {
  LiveStatus live(builtin("sim"));
  live.started(0);
  live.output(1);
  live.check(screen("Allow edits to a.txt? (y/n) "), 2);
  auto after = live.check(screen("Allow edits to a.txt? (y/n) y\nedited a.txt"), 3);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, AgentState::kWorking);
  EXPECT_EQ(after->source, SignalSource::kOutput);
  EXPECT_EQ(after->detail, "after sim.ask left the screen");
}

TEST(LiveStatus, ShellIsIdleFromQuiescence) {
  LiveStatus live(builtin("shell"));
  live.started(0);
  EXPECT_EQ(live.quiet(), Millis(500));
  live.output(1);
  auto idle = live.settle(screen("$ ls\na b\n$"), 600);
  ASSERT_TRUE(idle);
  EXPECT_EQ(idle->state, AgentState::kIdle);
  EXPECT_EQ(idle->source, SignalSource::kQuiescence);
  EXPECT_EQ(idle->evidence, "shell.quiet");
}

TEST(LiveStatus, ClaudePermissionDialogAppliesAtOnceAndIdleWaitsForQuiet) {
  LiveStatus live(builtin("claude"));
  live.started(0);
  live.output(1);
  auto dialog =
      live.check(screen(testing::read_fixture("claude-2.1.12-permission-bash.screen.txt")), 50);
  ASSERT_TRUE(dialog);
  EXPECT_EQ(dialog->state, AgentState::kWaitingInput);
  std::string idle = testing::read_fixture("claude-2.1.12-idle-after-response.screen.txt");
  // The dialog is gone and the composer is back: working until quiet, then idle.
  EXPECT_EQ(live.check(screen(idle), 100)->state, AgentState::kWorking);
  EXPECT_EQ(live.settle(screen(idle), 1700)->state, AgentState::kIdle);
}

TEST(LiveStatus, AHookHoldsAgainstTheScreen) {
  LiveStatus live(builtin("claude"));
  live.started(0);
  Signal hook;
  hook.state = AgentState::kWaitingInput;
  hook.source = SignalSource::kHook;
  hook.evidence = "PermissionRequest";
  ASSERT_TRUE(live.offer(hook, 10));
  std::string idle = testing::read_fixture("claude-2.1.12-idle-after-response.screen.txt");
  EXPECT_FALSE(live.settle(screen(idle), 5000));
  EXPECT_EQ(live.arbiter().current()->evidence, "PermissionRequest");
  EXPECT_EQ(live.exited(6000)->state, AgentState::kExited);
}

}  // namespace
}  // namespace bosun
