// Team: yaml-cpp parsing with positions in every message.
#include "crew/team.h"

#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "agent/permission.h"
#include "agent/sandbox.h"
#include "crew/supervisor_config.h"
#include "notify/notify_config.h"
#include "util/yaml_json.h"

namespace bosun {

namespace {

struct Where {
  const std::string& file;
  std::string at(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.line < 0) return file;
    return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
  }
};

Error bad(const std::string& where, const std::string& what) {
  return Error{ErrorKind::kInvalid, "invalid_team", where + ": " + what};
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

Result<bool> as_bool(const Where& w, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar() || (node.Scalar() != "true" && node.Scalar() != "false")) {
    return tl::unexpected(bad(w.at(node), key + " must be true or false"));
  }
  return node.Scalar() == "true";
}

Result<std::string> as_string(const Where& w, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return tl::unexpected(bad(w.at(node), key + " must be a string"));
  return node.Scalar();
}

// `sandbox:` as the API takes it, checked now.
Result<Json> sandbox_setting(const Where& w, const YAML::Node& node, const std::string& key) {
  Json value = node_json(node);
  if (auto policy = parse_sandbox(value); !policy) {
    return tl::unexpected(bad(w.at(node), key + ": " + policy.error().message));
  }
  return value;
}

Result<std::string> permission_setting(const Where& w, const YAML::Node& node,
                                       const std::string& key) {
  if (!node.IsScalar() || !is_permission_policy(node.Scalar())) {
    return tl::unexpected(bad(w.at(node), key + " must be ask, edits or unattended"));
  }
  return node.Scalar();
}

Result<TeamAgent> parse_agent(const Where& w, const YAML::Node& node, size_t index) {
  std::string label = fmt::format("agents[{}]", index);
  if (!node.IsMap()) return tl::unexpected(bad(w.at(node), label + " must be a mapping"));
  TeamAgent agent;
  agent.line = node.Mark().line + 1;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    std::string what = fmt::format("{}.{}", label, key);
    if (key == "name" || key == "role" || key == "profile") {
      auto s = as_string(w, v, what);
      if (!s) return tl::unexpected(s.error());
      (key == "name" ? agent.name : key == "role" ? agent.role : agent.profile) = *s;
    } else if (key == "permanent" || key == "worktree") {
      auto b = as_bool(w, v, what);
      if (!b) return tl::unexpected(b.error());
      (key == "permanent" ? agent.permanent : agent.worktree) = *b;
    } else if (key == "command" || key == "args") {
      auto& out = key == "command" ? agent.command : agent.args;
      if (!v.IsSequence() || (key == "command" && v.size() == 0)) {
        return tl::unexpected(bad(w.at(v), what + " must be a list of strings"));
      }
      for (const auto& arg : v) {
        auto s = as_string(w, arg, what);
        if (!s) return tl::unexpected(s.error());
        out.push_back(*s);
      }
    } else if (key == "env") {
      if (!v.IsMap()) return tl::unexpected(bad(w.at(v), what + " must be a mapping"));
      for (const auto& e : v) {
        auto s = as_string(w, e.second, what + "." + e.first.Scalar());
        if (!s) return tl::unexpected(s.error());
        agent.env[e.first.Scalar()] = *s;
      }
    } else if (key == "sandbox") {
      auto value = sandbox_setting(w, v, what);
      if (!value) return tl::unexpected(value.error());
      agent.sandbox = std::move(*value);
    } else if (key == "permission") {
      auto value = permission_setting(w, v, what);
      if (!value) return tl::unexpected(value.error());
      agent.permission = std::move(*value);
    } else {
      return tl::unexpected(
          bad(w.at(kv.first), fmt::format("unknown key '{}' in {} (name, role, profile, "
                                          "permanent, worktree, command, args, env, sandbox, "
                                          "permission)",
                                          key, label)));
    }
  }
  if (agent.name.empty()) return tl::unexpected(bad(w.at(node), label + ": name is required"));
  if (!agent.command.empty() && !agent.args.empty()) {
    return tl::unexpected(bad(w.at(node), label + ": args add to the profile's command; with "
                                                  "command, put them in command"));
  }
  if (!valid_name(agent.name)) {
    return tl::unexpected(bad(w.at(node), fmt::format("{}: name '{}' must be 1-32 characters of "
                                                      "[a-z0-9_-], starting with a letter",
                                                      label, agent.name)));
  }
  return agent;
}

}  // namespace

