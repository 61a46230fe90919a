// StreamEvents: the captured headless streams, and the success judgements the CLIs get wrong.
#include "agent/stream_events.h"

#include <gtest/gtest.h>

#include "fixtures.h"

namespace bosun {
namespace {

using testing::read_fixture;

constexpr int64_t kNow = 1'800'000'000'000;

int count(const std::vector<StreamEvent>& events, const std::string& type) {
  return static_cast<int>(std::count_if(events.begin(), events.end(),
                                        [&](const StreamEvent& e) { return e.type == type; }));
}

TEST(ClaudeStream, AutocompactFixtureHasFourTurnsAndEndsIdle) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  auto events = p.feed_all(read_fixture("claude-2.1.285-stream-json-autocompact.jsonl"), kNow);
  EXPECT_EQ(p.bad_lines(), 0);
  EXPECT_EQ(count(events, "turn.started"), 4);
  EXPECT_EQ(count(events, "result"), 4);
  EXPECT_EQ(count(events, "session"), 1);  // one session id, however many inits
  EXPECT_EQ(count(events, "tool.call"), 3);
  EXPECT_EQ(count(events, "tool.result"), 3);
  EXPECT_EQ(count(events, "compaction"), 2);  // started, done
  ASSERT_EQ(count(events, "rate_limit"), 1);
  for (const auto& e : events) {
    if (e.type == "rate_limit") {
      EXPECT_EQ(e.data["status"], "allowed_warning");
      EXPECT_EQ(e.data["blocking"], false);
      EXPECT_EQ(e.data["reset_at_ms"], 1791036000LL * 1000);
    }
    if (e.type == "compaction" && e.data["phase"] == "done") {
      EXPECT_EQ(e.data["trigger"], "auto");
      EXPECT_EQ(e.data["pre_tokens"], 79267);
    }
  }
  const RunOutcome& o = p.outcome();
  EXPECT_TRUE(o.finished);
  EXPECT_TRUE(o.success) << o.reason;
  EXPECT_EQ(o.turns, 4);
  EXPECT_EQ(o.session_id, "4cda4f2a-2a49-499b-af37-c6f4739bd0c7");
  ASSERT_TRUE(o.cost_usd);
  EXPECT_NEAR(*o.cost_usd, 0.2003013, 1e-6);  // the session's running total
  EXPECT_EQ(o.usage.input_tokens, 18 * 3 + 10);
  EXPECT_EQ(o.text, "OK.");
  EXPECT_FALSE(o.reset_at_ms);  // a warning does not block
  EXPECT_EQ(p.state().state, AgentState::kIdle);
  EXPECT_EQ(p.state().source, SignalSource::kProtocol);
  EXPECT_EQ(p.state().evidence, "claude-stream-json.result");
}

TEST(ClaudeStream, SuccessSubtypeWithIsErrorIsAFailure) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  auto events = p.feed_all(
      R"({"type":"system","subtype":"init","session_id":"s1"}
{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":500,"error_status":529,"error":"overloaded","session_id":"s1"}
{"type":"assistant","message":{"content":[{"type":"text","text":"API Error: 529 Overloaded"}]},"session_id":"s1"}
{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"result":"API Error: 529 Overloaded","terminal_reason":"api_error","total_cost_usd":0,"session_id":"s1"})",
      kNow);
  EXPECT_EQ(count(events, "retry"), 1);
  p.finish(1, kNow + 5);
  EXPECT_TRUE(p.outcome().finished);
  EXPECT_FALSE(p.outcome().success);
  EXPECT_EQ(p.outcome().reason, "is_error");
  EXPECT_EQ(p.outcome().text, "API Error: 529 Overloaded");
  EXPECT_EQ(p.outcome().exit_code, 1);
  EXPECT_EQ(p.state().state, AgentState::kExited);
}

TEST(ClaudeStream, ErroredBeforeTheProcessEnds) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  p.feed_line(R"({"type":"result","subtype":"error_max_turns","is_error":true,"result":""})", kNow);
  EXPECT_EQ(p.outcome().reason, "error_max_turns");
  EXPECT_EQ(p.state().state, AgentState::kErrored);
}

