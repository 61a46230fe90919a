// Team: the team file (`bosun.yaml`) — the project, the crew, the supervisor's settings and
// where notifications go.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/json.h"
#include "util/result.h"

namespace bosun {

struct TeamAgent {
  std::string name;
  std::string role;
  std::string profile = "shell";
  bool permanent = false;
  bool worktree = false;
  std::vector<std::string> command;  // overrides the profile's program
  std::vector<std::string> args;     // added to the profile's command
  std::map<std::string, std::string> env;
  Json sandbox;            // as POST /api/v1/agents takes it; null: the team's, else the role's
  std::string permission;  // ask | edits | unattended; "": the team's, else the role's
  int line = 0;            // where it is defined, for messages
};

struct Team {
  std::string project = ".";
  std::string listen;  // the daemon's address when `bosun up` starts one; empty: its choice
  std::vector<TeamAgent> agents;
  Json supervisor = Json::object();  // as the supervisor's PUT takes it
  Json notify;                       // as PUT /api/v1/notify takes it; null: not in the file
  Json sandbox;            // every agent's unless its own says otherwise; null: none given
  std::string permission;  // likewise
};

// Parses a team file. Errors name the file, line and column: "bosun.yaml:4:5: agents[1]: name
// is required".
Result<Team> parse_team(const std::string& text, const std::string& file_name);

// A file of `notify:` settings (YAML or JSON): its top level, or a team file's `notify:`
// section; checked as the daemon checks it.
Result<Json> parse_notify_file(const std::string& text, const std::string& file_name);

}  // namespace bosun