Result<Team> parse_team(const std::string& text, const std::string& file_name) {
  Where w{file_name};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return tl::unexpected(
        bad(fmt::format("{}:{}:{}", file_name, e.mark.line + 1, e.mark.column + 1), e.msg));
  }
  if (!root.IsMap()) return tl::unexpected(bad(file_name, "the team file must be a mapping"));
  Team team;
  std::set<std::string> names;
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "project") {
      auto s = as_string(w, v, "project");
      if (!s) return tl::unexpected(s.error());
      team.project = *s;
    } else if (key == "listen") {
      auto s = as_string(w, v, "listen");
      if (!s) return tl::unexpected(s.error());
      auto colon = s->rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == s->size() ||
          s->find_first_not_of("0123456789", colon + 1) != std::string::npos) {
        return tl::unexpected(bad(w.at(v), "listen must be HOST:PORT, e.g. 127.0.0.1:7777"));
      }
      team.listen = *s;
    } else if (key == "agents") {
      if (!v.IsSequence()) return tl::unexpected(bad(w.at(v), "agents must be a list"));
      for (size_t i = 0; i < v.size(); ++i) {
        auto agent = parse_agent(w, v[i], i);
        if (!agent) return tl::unexpected(agent.error());
        if (!names.insert(agent->name).second) {
          return tl::unexpected(bad(
              w.at(v[i]), fmt::format("agents[{}]: the name {} is used twice", i, agent->name)));
        }
        team.agents.push_back(std::move(*agent));
      }
    } else if (key == "supervisor") {
      if (!v.IsMap()) return tl::unexpected(bad(w.at(v), "supervisor must be a mapping"));
      for (const auto& s : v) {
        if (!s.second.IsScalar()) {
          return tl::unexpected(bad(w.at(s.second), "supervisor." + s.first.Scalar() +
                                                        " must be a number or a duration"));
        }
        team.supervisor[s.first.Scalar()] = scalar_json(s.second);
      }
      // Checked here, before anything starts, as the daemon will check it.
      if (auto c = supervisor_config_from_json(team.supervisor); !c) {
        return tl::unexpected(bad(w.at(v), c.error().message));
      }
    } else if (key == "notify") {
      if (!v.IsMap()) return tl::unexpected(bad(w.at(v), "notify must be a mapping"));
      team.notify = node_json(v);
      if (auto c = notify_config_from_json(team.notify); !c) {
        return tl::unexpected(bad(w.at(v), c.error().message));
      }
    } else if (key == "sandbox") {
      auto value = sandbox_setting(w, v, key);
      if (!value) return tl::unexpected(value.error());
      team.sandbox = std::move(*value);
    } else if (key == "permission") {
      auto value = permission_setting(w, v, key);
      if (!value) return tl::unexpected(value.error());
      team.permission = std::move(*value);
    } else {
      return tl::unexpected(bad(w.at(kv.first), fmt::format("unknown key '{}' (project, listen, "
                                                            "agents, supervisor, notify, "
                                                            "sandbox, permission)",
                                                            key)));
    }
  }
  return team;
}

Result<Json> parse_notify_file(const std::string& text, const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return tl::unexpected(
        bad(fmt::format("{}:{}:{}", file_name, e.mark.line + 1, e.mark.column + 1), e.msg));
  }
  if (!root.IsMap()) return tl::unexpected(bad(file_name, "notify settings must be a mapping"));
  const YAML::Node& top = root;  // a const lookup adds no key
  const YAML::Node section = top["notify"];
  Json notify = node_json(section ? section : top);
  if (auto c = notify_config_from_json(notify); !c) {
    return tl::unexpected(bad(file_name, c.error().message));
  }
  return notify;
}

}  // namespace bosun