TEST(ClaudeStream, PermissionRequestWaitsAndDenialsFailTheRun) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  auto events = p.feed_line(
      R"({"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"touch x"},"tool_use_id":"t1"}})",
      kNow);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "permission.request");
  EXPECT_EQ(events[0].data["tool"], "Bash");
  EXPECT_EQ(p.state().state, AgentState::kWaitingInput);
  p.feed_line(R"({"type":"control_cancel_request","request_id":"r1"})", kNow);
  EXPECT_EQ(p.state().state, AgentState::kWorking);

  p.feed_line(
      R"({"type":"system","subtype":"permission_denied","tool_name":"Bash","tool_use_id":"t2","message":"This command needs approval"})",
      kNow);
  p.feed_line(
      R"({"type":"result","subtype":"success","is_error":false,"result":"I could not run it.","permission_denials":[{"tool_name":"Bash"}]})",
      kNow);
  EXPECT_FALSE(p.outcome().success);
  EXPECT_EQ(p.outcome().reason, "permission_denied");
  EXPECT_EQ(p.outcome().permission_denials, 1);
}

TEST(ClaudeStream, RejectedRateLimitBlocksUntilItsReset) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  p.feed_line(
      R"({"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1800003600,"rateLimitType":"five_hour"}})",
      kNow);
  EXPECT_EQ(p.state().state, AgentState::kRateLimited);
  ASSERT_TRUE(p.state().reset_at_ms);
  EXPECT_EQ(*p.state().reset_at_ms, 1800003600LL * 1000);
  EXPECT_EQ(p.outcome().reset_at_ms, 1800003600LL * 1000);
}

TEST(ClaudeStream, UnknownTypesAndGarbageLinesAreSkippedAndCounted) {
  StreamParser p(StreamFormat::kClaudeStreamJson);
  EXPECT_TRUE(p.feed_line(R"({"type":"brand_new","x":1})", kNow).empty());
  EXPECT_TRUE(p.feed_line("", kNow).empty());
  EXPECT_TRUE(p.feed_line("not json", kNow).empty());
  EXPECT_TRUE(p.feed_line("[1,2]", kNow).empty());
  EXPECT_EQ(p.bad_lines(), 2);
  p.finish(143, kNow);
  EXPECT_FALSE(p.outcome().success);
  EXPECT_EQ(p.outcome().reason, "no_result");
}

TEST(CodexStream, ResumeFixtureKeepsTheThreadAndTheLatestUsage) {
  StreamParser p(StreamFormat::kCodexExecJson);
  auto events = p.feed_all(read_fixture("codex-0.157-exec-json-resume.jsonl"), kNow);
  EXPECT_EQ(p.bad_lines(), 0);  // the '#' lines are comments
  EXPECT_EQ(count(events, "session"), 1);
  EXPECT_EQ(count(events, "turn.started"), 3);
  EXPECT_EQ(count(events, "result"), 3);
  const RunOutcome& o = p.outcome();
  EXPECT_TRUE(o.success);
  EXPECT_EQ(o.turns, 3);
  EXPECT_EQ(o.session_id, "0199f000-0419-7000-8000-00000000c0de");
  EXPECT_EQ(o.text, "Hi once more!");
  EXPECT_EQ(o.usage.input_tokens, 32017);  // the thread's running total, not a sum
  EXPECT_EQ(o.usage.cache_read_tokens, 21760);
  EXPECT_EQ(o.usage.output_tokens, 21);
  EXPECT_FALSE(o.cost_usd);
  EXPECT_EQ(p.state().state, AgentState::kIdle);
}

TEST(CodexStream, TurnFailedIsErroredWithTheInnerMessage) {
  StreamParser p(StreamFormat::kCodexExecJson);
  auto events = p.feed_all(read_fixture("codex-exec-json-turn-failed.jsonl"), kNow);
  EXPECT_EQ(count(events, "error"), 2);
  EXPECT_EQ(count(events, "result"), 2);
  const RunOutcome& o = p.outcome();
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.reason, "turn.failed");
  EXPECT_EQ(o.text,
            "Unsupported value: 'minimal' is not supported with the 'gpt-5.5' model. Supported "
            "values are: 'none', 'low', 'medium', 'high', and 'xhigh'.");
  EXPECT_EQ(p.state().state, AgentState::kErrored);
}

TEST(CodexStream, ToolCallsRetriesAndAUsageLimitBecomeEventsAndAState) {
  StreamParser p(StreamFormat::kCodexExecJson);
  auto events = p.feed_all(
      R"({"type":"thread.started","thread_id":"th"}
{"type":"turn.started"}
{"type":"item.started","item":{"id":"i1","type":"command_execution","command":"ls","status":"in_progress"}}
{"type":"item.completed","item":{"id":"i1","type":"command_execution","command":"ls","aggregated_output":"a\n","exit_code":0,"status":"completed"}}
{"type":"error","message":"Reconnecting... 1/5"}
{"type":"turn.failed","error":{"message":"You've hit your usage limit. Try again in 3 hours."}})",
      kNow);
  EXPECT_EQ(count(events, "tool.call"), 1);
  EXPECT_EQ(count(events, "tool.result"), 1);
  EXPECT_EQ(count(events, "retry"), 1);
  EXPECT_EQ(p.outcome().reason, "rate_limited");
  EXPECT_EQ(p.state().state, AgentState::kRateLimited);
}

