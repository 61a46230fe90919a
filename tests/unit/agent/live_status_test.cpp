// LiveStatus: output, screen checks and quiet settle a live agent's state in the right order.
#include "agent/live_status.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace bosun {
namespace {

using testing::builtin;
using testing::captured_dir;
using testing::read_text;

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

// opencode 1.18.33's first turn: after Enter its start page (the box emptied) and a blank
// screen come before the session; an idle screen within the submit grace is not believed.
TEST(LiveStatus, AnIdleScreenJustAfterASubmitIsNotBelieved) {
  const std::string start_page =
      read_text(captured_dir() / "opencode-1.18.33" / "opencode-1.18.33-long-turn-01.screen.txt");
  LiveStatus live(builtin("opencode"));
  ASSERT_EQ(live.profile().input.submit_grace_ms, 3000);
  live.started(0);
  // Fresh: idle at its start page.
  EXPECT_EQ(live.settle(view_of_text(start_page), 2000)->state, AgentState::kIdle);
  EXPECT_FALSE(live.idle_held_until_ms(2000));
  EXPECT_EQ(live.output(2100)->state, AgentState::kWorking);  // the prompt typed
  live.submitted(2500);
  EXPECT_EQ(live.idle_held_until_ms(3000), 5500);
  EXPECT_FALSE(live.settle(view_of_text(start_page), 4000));
  EXPECT_EQ(live.arbiter().current()->state, AgentState::kWorking);
  // A working screen is believed at once, grace or not.
  const std::string drawn =
      read_text(captured_dir() / "opencode-1.18.33" / "opencode-1.18.33-long-turn-03.screen.txt");
  auto sent = live.settle(view_of_text(drawn), 4100);
  ASSERT_TRUE(sent);  // working still, now from the screen
  EXPECT_EQ(sent->state, AgentState::kWorking);
  EXPECT_EQ(sent->evidence, "opencode.sent");
  // Once the grace is over, an idle screen is idle.
  EXPECT_FALSE(live.idle_held_until_ms(5500));
  EXPECT_EQ(live.settle(view_of_text(start_page), 5600)->state, AgentState::kIdle);
  // A profile without a grace believes it at once.
  LiveStatus claude(builtin("claude"));
  claude.started(0);
  claude.submitted(100);
  EXPECT_FALSE(claude.idle_held_until_ms(101));
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
