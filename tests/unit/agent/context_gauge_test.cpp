// ContextGauge: the context's fill from Claude Code's transcript usage and from the CLIs' own
// "N% context left" on captured screens; what is not such a reading reads as none.
#include "agent/context_gauge.h"

#include <gtest/gtest.h>

#include "agent/detector.h"
#include "agent/fixtures.h"
#include "agent/stream_events.h"

namespace bosun {
namespace {

using testing::builtin;

std::string fixture(const std::string& name) {
  return testing::read_fixture(name);
}

TEST(ContextGauge, TheLastAssistantUsageOfATranscriptIsWhatTheContextHolds) {
  std::string transcript =
      R"({"type":"user","message":{"role":"user","content":"hi"}})"
      "\n"
      R"({"type":"assistant","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":1000,"cache_creation_input_tokens":200,"output_tokens":5}}})"
      "\n"
      R"({"type":"assistant","message":{"usage":{"input_tokens":3,"cache_read_input_tokens":150000,"cache_creation_input_tokens":4000,"output_tokens":80}}})"
      "\n"
      R"({"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"ok"}]}})"
      "\n";
  EXPECT_EQ(transcript_context_tokens(transcript), 154'003);
  // A tail cut inside a line: that line does not count, the whole ones do.
  EXPECT_EQ(transcript_context_tokens(transcript.substr(40)), 154'003);
  EXPECT_FALSE(
      transcript_context_tokens(R"({"type":"user","message":{"usage":{"input_tokens":9}}})"));
  EXPECT_FALSE(transcript_context_tokens("not json\n{\"assistant\" \"usage\"\n"));
  EXPECT_FALSE(transcript_context_tokens(""));
  // The same shape in a real stream-json capture.
  auto tokens = transcript_context_tokens(fixture("claude-2.1.285-stream-json-autocompact.jsonl"));
  ASSERT_TRUE(tokens);
  EXPECT_GT(*tokens, 0);
}

TEST(ContextGauge, TokensAgainstTheWindowRoundDownAndStopAtAHundred) {
  auto g = gauge_of_tokens(159'999, 200'000, "hook", 5);
  EXPECT_EQ(g.percent, 79);
  EXPECT_EQ(g.tokens, 159'999);
  EXPECT_EQ(g.window, 200'000);
  EXPECT_EQ(gauge_of_tokens(260'000, 200'000, "stream", 5).percent, 100);
  EXPECT_EQ(to_json(g)["source"], "hook");
}

TEST(ContextGauge, TheCapturedFootersOfGeminiAndCodexSayHowMuchIsLeft) {
  auto gemini = view_of_text(fixture("gemini-idle-composer.screen.txt"));
  EXPECT_EQ(screen_context_used(gemini.lines, "% context left"), 0);
  auto codex = view_of_text(fixture("codex-idle-composer.screen.txt"));
  EXPECT_EQ(screen_context_used(codex.lines, "% left"), 0);
  EXPECT_EQ(screen_context_used({"gpt-5 default · 27% left · ~/src"}, "% left"), 73);
  EXPECT_EQ(screen_context_used({"(42% context left)", "old", "gemini-2.5-pro (9% context left)"},
                                "% context left"),
            91);
  // Not a reading: no number before the marker, a marker the profile did not name, no marker.
  EXPECT_FALSE(screen_context_used({"% context left"}, "% context left"));
  EXPECT_FALSE(screen_context_used({"100% done"}, "% left"));
  EXPECT_FALSE(screen_context_used({"(42% context left)"}, ""));
  EXPECT_FALSE(screen_context_used(
      view_of_text(fixture("claude-2.1.12-idle-after-response.screen.txt")).lines,
      "% context left"));
}

TEST(ContextGauge, TheBuiltInProfilesSayWhereTheirGaugeIs) {
  EXPECT_EQ(builtin("claude").context.window, 200'000);
  EXPECT_TRUE(builtin("claude").context.left.empty());  // hooks say it
  EXPECT_EQ(builtin("gemini").context.left, "% context left");
  EXPECT_EQ(builtin("codex").context.left, "% left");
  EXPECT_TRUE(builtin("shell").context.left.empty());
  const std::string head = "name: x\ninteractive: [x]\n";
  auto bad = parse_profile(head + "context: {left: context left}\n", "x.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("x.yaml:3:17: context.left"), std::string::npos)
      << bad.error().message;
  EXPECT_TRUE(parse_profile(head + "context: {window: 128000, left: \"% left\"}\n", "x.yaml"));
  EXPECT_FALSE(parse_profile(head + "context: {window: 5}\n", "x.yaml"));
  EXPECT_FALSE(parse_profile(head + "context: {size: 5}\n", "x.yaml"));
}

TEST(ContextGauge, AClaudeStreamSaysWhatEachAssistantMessageCarried) {
  StreamParser parser(StreamFormat::kClaudeStreamJson);
  auto events = parser.feed_line(
      R"({"type":"assistant","message":{"content":[],"usage":{"input_tokens":5,"cache_read_input_tokens":90000,"cache_creation_input_tokens":10000}}})",
      0);
  bool found = false;
  for (const auto& e : events) {
    if (e.type != "context") continue;
    found = true;
    EXPECT_EQ(e.data["tokens"], 100'005);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace bosun
