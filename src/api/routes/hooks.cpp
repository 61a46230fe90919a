// Hooks: Claude Code's hook JSON, forwarded by `bosun hook claude` inside the agent; the agent
// is known from its token (a person may name one with ?agent=).
#include <fmt/format.h>

#include "agent/hook_events.h"
#include "agent/registry.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/pipeline_runs.h"

namespace bosun {
namespace {

// A count from 0 to 100 million, or nullopt when absent; an error when it is anything else.
Result<std::optional<int64_t>> count_in(const Json& j, const char* key, int64_t max) {
  auto v = j.find(key);
  if (v == j.end()) return std::optional<int64_t>();
  if (!v->is_number_integer() || v->get<int64_t>() < 0 || v->get<int64_t>() > max) {
    return bad_request(
        "invalid_field",
        fmt::format("bosun_context.{} must be a whole number from 0 to {}", key, max));
  }
  return std::optional<int64_t>(v->get<int64_t>());
}

// bosun_context {tokens?, window?, percent?}: the percent the CLI said, else the tokens
// against the window it said (or the profile's). Nullopt when there is nothing to go on.
Result<std::optional<ContextGauge>> context_of(Services& s, const std::string& agent,
                                               const Json& ctx, const std::string& source) {
  if (!ctx.is_object()) return bad_request("invalid_field", "bosun_context must be an object");
  TRY(tokens_in, count_in(ctx, "tokens", 100'000'000));
  TRY(window_in, count_in(ctx, "window", 100'000'000));
  TRY(percent_in, count_in(ctx, "percent", 100));
  const std::optional<int64_t> tokens = *tokens_in, window = *window_in, percent = *percent_in;
  if (percent || (tokens && window && *window > 0)) {
    ContextGauge g = tokens && window && *window > 0
                         ? gauge_of_tokens(*tokens, *window, source, to_unix_ms(s.clock.now()))
                         : ContextGauge{};
    if (percent) g.percent = static_cast<int>(*percent);
    if (!g.window && window && *window > 0) g.window = *window;
    if (!g.tokens && tokens) g.tokens = *tokens;
    g.source = source;
    g.at_ms = to_unix_ms(s.clock.now());
    TRY_OK(s.agents.note_context(agent, g));
    return std::optional<ContextGauge>(g);
  }
  if (!tokens) return std::optional<ContextGauge>();
  return s.agents.note_context_tokens(agent, *tokens, source);
}

Result<Response> post_claude_hook(Services& s, Request& request) {
  std::string agent;
  if (request.principal.kind == Principal::Kind::kAgent) {
    agent = request.principal.agent_id;
  } else if (const std::string* named = request.query_param("agent")) {
    agent = *named;
  } else {
    return bad_request("agent_required",
                       "hooks come from an agent's token; a person names the agent with ?agent=");
  }
  auto hook = parse_json_object(request.body);
  if (!hook) return tl::unexpected(hook.error());
  auto event = require_string(*hook, "hook_event_name");
  if (!event) return tl::unexpected(event.error());
  auto shown = s.agents.view(agent);
  if (!shown) return tl::unexpected(shown.error());
  Json reply{{"ok", true}, {"agent", shown->name()}, {"event", *event}, {"changed", false}};
  // A hook from an earlier run of the agent (it arrived after a restart) says nothing about
  // the current one: neither its state nor the session a restart resumes.
  if (const std::string* run = request.query_param("run")) {
    if (*run != std::to_string(shown->record.generation)) {
      reply["stale"] = true;
      return Response::json(reply);
    }
  }
  // The session the CLI runs, so a restart can resume it: a prompt or a tool means there is a
  // conversation on disk; /clear starts a new session id.
  if (auto sid = hook->find("session_id"); sid != hook->end() && sid->is_string()) {
    bool started = *event != "SessionStart" && *event != "SessionEnd";
    if (auto st = s.agents.note_session(agent, sid->get<std::string>(), started); !st) {
      return tl::unexpected(st.error());
    }
  }
  // How full the context is: the status line's context_window, or the transcript's last
  // usage that `bosun hook claude` adds.
  if (auto ctx = hook->find("bosun_context"); ctx != hook->end()) {
    auto gauge = context_of(s, agent, *ctx, *event == "StatusLine" ? "statusline" : "hook");
    if (!gauge) return tl::unexpected(gauge.error());
    if (*gauge) reply["context"] = to_json(**gauge);
  }
  // A finished tool call counts toward loop prevention when the agent works a pipeline step.
  s.pipelines.agent_tool_finished(shown->id(), *hook);
  if (auto signal = claude_hook_signal(*hook)) {
    auto changed = s.agents.offer_signal(agent, *signal);
    if (!changed) return tl::unexpected(changed.error());
    reply["changed"] = *changed;
    reply["signal"] = std::string(to_string(signal->state));
  }
  if (auto now = s.agents.view(agent)) {
    reply["state"] = to_string(now->state);
    reply["state_source"] = to_string(now->source());
  }
  return Response::json(reply);
}

}  // namespace

std::vector<Route> hook_routes() {
  return {
      {"POST", "/api/v1/hooks/claude", Access::kAny, post_claude_hook},
  };
}

}  // namespace bosun
