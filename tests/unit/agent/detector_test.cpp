// Detector: every captured screen gets its expected state; the same markers pasted into the
// transcript do not change it; raw terminal streams read the same as their rendered rows.
#include "agent/detector.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace bosun {
namespace {

using testing::builtin;
using testing::read_fixture;

constexpr int64_t kNow = 1'800'000'000'000;

struct Case {
  const char* file;
  const char* profile;
  const char* state;
  const char* evidence;
  const char* dialog = "";
};

// Every screen capture in tests/fixtures/agent-sessions/ (the JSON streams are in
// stream_events_test.cpp), with the state its README gives.
const Case kFixtureScreens[] = {
    {"claude-2.1.12-idle-after-response.screen.txt", "claude", "idle", "claude.composer"},
    {"claude-2.1.12-permission-bash.screen.txt", "claude", "waiting_input", "claude.permission"},
    {"claude-2.1.12-permission-edit.screen.txt", "claude", "waiting_input", "claude.permission"},
    {"claude-2.1.12-trust-folder.screen.txt", "claude", "waiting_input", "claude.trust", "trust"},
    {"claude-2.1.280-working-spinner.screen.txt", "claude", "working", "claude.spinner"},
    {"claude-api-error.screen.txt", "claude", "errored", "claude.api-error"},
    {"codex-idle-composer.screen.txt", "codex", "idle", "codex.composer"},
    {"codex-0.157-working.screen.txt", "codex", "working", "codex.working"},
    {"codex-trust-directory.screen.txt", "codex", "waiting_input", "codex.trust", "trust"},
    {"gemini-idle-composer.screen.txt", "gemini", "idle", "gemini.composer"},
    {"aider-0.81-session-with-confirm.screen.txt", "aider", "idle", "aider.ready"},
};

Signal read(const std::string& profile, const std::string& text) {
  auto reading = read_screen(builtin(profile), view_of_text(text), kNow);
  if (!reading.signal) return Signal{AgentState::kStarting, SignalSource::kProcess, 0, "none"};
  return *reading.signal;
}

class FixtureScreen : public ::testing::TestWithParam<Case> {};

TEST_P(FixtureScreen, HasItsExpectedState) {
  const Case& c = GetParam();
  Signal s = read(c.profile, read_fixture(c.file));
  EXPECT_EQ(to_string(s.state), c.state) << c.file << ": " << s.evidence << " " << s.detail;
  EXPECT_EQ(s.evidence, c.evidence) << c.file;
  EXPECT_EQ(s.source, SignalSource::kScreen);
  EXPECT_EQ(s.dialog, c.dialog);
  EXPECT_GT(s.confidence, 0.5);
}

INSTANTIATE_TEST_SUITE_P(AgentSessions, FixtureScreen, ::testing::ValuesIn(kFixtureScreens),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           name = name.substr(0, name.find(".screen"));
                           for (auto& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// Replaces the first occurrence of `from` in `text`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no '" << from << "' to replace";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The marker strings of every other state, as a transcript shows them when an agent prints
// them (a reply quoting them, a file it read).
const char* const kClaudeMarkers =
    "⏺ Here is what the dialogs say:\n"
    "  Do you want to proceed?\n"
    "  ❯ 1. Yes\n"
    "  Do you trust the files in this folder?\n"
    "  You've hit your session limit · resets 11pm (Europe/Paris)\n"
    "  API Error: 500 {\"type\":\"error\"}\n"
    "  ✢ Cooking… (7s · ↓ 274 tokens · thought for 3s)\n"
    "  esc to interrupt\n"
    "  Enter to select · ↑/↓ to navigate · Esc to cancel\n";

TEST(DetectorNegative, ClaudeMarkersInTheTranscriptLeaveAnIdleScreenIdle) {
  std::string idle = read_fixture("claude-2.1.12-idle-after-response.screen.txt");
  std::string quoted = replaced(idle, "⏺ Hello there friend.\n", kClaudeMarkers);
  Signal s = read("claude", quoted);
  EXPECT_EQ(s.state, AgentState::kIdle) << s.evidence << ": " << s.detail;
  EXPECT_EQ(s.evidence, "claude.composer");
}

TEST(DetectorNegative, ClaudeMarkersFarUpTheTranscriptLeaveIdle) {
  // At column 0 (as a tool's output might be), but in an earlier turn.
  std::string idle = read_fixture("claude-2.1.12-idle-after-response.screen.txt");
  std::string quoted = replaced(idle, "❯ Say hello in exactly 3 words\n",
                                "✢ Cooking… (7s · ↓ 274 tokens)\nAPI Error: 500 {}\n"
                                "Do you want to proceed?\n ❯ 1. Yes\n"
                                "❯ Say hello in exactly 3 words\n");
  Signal s = read("claude", quoted);
  EXPECT_EQ(s.state, AgentState::kIdle) << s.evidence << ": " << s.detail;
}

TEST(DetectorNegative, ClaudeMarkersInTheTranscriptLeaveAWorkingScreenWorking) {
  std::string working = read_fixture("claude-2.1.280-working-spinner.screen.txt");
  std::string quoted = replaced(working, "⏺ The hook blocks a bare sleep 12",
                                std::string(kClaudeMarkers) + "⏺ x");
  Signal s = read("claude", quoted);
  EXPECT_EQ(s.state, AgentState::kWorking) << s.evidence << ": " << s.detail;
  EXPECT_EQ(s.evidence, "claude.spinner");
}

TEST(DetectorNegative, ClaudePermissionDialogQuotingOtherMarkersStaysWaiting) {
  // The tool's own arguments render inside the dialog: they must not change the state.
  std::string dialog = read_fixture("claude-2.1.12-permission-bash.screen.txt");
  std::string quoted = replaced(dialog, "   cat /etc/passwd | head -5",
                                "   echo '✢ Cooking… (7s · ↓ 1 tokens)' 'API Error: 500' '❯'");
  Signal s = read("claude", quoted);
  EXPECT_EQ(s.state, AgentState::kWaitingInput) << s.evidence << ": " << s.detail;
  EXPECT_EQ(s.evidence, "claude.permission");
}

TEST(DetectorNegative, CodexMarkersInTheTranscriptLeaveAnIdleScreenIdle) {
  std::string working = read_fixture("codex-0.157-working.screen.txt");
  // The same screen after the turn: the status row became the turn's end line, and the
  // agent's last reply quotes every marker.
  std::string idle = replaced(
      working,
      "Working (5s • esc to interrupt) · 1 background terminal running · /ps to view · /stop to "
      "close",
      "─ Worked for 1m 31s ─────────────────────────────────");
  idle = replaced(idle, "• I’ll run sleep 90, then reply done.",
                  "• Working (5s • esc to interrupt)\n"
                  "  Would you like to run the following command?\n"
                  "  You've hit your usage limit. Try again in 4 days 20 hours 9 minutes.\n"
                  "  Do you trust the contents of this directory?");
  Signal s = read("codex", idle);
  EXPECT_EQ(s.state, AgentState::kIdle) << s.evidence << ": " << s.detail;
}

TEST(DetectorNegative, CodexMarkersInAnEarlierTurnLeaveWorking) {
  std::string working = read_fixture("codex-0.157-working.screen.txt");
  std::string quoted = replaced(working, "• pong",
                                "■ stream disconnected before completion\n"
                                "You've hit your usage limit. Try again in 4 days.");
  Signal s = read("codex", quoted);
  EXPECT_EQ(s.state, AgentState::kWorking) << s.evidence << ": " << s.detail;
}

TEST(DetectorNegative, GeminiMarkersAboveTheBoxLeaveIdle) {
  std::string idle = read_fixture("gemini-idle-composer.screen.txt");
  std::string quoted = replaced(idle, "4. /help for more information.",
                                "Allow execution of [Shell]?\n● 1. Allow once\n"
                                "⠧ Thinking... (esc to cancel, 2s)\n"
                                "Do you trust the files in this folder?\n"
                                "4. /help for more information.");
  Signal s = read("gemini", quoted);
  EXPECT_EQ(s.state, AgentState::kIdle) << s.evidence << ": " << s.detail;
}

TEST(DetectorNegative, AiderAnsweredQuestionInTheTranscriptLeavesIdle) {
  // The fixture itself holds an answered "(Y)es/(N)o … [Yes]:" above the latest reply.
  std::string text = read_fixture("aider-0.81-session-with-confirm.screen.txt");
  ASSERT_NE(text.find("[Yes]:"), std::string::npos);
  EXPECT_EQ(read("aider", text).state, AgentState::kIdle);
}

TEST(Detector, AiderQuestionOnTheLastLineWaits) {
  std::string text = read_fixture("aider-0.81-session-with-confirm.screen.txt");
  text += "Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: \n";
  Signal s = read("aider", text);
  EXPECT_EQ(s.state, AgentState::kWaitingInput);
  EXPECT_EQ(s.evidence, "aider.confirm");
}

TEST(Detector, ClaudeRateLimitAboveTheComposerGivesTheResetTime) {
  std::string idle = read_fixture("claude-2.1.12-idle-after-response.screen.txt");
  std::string limited = replaced(idle, "⏺ Hello there friend.",
                                 "⎿ You've hit your session limit · resets 11pm (Europe/Paris)");
  Signal s = read("claude", limited);
  EXPECT_EQ(s.state, AgentState::kRateLimited) << s.evidence;
  EXPECT_EQ(s.reset_text, "11pm");
  EXPECT_FALSE(s.reset_at_ms);  // a wall-clock time in a named zone: kept as written
}

TEST(Detector, Claude2330ShortSessionWithANoBreakSpaceComposer) {
  // Claude Code 2.1.330 as the real CLI drew it (tests/agents, a 400 from the fake model): the
  // transcript at the top, a gap of blank rows, the composer "❯" U+00A0 at the bottom.
  const std::string kNbsp = "\xC2\xA0";
  std::string errored = std::string() + std::string(1, '\n') + " ▐▛███▛█   Claude Code v2.1.330\n" +
                        "▝▜██████▀  Opus 5.5 · API Usage Billing\n" + " ▝▝   ▝▝   /tmp/work\n" +
                        std::string(2, '\n') + "❯ PLEASE FAIL now\n" + std::string(1, '\n') +
                        "● API Error: 400 Invalid request (fake failure)\n" +
                        std::string(26, '\n') +
                        "                                                                          "
                        "                          ◐ medium · /effort\n" +
                        "──────────────────────────────────────────────────────────────────────────"
                        "──────────────────────────────────────────────\n" +
                        "❯" + kNbsp + "\n" +
                        "──────────────────────────────────────────────────────────────────────────"
                        "──────────────────────────────────────────────\n" +
                        "  ⏸ manual mode on · ? for shortcuts · ← for agents\n";
  Signal s = read("claude", errored);
  EXPECT_EQ(s.state, AgentState::kErrored) << s.evidence << ": " << s.detail;
  EXPECT_EQ(s.evidence, "claude.api-error");
  std::string idle =
      replaced(errored, "● API Error: 400 Invalid request (fake failure)", "● Done.");
  s = read("claude", idle);
  EXPECT_EQ(s.state, AgentState::kIdle) << s.evidence << ": " << s.detail;
  EXPECT_EQ(s.evidence, "claude.composer");
}

TEST(Detector, CodexUsageLimitResolvesARelativeResetTime) {
  std::string idle = read_fixture("codex-idle-composer.screen.txt");
  std::string limited =
      replaced(idle, " /prompts - show example prompts",
               "■ You've hit your usage limit. Try again in 4 days 20 hours 9 minutes.");
  Signal s = read("codex", limited);
  EXPECT_EQ(s.state, AgentState::kRateLimited) << s.evidence;
  EXPECT_EQ(s.reset_text, "4 days 20 hours 9 minutes");
  ASSERT_TRUE(s.reset_at_ms);
  EXPECT_EQ(*s.reset_at_ms, kNow + ((4 * 24 + 20) * 60 + 9) * 60'000LL);
}

TEST(Detector, CodexApprovalOverlayWaits) {
  const char* screen =
      "› Run touch x\n"
      "\n"
      "  Would you like to run the following command?\n"
      "\n"
      "  Reason: needs to write\n"
      "\n"
      "  $ touch x\n"
      "\n"
      "› 1. Yes, proceed (y)\n"
      "  2. Yes, and don't ask again for commands that start with `touch` (p)\n"
      "  3. No, and tell Codex what to do differently (esc)\n"
      "\n"
      "  Press enter to confirm or esc to cancel\n";
  Signal s = read("codex", screen);
  EXPECT_EQ(s.state, AgentState::kWaitingInput) << s.evidence;
  EXPECT_EQ(s.evidence, "codex.approval");
}

TEST(Detector, SimPromptIsIdleItsQuestionWaitsAndItsSpinnerWorks) {
  EXPECT_EQ(read("sim", "sim-agent kai\n› ").state, AgentState::kIdle);
  EXPECT_EQ(read("sim", "› [TASK] t_1\n⠋ Working (2s • esc to interrupt) — reading").state,
            AgentState::kWorking);
  Signal ask = read("sim", "› [TASK] t_1\nAllow edits to a.txt? (y/n) ");
  EXPECT_EQ(ask.state, AgentState::kWaitingInput);
  EXPECT_EQ(ask.evidence, "sim.ask");
  // An old prompt line above the spinner is not the composer.
  EXPECT_EQ(read("sim", "› \n⠋ Working (0s • esc to interrupt)").state, AgentState::kWorking);
}

TEST(Detector, ShellHasNoScreenRules) {
  auto reading = read_screen(builtin("shell"), view_of_text("$ ls\na b\n$ "), kNow);
  EXPECT_FALSE(reading.signal);
  EXPECT_TRUE(builtin("shell").screen.quiet_idle);
}

TEST(Detector, BlankScreenMatchesNothing) {
  EXPECT_FALSE(read_screen(builtin("claude"), view_of_text(""), kNow).signal);
  EXPECT_FALSE(read_screen(builtin("codex"), view_of_text("\n\n\n"), kNow).signal);
}

// The permission fixture drawn the way Claude draws it: alternate screen, cursor addressing,
// bottom-up, with colours.
TEST(DetectorStream, RawTerminalStreamReadsLikeItsRenderedRows) {
  std::string text = read_fixture("claude-2.1.12-permission-bash.screen.txt");
  auto rows = view_of_text(text).lines;
  std::string stream = "\x1b[?1049h\x1b[?2004h\x1b[2J";
  for (int i = static_cast<int>(rows.size()) - 1; i >= 0; --i) {
    stream += "\x1b[" + std::to_string(i + 1) + ";1H\x1b[38;5;174m" + rows[static_cast<size_t>(i)] +
              "\x1b[0m";
  }
  stream += "\x1b[" + std::to_string(rows.size()) + ";1H";
  ASSERT_TRUE(looks_like_raw_stream(stream));
  ASSERT_FALSE(looks_like_raw_stream(text));
  ScreenView view = view_of_stream(stream, 120, 30);
  auto reading = read_screen(builtin("claude"), view, kNow);
  ASSERT_TRUE(reading.signal);
  EXPECT_EQ(reading.signal->state, AgentState::kWaitingInput);
  EXPECT_EQ(reading.signal->evidence, "claude.permission");
}

TEST(DetectorStream, ScreenThatScrolledKeepsOnlyItsLiveRegion) {
  // A sim session: prompts, a question answered long ago, then idle again.
  std::string stream = "sim-agent kai\r\n› ";
  stream += "[TASK] t_1\r\nAllow edits to a.txt? (y/n) y\r\nedited a.txt\r\n";
  for (int i = 0; i < 30; ++i)
    stream += "line " + std::to_string(i) + "\r\n";
  stream += "\x1b[32m✓\x1b[0m done t_1\r\n› ";
  ScreenView view = view_of_stream(stream, 80, 10);
  auto reading = read_screen(builtin("sim"), view, kNow);
  ASSERT_TRUE(reading.signal);
  EXPECT_EQ(reading.signal->state, AgentState::kIdle);
  EXPECT_EQ(reading.region.composer, view.cursor->row);
}

TEST(LiveRegion, ClaudeComposerBoundsTheLiveRegion) {
  auto view = view_of_text(read_fixture("claude-2.1.280-working-spinner.screen.txt"));
  auto live = find_live_region(builtin("claude").screen, view);
  ASSERT_GE(live.composer, 0);
  EXPECT_EQ(view.lines[static_cast<size_t>(live.composer)], "❯");
  ASSERT_GE(live.just_above, 0);
  EXPECT_EQ(view.lines[static_cast<size_t>(live.just_above)].rfind("✢ Cooking…", 0), 0u);
  EXPECT_LT(live.above_from, live.composer);
  // The hook error in the transcript is outside the region.
  for (int i = live.above_from; i < live.composer; ++i) {
    EXPECT_EQ(view.lines[static_cast<size_t>(i)].find("hook error"), std::string::npos);
  }
}

TEST(LiveRegion, ComposerOptionRowsAreNotTheComposer) {
  auto live = find_live_region(builtin("claude").screen,
                               view_of_text(read_fixture("claude-2.1.12-trust-folder.screen.txt")));
  EXPECT_EQ(live.composer, -1);
  live = find_live_region(builtin("codex").screen, view_of_text("› 1. Try new model\n"));
  EXPECT_EQ(live.composer, -1);
}

TEST(Durations, WordsAndUnitsBecomeMillisecondsAndTimesOfDayDoNot) {
  EXPECT_EQ(parse_duration_words("4 days 20 hours 9 minutes"), ((4 * 24 + 20) * 60 + 9) * 60'000LL);
  EXPECT_EQ(parse_duration_words("5m 30s"), 330'000);
  EXPECT_EQ(parse_duration_words("1 hour and 2 minutes"), 3'720'000);
  EXPECT_EQ(parse_duration_words("12.5 seconds"), 12'500);
  EXPECT_FALSE(parse_duration_words("11pm (Europe/Paris)"));
  EXPECT_FALSE(parse_duration_words(""));
  EXPECT_FALSE(parse_duration_words("3:04 PM"));
}

}  // namespace
}  // namespace bosun
