// AgentJson: AgentView → the API's JSON.
#include "api/agent_json.h"

#include <fmt/format.h>

#include "agent/sandbox.h"

namespace bosun {
namespace {

// What the agent's row holds, shown alike for this host's agents and another's.
Json row_fields(const AgentRecord& a) {
  return Json{{"id", a.id},
              {"name", a.name},
              {"role", a.role},
              {"profile", a.profile},
              {"permanent", a.permanent},
              {"state", a.state},
              {"state_source", a.state_source},
              {"state_since", format_time(from_unix_ms(a.state_since_ms))},
              {"argv", a.argv},
              {"cwd", a.cwd},
              {"cols", a.cols},
              {"rows", a.rows},
              {"generation", a.generation},
              {"created_at", format_time(from_unix_ms(a.created_at_ms))},
              {"project_id", a.project_id ? Json(*a.project_id) : Json()}};
}

}  // namespace

Json agent_json(const AgentView& view, Store& store) {
  const AgentRecord& a = view.record;
  Json shown = to_json(view.reading);
  Json j = row_fields(a);
  j["state_confidence"] = shown.value("confidence", 1.0);
  j["state_evidence"] = shown.value("evidence", a.state);
  j["last_output_at"] =
      a.last_output_ms ? Json(format_time(from_unix_ms(*a.last_output_ms))) : Json();
  j["command_from_profile"] = a.launch.value("profile_argv", false);
  j["args"] = a.launch.value("args", Json::array());
  j["session_id"] = a.launch.contains("session_id") ? a.launch["session_id"] : Json();
  j["sandbox"] = a.launch.contains("sandbox") ? a.launch["sandbox"] : SandboxPolicy{}.to_json();
  j["context"] = view.context ? to_json(*view.context) : Json();
  j["worktree"] = Json();
  if (auto wt = store.projects().active_worktree(a.name); wt && *wt) {
    j["worktree"] = Json{{"id", (*wt)->id},
                         {"path", (*wt)->path},
                         {"branch", (*wt)->branch},
                         {"base_branch", (*wt)->base_branch}};
  }
  for (const char* key : {"detail", "row", "dialog", "reset_at_ms", "reset_text"}) {
    if (shown.contains(key)) j[std::string("state_") + key] = shown[key];
  }
  // On a shared store, the host it runs on: this one.
  if (const std::string& host = a.host.empty() ? store.events().host() : a.host; !host.empty()) {
    j["host"] = host;
    j["remote"] = false;
  }
  if (view.run) {
    j["run"] = to_json(*view.run);
    j["pid"] = view.run->pid ? Json(*view.run->pid) : Json();
    j["end_offset"] = view.run->end_offset;
  } else {
    j["run"] = Json();
    j["pid"] = Json();
  }
  return j;
}

Json remote_agent_json(const AgentRecord& a, const std::optional<HostRecord>& host) {
  std::string evidence = a.state;
  if (host && host->state == "lost") {
    evidence = fmt::format("host {} unreachable since {}", a.host,
                           format_time(from_unix_ms(host->renewed_at_ms)));
  }
  Json j = row_fields(a);
  j["state_evidence"] = evidence;
  j["host"] = a.host;
  j["remote"] = true;
  j["context"] = Json();
  j["run"] = Json();
  j["pid"] = Json();
  return j;
}

}  // namespace bosun
