// CrewPlan: the team file against the running crew, step by step.
#include "cli/crew_plan.h"

#include <set>

#include <fmt/format.h>

#include "agent/agent_state.h"

namespace bosun::cli {

namespace {

bool live(const std::string& state) {
  auto s = parse_agent_state(state);
  return s && has_process(*s);
}

// A spec's value for `key`, with the default an absent key means.
Json setting(const Json& spec, const std::string& key) {
  if (spec.contains(key)) return spec[key];
  if (key == "role") return "";
  if (key == "profile") return "shell";
  if (key == "permanent" || key == "worktree") return false;
  if (key == "env") return Json::object();
  if (key == "sandbox" || key == "permission") return Json();
  return Json::array();  // argv, args
}

std::string shown(const Json& value) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    return s.empty() ? "(none)" : s;
  }
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

const Json* find_agent(const Json& agents, const std::string& name) {
  for (const auto& a : agents) {
    if (a.value("name", "") == name) return &a;
  }
  return nullptr;
}

}  // namespace

const char* crew_action_name(CrewAction action) {
  switch (action) {
    case CrewAction::kStart:
      return "start";
    case CrewAction::kKeep:
      return "keep";
    case CrewAction::kRestart:
      return "restart";
    case CrewAction::kReplace:
      return "replace";
    case CrewAction::kLeave:
      return "leave";
    case CrewAction::kStop:
      return "stop";
  }
  return "?";
}

std::vector<std::string> spec_changes(const Json& before, const Json& after) {
  std::vector<std::string> out;
  for (const char* key :
       {"role", "profile", "permanent", "worktree", "argv", "args", "sandbox", "permission"}) {
    Json a = setting(before, key);
    Json b = setting(after, key);
    if (a != b) out.push_back(fmt::format("{}: {} → {}", key, shown(a), shown(b)));
  }
  Json a = setting(before, "env");
  Json b = setting(after, "env");
  std::set<std::string> keys;
  for (const auto& [k, v] : a.items())
    keys.insert(k);
  for (const auto& [k, v] : b.items())
    keys.insert(k);
  std::string env;
  for (const auto& k : keys) {
    if (a.value(k, Json()) != b.value(k, Json())) env += (env.empty() ? "" : ", ") + k;
  }
  if (!env.empty()) out.push_back("env: " + env);
  return out;
}

std::vector<CrewStep> plan_crew(const std::vector<Json>& wanted, const Json& agents,
                                const Json& applied, bool prune) {
  std::vector<CrewStep> steps;
  std::set<std::string> listed;
  for (const auto& spec : wanted) {
    CrewStep step;
    step.name = spec.value("name", "");
    step.spec = spec;
    listed.insert(step.name);
    const Json* agent = find_agent(agents, step.name);
    if (agent == nullptr) {
      step.action = CrewAction::kStart;
      steps.push_back(std::move(step));
      continue;
    }
    step.state = agent->value("state", "");
    // What it runs with: the spec the last `up` gave it, else what the daemon says of it.
    Json before = applied.contains(step.name)
                      ? applied[step.name]
                      : Json{{"role", agent->value("role", "")},
                             {"profile", agent->value("profile", "shell")},
                             {"permanent", agent->value("permanent", false)}};
    Json compared = spec;
    if (!applied.contains(step.name)) {
      compared = Json{{"role", setting(spec, "role")},
                      {"profile", setting(spec, "profile")},
                      {"permanent", setting(spec, "permanent")}};
    }
    step.changes = spec_changes(before, compared);
    if (!step.changes.empty()) {
      step.action = CrewAction::kReplace;
    } else {
      step.action = live(step.state) ? CrewAction::kKeep : CrewAction::kRestart;
    }
    steps.push_back(std::move(step));
  }
  for (const auto& [name, spec] : applied.items()) {
    if (listed.contains(name)) continue;
    const Json* agent = find_agent(agents, name);
    if (agent == nullptr) continue;  // removed by hand since
    CrewStep step;
    step.name = name;
    step.state = agent->value("state", "");
    step.action = prune ? CrewAction::kStop : CrewAction::kLeave;
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace bosun::cli
