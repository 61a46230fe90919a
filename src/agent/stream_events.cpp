// StreamEvents: one reader per CLI stream format; unknown types and fields are ignored, as the
// CLIs' own SDKs do, so a newer CLI does not break an older bosun.
#include "agent/stream_events.h"
#include "util/text.h"

#include <array>
#include <utility>

namespace bosun {

namespace {

constexpr size_t kMaxOutputBytes = 400;

constexpr std::array<std::pair<StreamFormat, std::string_view>, 4> kFormats{{
    {StreamFormat::kClaudeStreamJson, "claude-stream-json"},
    {StreamFormat::kCodexExecJson, "codex-exec-json"},
    {StreamFormat::kOpencodeRunJson, "opencode-run-json"},
    {StreamFormat::kGeminiStreamJson, "gemini-stream-json"},
}};

std::string str(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

const Json& field(const Json& j, const char* key) {
  static const Json null_json;
  if (!j.is_object()) return null_json;
  auto it = j.find(key);
  return it != j.end() ? *it : null_json;
}

// A tool's output for an event: text as it is, anything else as JSON, shortened.
std::string short_text(const Json& j) {
  std::string s;
  if (j.is_string()) {
    s = j.get<std::string>();
  } else if (j.is_array()) {  // content blocks
    for (const auto& block : j) {
      if (block.is_object() && block.value("type", "") == "text") s += str(block, "text");
    }
  } else if (!j.is_null()) {
    s = j.dump();
  }
  return shorten(s, kMaxOutputBytes);
}

// Codex wraps API errors as JSON inside the message: the inner message reads better.
std::string inner_message(const std::string& message) {
  Json j = Json::parse(message, nullptr, false);
  if (j.is_object()) {
    const Json& e = field(j, "error");
    if (e.is_object() && !str(e, "message").empty()) return str(e, "message");
    if (!str(j, "message").empty()) return str(j, "message");
  }
  return message;
}

bool mentions_usage_limit(const std::string& text) {
  for (const char* marker : {"usage limit", "rate limit", "Rate limit", "rate_limit", "quota"}) {
    if (text.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<StreamFormat> parse_stream_format(std::string_view name) {
  for (const auto& [f, n] : kFormats) {
    if (n == name) return f;
  }
  return std::nullopt;
}

std::string_view to_string(StreamFormat format) {
  for (const auto& [f, n] : kFormats) {
    if (f == format) return n;
  }
  return "unknown";
}

Json to_json(const Usage& u) {
  return Json{{"input_tokens", u.input_tokens},
              {"output_tokens", u.output_tokens},
              {"cache_read_tokens", u.cache_read_tokens},
              {"cache_write_tokens", u.cache_write_tokens}};
}

Json to_json(const RunOutcome& o) {
  Json j{{"finished", o.finished},
         {"success", o.success},
         {"turns", o.turns},
         {"permission_denials", o.permission_denials},
         {"usage", to_json(o.usage)},
         {"session_id", o.session_id},
         {"text", o.text}};
  if (!o.reason.empty()) j["reason"] = o.reason;
  if (o.cost_usd) j["cost_usd"] = *o.cost_usd;
  if (o.reset_at_ms) j["reset_at_ms"] = *o.reset_at_ms;
  if (o.exit_code) j["exit_code"] = *o.exit_code;
  return j;
}

StreamParser::StreamParser(StreamFormat format) : format_(format) {
  state_.state = AgentState::kStarting;
  state_.source = SignalSource::kProcess;
  state_.evidence = "start";
}

std::vector<StreamEvent> StreamParser::feed_all(std::string_view text, int64_t now_ms) {
  std::vector<StreamEvent> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto events = feed_line(text.substr(pos, end - pos), now_ms);
    out.insert(out.end(), std::make_move_iterator(events.begin()),
               std::make_move_iterator(events.end()));
    pos = end + 1;
  }
  return out;
}

std::vector<StreamEvent> StreamParser::feed_line(std::string_view line, int64_t now_ms) {
  std::vector<StreamEvent> out;
  size_t start = line.find_first_not_of(" \t\r");
  if (start == std::string_view::npos || line[start] == '#') return out;
  Json j = Json::parse(line.substr(start), nullptr, false);
  if (!j.is_object()) {
    ++bad_lines_;
    return out;
  }
  switch (format_) {
    case StreamFormat::kClaudeStreamJson:
      claude(j, out, now_ms);
      break;
    case StreamFormat::kCodexExecJson:
      codex(j, out, now_ms);
      break;
    case StreamFormat::kOpencodeRunJson:
      opencode(j, out, now_ms);
      break;
    case StreamFormat::kGeminiStreamJson:
      gemini(j, out, now_ms);
      break;
  }
  return out;
}

void StreamParser::finish(std::optional<int> exit_code, int64_t now_ms) {
  outcome_.exit_code = exit_code;
  if (!outcome_.finished) {
    outcome_.success = false;
    outcome_.reason = "no_result";
    if (outcome_.text.empty()) outcome_.text = "the process ended without a result";
  }
  state_ = Signal{};
  state_.state = AgentState::kExited;
  state_.source = SignalSource::kProcess;
  state_.evidence = exit_code ? "exit " + std::to_string(*exit_code) : "exit";
  state_.at_ms = now_ms;
}

void StreamParser::set_state(AgentState state, std::string evidence, int64_t now_ms,
                             std::string detail) {
  state_ = Signal{};
  state_.state = state;
  state_.source = SignalSource::kProtocol;
  state_.confidence = 1.0;
  state_.evidence = std::move(evidence);
  state_.detail = std::move(detail);
  state_.at_ms = now_ms;
  if (state == AgentState::kRateLimited) state_.reset_at_ms = outcome_.reset_at_ms;
}

void StreamParser::session(const std::string& id, std::vector<StreamEvent>& out) {
  if (id.empty() || id == outcome_.session_id) return;
  outcome_.session_id = id;
  out.push_back({"session", Json{{"session_id", id}}});
}

// A turn ended: the outcome follows the latest result.
void StreamParser::result(bool success, std::string reason, std::string text,
                          std::vector<StreamEvent>& out, int64_t now_ms) {
  outcome_.finished = true;
  outcome_.turns += 1;
  if (success && denied_in_turn_) {
    success = false;
    reason = "permission_denied";
  }
  denied_in_turn_ = false;
  outcome_.success = success;
  outcome_.reason = success ? "" : reason;
  outcome_.text = std::move(text);
  Json data{{"success", success},
            {"text", outcome_.text},
            {"turns", outcome_.turns},
            {"usage", to_json(outcome_.usage)},
            {"session_id", outcome_.session_id}};
  if (!success) data["reason"] = outcome_.reason;
  if (outcome_.cost_usd) data["cost_usd"] = *outcome_.cost_usd;
  out.push_back({"result", std::move(data)});
  std::string evidence = std::string(to_string(format_)) + ".result";
  if (success) {
    set_state(AgentState::kIdle, evidence, now_ms);
  } else if (outcome_.reason == "rate_limited") {
    set_state(AgentState::kRateLimited, evidence, now_ms, outcome_.text);
  } else {
    set_state(AgentState::kErrored, evidence, now_ms, outcome_.reason);
  }
}

// Claude's system messages: a turn starting, API retries, compaction, permission denials, idle.
void StreamParser::claude_system(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string subtype = str(j, "subtype");
  if (subtype == "init") {
    denied_in_turn_ = false;
    out.push_back({"turn.started", Json::object()});
    set_state(AgentState::kWorking, "claude.init", now_ms);
  } else if (subtype == "api_retry") {
    std::string error = str(j, "error");
    out.push_back(
        {"retry",
         Json{{"attempt", num(j, "attempt")}, {"max", num(j, "max_retries")}, {"error", error}}});
    set_state(error == "rate_limit" ? AgentState::kRateLimited : AgentState::kWorking,
              "claude.api_retry", now_ms, error);
  } else if (subtype == "status" && str(j, "status") == "compacting") {
    out.push_back({"compaction", Json{{"phase", "started"}}});
  } else if (subtype == "compact_boundary") {
    const Json& meta = field(j, "compact_metadata");
    out.push_back({"compaction", Json{{"phase", "done"},
                                      {"trigger", str(meta, "trigger")},
                                      {"pre_tokens", num(meta, "pre_tokens")},
                                      {"post_tokens", num(meta, "post_tokens")}}});
  } else if (subtype == "permission_denied") {
    denied_in_turn_ = true;
    outcome_.permission_denials += 1;
    out.push_back(
        {"permission.denied", Json{{"tool", str(j, "tool_name")}, {"message", str(j, "message")}}});
  } else if (subtype == "session_state_changed" && str(j, "state") == "idle") {
    set_state(AgentState::kIdle, "claude.session_state_changed", now_ms);
  }
}

// Claude's rate_limit_event: the limit's state, and rate_limited when it blocks.
void StreamParser::claude_rate_limit(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  const Json& info = field(j, "rate_limit_info");
  std::string status = str(info, "status");
  bool blocking = status == "rejected";
  Json data{{"status", status}, {"blocking", blocking}, {"kind", str(info, "rateLimitType")}};
  int64_t resets = num(info, "resetsAt");
  if (resets > 0) data["reset_at_ms"] = resets * 1000;
  if (field(info, "utilization").is_number()) {
    data["utilization"] = field(info, "utilization").get<double>();
  }
  out.push_back({"rate_limit", std::move(data)});
  if (blocking) {
    if (resets > 0) outcome_.reset_at_ms = resets * 1000;
    set_state(AgentState::kRateLimited, "claude.rate_limit_event", now_ms, status);
  }
}

// Claude's result: usage and cost, denials, and the judged outcome.
void StreamParser::claude_result(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string subtype = str(j, "subtype");
  const Json& is_error_j = field(j, "is_error");
  bool is_error = is_error_j.is_boolean() && is_error_j.get<bool>();
  const Json& usage = field(j, "usage");
  outcome_.usage.input_tokens += num(usage, "input_tokens");
  outcome_.usage.output_tokens += num(usage, "output_tokens");
  outcome_.usage.cache_read_tokens += num(usage, "cache_read_input_tokens");
  outcome_.usage.cache_write_tokens += num(usage, "cache_creation_input_tokens");
  if (field(j, "total_cost_usd").is_number()) {
    outcome_.cost_usd = field(j, "total_cost_usd").get<double>();  // the session's total
  }
  // Denials listed on the result but not seen as events of their own.
  const Json& denials = field(j, "permission_denials");
  if (denials.is_array() && !denials.empty()) {
    if (!denied_in_turn_) outcome_.permission_denials += static_cast<int>(denials.size());
    denied_in_turn_ = true;
  }
  std::string text = str(j, "result");
  std::string reason;
  bool success = subtype == "success" && !is_error;
  if (!success) {
    reason = subtype != "success" && !subtype.empty() ? subtype : "is_error";
    if (num(j, "api_error_status") == 429 || mentions_usage_limit(text)) reason = "rate_limited";
    if (text.empty()) {
      for (const auto& e : field(j, "errors")) {
        if (e.is_string()) text += (text.empty() ? "" : "; ") + e.get<std::string>();
      }
    }
  }
  result(success, reason, text, out, now_ms);
}

// Claude Code `-p --output-format stream-json` (agent-clis.md §1.2).
void StreamParser::claude(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string type = str(j, "type");
  session(str(j, "session_id"), out);
  if (type == "system") return claude_system(j, out, now_ms);
  if (type == "assistant") {
    set_state(AgentState::kWorking, "claude.assistant", now_ms);
    for (const auto& block : field(field(j, "message"), "content")) {
      std::string kind = str(block, "type");
      if (kind == "text" && !str(block, "text").empty()) {
        out.push_back({"text", Json{{"text", str(block, "text")}}});
      } else if (kind == "tool_use" || kind == "server_tool_use") {
        out.push_back({"tool.call", Json{{"id", str(block, "id")},
                                         {"tool", str(block, "name")},
                                         {"input", field(block, "input")}}});
      }
    }
    // What the next request carries: this message's input, cache read and cache creation.
    const Json& usage = field(field(j, "message"), "usage");
    if (usage.is_object()) {
      int64_t tokens = num(usage, "input_tokens") + num(usage, "cache_read_input_tokens") +
                       num(usage, "cache_creation_input_tokens");
      if (tokens > 0) out.push_back({"context", Json{{"tokens", tokens}}});
    }
    std::string error = str(j, "error");
    if (!error.empty()) {
      out.push_back({"error", Json{{"message", error}}});
      if (error == "rate_limit") set_state(AgentState::kRateLimited, "claude.assistant", now_ms);
    }
    return;
  }
  if (type == "user") {
    for (const auto& block : field(field(j, "message"), "content")) {
      if (str(block, "type") != "tool_result") continue;
      const Json& is_error = field(block, "is_error");
      out.push_back(
          {"tool.result", Json{{"id", str(block, "tool_use_id")},
                               {"is_error", is_error.is_boolean() && is_error.get<bool>()},
                               {"output", short_text(field(block, "content"))}}});
    }
    if (state_.state != AgentState::kRateLimited) {
      set_state(AgentState::kWorking, "claude.user", now_ms);
    }
    return;
  }
  if (type == "stream_event") {
    set_state(AgentState::kWorking, "claude.stream_event", now_ms);
    return;
  }
  if (type == "rate_limit_event") return claude_rate_limit(j, out, now_ms);
  if (type == "control_request") {
    const Json& req = field(j, "request");
    if (str(req, "subtype") == "can_use_tool") {
      out.push_back({"permission.request", Json{{"id", str(j, "request_id")},
                                                {"tool", str(req, "tool_name")},
                                                {"input", field(req, "input")}}});
      set_state(AgentState::kWaitingInput, "claude.can_use_tool", now_ms, str(req, "tool_name"));
    }
    return;
  }
  if (type == "control_cancel_request") {
    if (state_.state == AgentState::kWaitingInput) {
      set_state(AgentState::kWorking, "claude.control_cancel_request", now_ms);
    }
    return;
  }
  if (type == "result") claude_result(j, out, now_ms);
}

// Codex `exec --json` (agent-clis.md §2.2); accepts the older item_type / assistant_message.
void StreamParser::codex(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string type = str(j, "type");
  if (type == "thread.started" || type == "session.created") {
    session(str(j, "thread_id").empty() ? str(j, "session_id") : str(j, "thread_id"), out);
    set_state(AgentState::kWorking, "codex." + type, now_ms);
  } else if (type == "turn.started") {
    denied_in_turn_ = false;
    out.push_back({"turn.started", Json::object()});
    set_state(AgentState::kWorking, "codex.turn.started", now_ms);
  } else if (type.rfind("item.", 0) == 0) {
    const Json& item = field(j, "item");
    std::string kind = str(item, "type").empty() ? str(item, "item_type") : str(item, "type");
    std::string id = str(item, "id");
    bool done = type == "item.completed";
    if (kind == "agent_message" || kind == "assistant_message") {
      if (done) {
        outcome_.text = str(item, "text");
        out.push_back({"text", Json{{"text", outcome_.text}}});
      }
    } else if (kind == "command_execution" || kind == "file_change" || kind == "mcp_tool_call" ||
               kind == "web_search") {
      std::string tool = kind == "command_execution" ? "shell"
                         : kind == "file_change"     ? "apply_patch"
                         : kind == "web_search"      ? "web_search"
                                                : str(item, "server") + "." + str(item, "tool");
      Json input = kind == "command_execution" ? Json{{"command", str(item, "command")}}
                   : kind == "file_change"     ? field(item, "changes")
                   : kind == "web_search"      ? Json{{"query", str(item, "query")}}
                                               : field(item, "arguments");
      std::string status = str(item, "status");
      if (type == "item.started") {
        out.push_back({"tool.call", Json{{"id", id}, {"tool", tool}, {"input", input}}});
      } else if (done) {
        if (status == "declined") {
          denied_in_turn_ = true;
          outcome_.permission_denials += 1;
          out.push_back({"permission.denied", Json{{"tool", tool}, {"message", "declined"}}});
        }
        bool failed = status == "failed" || status == "declined" ||
                      (field(item, "exit_code").is_number() && num(item, "exit_code") != 0);
        out.push_back(
            {"tool.result", Json{{"id", id},
                                 {"is_error", failed},
                                 {"output", short_text(field(item, "aggregated_output").is_null()
                                                           ? field(item, "result")
                                                           : field(item, "aggregated_output"))}}});
      }
    } else if (kind == "error" && done) {
      out.push_back({"error", Json{{"message", inner_message(str(item, "message"))}}});
    }
    if (state_.state != AgentState::kWaitingInput) {
      set_state(AgentState::kWorking, "codex." + type, now_ms);
    }
  } else if (type == "request_user_input") {
    out.push_back(
        {"permission.request",
         Json{{"id", str(j, "call_id")}, {"tool", "question"}, {"input", field(j, "questions")}}});
    set_state(AgentState::kWaitingInput, "codex.request_user_input", now_ms);
  } else if (type == "turn.completed") {
    // On `exec resume` the usage is the thread's running total: the latest one counts.
    const Json& usage = field(j, "usage");
    outcome_.usage.input_tokens = num(usage, "input_tokens");
    outcome_.usage.output_tokens = num(usage, "output_tokens");
    outcome_.usage.cache_read_tokens = num(usage, "cached_input_tokens");
    outcome_.usage.cache_write_tokens = num(usage, "cache_write_input_tokens");
    result(true, "", outcome_.text, out, now_ms);
  } else if (type == "turn.failed") {
    std::string message = inner_message(str(field(j, "error"), "message"));
    result(false, mentions_usage_limit(message) ? "rate_limited" : "turn.failed", message, out,
           now_ms);
  } else if (type == "error") {
    std::string message = inner_message(str(j, "message"));
    if (message.rfind("Reconnecting...", 0) == 0) {
      out.push_back({"retry", Json{{"error", message}}});
    } else {
      out.push_back({"error", Json{{"message", message}}});
    }
  }
}

// opencode `run --format json` (agent-clis.md §5): steps, parts, tokens and cost per step.
void StreamParser::opencode(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string type = str(j, "type");
  const Json& part = field(j, "part");
  session(str(j, "sessionID").empty() ? str(part, "sessionID") : str(j, "sessionID"), out);
  if (type == "step_start") {
    if (state_.state != AgentState::kWorking) {
      denied_in_turn_ = false;
      out.push_back({"turn.started", Json::object()});
    }
    set_state(AgentState::kWorking, "opencode.step_start", now_ms);
  } else if (type == "tool_use") {
    const Json& st = field(part, "state");
    std::string status = str(st, "status");
    std::string id = str(part, "callID");
    std::string tool = str(part, "tool");
    out.push_back({"tool.call", Json{{"id", id}, {"tool", tool}, {"input", field(st, "input")}}});
    if (status == "completed" || status == "error") {
      std::string error = str(st, "error");
      if (status == "error" && error.find("rejected permission") != std::string::npos) {
        denied_in_turn_ = true;
        outcome_.permission_denials += 1;
        out.push_back({"permission.denied", Json{{"tool", tool}, {"message", error}}});
      }
      out.push_back(
          {"tool.result", Json{{"id", id},
                               {"is_error", status == "error"},
                               {"output", short_text(status == "error" ? field(st, "error")
                                                                       : field(st, "output"))}}});
    }
    set_state(AgentState::kWorking, "opencode.tool_use", now_ms);
  } else if (type == "text") {
    outcome_.text = str(part, "text");
    out.push_back({"text", Json{{"text", outcome_.text}}});
    set_state(AgentState::kWorking, "opencode.text", now_ms);
  } else if (type == "step_finish") {
    const Json& tokens = field(part, "tokens");
    outcome_.usage.input_tokens += num(tokens, "input");
    outcome_.usage.output_tokens += num(tokens, "output");
    outcome_.usage.cache_read_tokens += num(field(tokens, "cache"), "read");
    outcome_.usage.cache_write_tokens += num(field(tokens, "cache"), "write");
    if (field(part, "cost").is_number()) {
      outcome_.cost_usd = outcome_.cost_usd.value_or(0.0) + field(part, "cost").get<double>();
    }
    std::string reason = str(part, "reason");
    if (reason != "tool-calls") result(true, "", outcome_.text, out, now_ms);
  } else if (type == "error") {
    const Json& e = field(j, "error");
    std::string message = str(field(e, "data"), "message");
    if (message.empty()) message = str(e, "name");
    out.push_back({"error", Json{{"message", message}}});
    result(false, mentions_usage_limit(message) ? "rate_limited" : str(e, "name"), message, out,
           now_ms);
  }
}

// Gemini CLI `-p --output-format stream-json` (agent-clis.md §3).
void StreamParser::gemini(const Json& j, std::vector<StreamEvent>& out, int64_t now_ms) {
  std::string type = str(j, "type");
  if (type == "init") {
    session(str(j, "session_id"), out);
    denied_in_turn_ = false;
    outcome_.text.clear();
    out.push_back({"turn.started", Json::object()});
    set_state(AgentState::kWorking, "gemini.init", now_ms);
  } else if (type == "message") {
    if (str(j, "role") == "assistant") {
      std::string content = str(j, "content");
      outcome_.text = field(j, "delta").is_boolean() && field(j, "delta").get<bool>()
                          ? outcome_.text + content
                          : content;
      out.push_back({"text", Json{{"text", content}}});
      set_state(AgentState::kWorking, "gemini.message", now_ms);
    }
  } else if (type == "tool_use") {
    out.push_back({"tool.call", Json{{"id", str(j, "tool_id")},
                                     {"tool", str(j, "tool_name")},
                                     {"input", field(j, "parameters")}}});
    set_state(AgentState::kWorking, "gemini.tool_use", now_ms);
  } else if (type == "tool_result") {
    bool failed = str(j, "status") == "error";
    out.push_back(
        {"tool.result", Json{{"id", str(j, "tool_id")},
                             {"is_error", failed},
                             {"output", short_text(failed ? Json(str(field(j, "error"), "message"))
                                                          : field(j, "output"))}}});
  } else if (type == "error") {
    out.push_back(
        {"error", Json{{"message", str(j, "message")}, {"severity", str(j, "severity")}}});
  } else if (type == "result") {
    const Json& stats = field(j, "stats");
    outcome_.usage.input_tokens += num(stats, "input_tokens");
    outcome_.usage.output_tokens += num(stats, "output_tokens");
    outcome_.usage.cache_read_tokens += num(stats, "cached");
    bool success = str(j, "status") == "success";
    std::string message = str(field(j, "error"), "message");
    result(success,
           success                         ? ""
           : mentions_usage_limit(message) ? "rate_limited"
                                           : "error",
           success ? outcome_.text : message, out, now_ms);
  }
}

}  // namespace bosun
