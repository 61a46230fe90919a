// Hooks: Claude Code's hook JSON, forwarded by `bosun hook claude` inside the agent; the agent
// is known from its token (a person may name one with ?agent=).
#include "agent/hook_events.h"
#include "agent/registry.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/pipeline_runs.h"

namespace bosun {
namespace {

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
