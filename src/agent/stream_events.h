// StreamEvents: the headless JSON streams of the agent CLIs (Claude stream-json, Codex exec
// --json, opencode run --format json, Gemini stream-json) read into bosun events, a state and
// a judged outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/status.h"
#include "util/json.h"

namespace bosun {

enum class StreamFormat { kClaudeStreamJson, kCodexExecJson, kOpencodeRunJson, kGeminiStreamJson };

// "claude-stream-json", "codex-exec-json", "opencode-run-json", "gemini-stream-json".
std::optional<StreamFormat> parse_stream_format(std::string_view name);
std::string_view to_string(StreamFormat format);

// One event in bosun's words. Types and their data:
//   session            {session_id}
//   turn.started       {}
//   text               {text}
//   tool.call          {id, tool, input}
//   tool.result        {id, is_error, output}
//   permission.request {id, tool, input}           the CLI waits for an answer
//   permission.denied  {tool, message}             the CLI refused a tool on its own
//   rate_limit         {status, blocking, reset_at_ms?, kind?, utilization?}
//   retry              {attempt?, max?, error}
//   compaction         {phase: started|done, trigger?, pre_tokens?, post_tokens?}
//   context            {tokens}                     what the context window holds now
//   error              {message}
//   result             {success, reason?, text, turns, cost_usd?, usage, session_id}
struct StreamEvent {
  std::string type;
  Json data = Json::object();
};

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
};

// What a headless run came to. A run is a success only when its last result says so, no
// permission was refused along the way, and (once finished) the process did not fail without
// a result: Claude reports API errors as subtype "success" with is_error true, and opencode
// exits 0 after refusing permissions by itself.
struct RunOutcome {
  bool finished = false;  // a result was seen
  bool success = false;
  std::string reason;  // why not: is_error, error_max_turns…, turn.failed, permission_denied,
                       // rate_limited, no_result, exit_code
  std::string text;    // the final answer, or the error
  int turns = 0;
  int permission_denials = 0;
  std::optional<double> cost_usd;
  Usage usage;
  std::string session_id;
  std::optional<int64_t> reset_at_ms;  // a rate limit that blocks until then
  std::optional<int> exit_code;
};

Json to_json(const Usage& usage);
Json to_json(const RunOutcome& outcome);

class StreamParser {
 public:
  explicit StreamParser(StreamFormat format);

  // One line of the stream. Blank lines, `#` comments and unknown types give no events; a
  // line that is not JSON is counted in bad_lines().
  std::vector<StreamEvent> feed_line(std::string_view line, int64_t now_ms);
  // Every line of `text`.
  std::vector<StreamEvent> feed_all(std::string_view text, int64_t now_ms);
  // The process ended: settles the outcome (no result → failure) and the state (exited).
  void finish(std::optional<int> exit_code, int64_t now_ms);

  const RunOutcome& outcome() const { return outcome_; }
  // The state the stream tells (source protocol), with the event that decided it.
  const Signal& state() const { return state_; }
  int bad_lines() const { return bad_lines_; }

 private:
  void claude(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void claude_system(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void claude_rate_limit(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void claude_result(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void codex(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void opencode(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void gemini(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms);
  void set_state(AgentState state, std::string evidence, int64_t now_ms, std::string detail = {});
  void session(const std::string& id, std::vector<StreamEvent>& out);
  void result(bool success, std::string reason, std::string text, std::vector<StreamEvent>& out,
              int64_t now_ms);

  StreamFormat format_;
  RunOutcome outcome_;
  Signal state_;
  int bad_lines_ = 0;
  bool denied_in_turn_ = false;
};

}  // namespace bosun