TEST(OpencodeStream, SuccessFixtureSumsStepsTokensAndCost) {
  StreamParser p(StreamFormat::kOpencodeRunJson);
  auto events = p.feed_all(read_fixture("opencode-run-json-success.jsonl"), kNow);
  EXPECT_EQ(count(events, "turn.started"), 1);
  EXPECT_EQ(count(events, "tool.call"), 1);
  EXPECT_EQ(count(events, "tool.result"), 1);
  EXPECT_EQ(count(events, "result"), 1);
  p.finish(0, kNow);
  const RunOutcome& o = p.outcome();
  EXPECT_TRUE(o.success) << o.reason;
  EXPECT_EQ(o.session_id, "ses_494719016ffe85dkDMj0FPRbHK");
  EXPECT_EQ(o.usage.input_tokens, 21772 + 671);
  EXPECT_EQ(o.usage.output_tokens, 118);
  EXPECT_EQ(o.usage.cache_read_tokens, 21415);
  ASSERT_TRUE(o.cost_usd);
  EXPECT_NEAR(*o.cost_usd, 0.001, 1e-9);
  EXPECT_EQ(o.text, "```\nhello\n```");
}

TEST(OpencodeStream, ExitZeroAfterAutoRejectedPermissionIsNotASuccess) {
  StreamParser p(StreamFormat::kOpencodeRunJson);
  p.feed_all(
      R"({"type":"step_start","sessionID":"ses_1","part":{"type":"step-start"}}
{"type":"tool_use","sessionID":"ses_1","part":{"type":"tool","callID":"c1","tool":"bash","state":{"status":"error","input":{"command":"touch x"},"error":"The user rejected permission to use this specific tool call."}}}
{"type":"step_finish","sessionID":"ses_1","part":{"type":"step-finish","reason":"tool-calls","cost":0,"tokens":{"input":10,"output":5}}}
{"type":"step_start","sessionID":"ses_1","part":{"type":"step-start"}}
{"type":"text","sessionID":"ses_1","part":{"type":"text","text":"I was not allowed to."}}
{"type":"step_finish","sessionID":"ses_1","part":{"type":"step-finish","reason":"stop","cost":0,"tokens":{"input":10,"output":5}}})",
      kNow);
  p.finish(0, kNow);
  EXPECT_TRUE(p.outcome().finished);
  EXPECT_FALSE(p.outcome().success);
  EXPECT_EQ(p.outcome().reason, "permission_denied");
  EXPECT_EQ(p.outcome().permission_denials, 1);
  EXPECT_EQ(p.outcome().exit_code, 0);
}

TEST(GeminiStream, MessagesToolsAndTheResultBecomeEventsAndASuccess) {
  StreamParser p(StreamFormat::kGeminiStreamJson);
  auto events = p.feed_all(
      R"({"type":"init","timestamp":"t","session_id":"g1","model":"auto"}
{"type":"message","role":"user","content":"hello"}
{"type":"message","role":"assistant","content":"Hel","delta":true}
{"type":"message","role":"assistant","content":"lo!","delta":true}
{"type":"tool_use","tool_name":"run_shell_command","tool_id":"x1","parameters":{"command":"ls"}}
{"type":"tool_result","tool_id":"x1","status":"success","output":"a"}
{"type":"result","status":"success","stats":{"total_tokens":30,"input_tokens":20,"output_tokens":10}})",
      kNow);
  EXPECT_EQ(count(events, "text"), 2);
  EXPECT_TRUE(p.outcome().success);
  EXPECT_EQ(p.outcome().text, "Hello!");
  EXPECT_EQ(p.outcome().session_id, "g1");
  EXPECT_EQ(p.outcome().usage.input_tokens, 20);
  EXPECT_EQ(p.state().state, AgentState::kIdle);
}

TEST(StreamFormats, FormatNamesRoundTrip) {
  for (auto f : {StreamFormat::kClaudeStreamJson, StreamFormat::kCodexExecJson,
                 StreamFormat::kOpencodeRunJson, StreamFormat::kGeminiStreamJson}) {
    EXPECT_EQ(parse_stream_format(to_string(f)), f);
  }
  EXPECT_FALSE(parse_stream_format("json"));
}

}  // namespace
}  // namespace bosun
