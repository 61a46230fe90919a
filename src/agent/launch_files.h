// LaunchFiles: what an agent's run starts with besides its program — its own environment
// (BOSUN_URL, BOSUN_TOKEN, …), its instructions file, and the command built from its profile
// with the files that command names (Claude Code's hooks settings).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "agent/launch_plan.h"
#include "agent/profile.h"
#include "agent/sandbox.h"
#include "store/agents.h"
#include "util/state_dir.h"

namespace bosun {

// An environment variable name a spawn may set: [A-Za-z_][A-Za-z0-9_]*, at most 128 bytes.
bool valid_env_name(const std::string& name);

class LaunchFiles {
 public:
  LaunchFiles(StateDir state, std::string bosun_exe)
      : state_(std::move(state)), bosun_exe_(std::move(bosun_exe)) {}

  // The daemon's address for BOSUN_URL inside agents.
  void set_daemon_url(std::string url) { daemon_url_ = std::move(url); }

  // Where an agent's instructions (its role and the bosun protocol) are written; inside the
  // agent, BOSUN_INSTRUCTIONS names this file when it exists.
  std::filesystem::path instructions_file(const std::string& agent_name) const;

  // The agent's own variables and bosun's (BOSUN_URL, BOSUN_TOKEN, BOSUN_AGENT, …): what its
  // programs get on top of the host's environment.
  // With its profile, also the variable its mcp: section hands the endpoint's config (or its
  // file) in.
  std::map<std::string, std::string> own_env(const AgentRecord& agent,
                                             const Profile* profile = nullptr) const;
  // That variable alone for agent `name` (empty when the profile hands its config otherwise or
  // not at all); a file_env's file is written first.
  Result<std::map<std::string, std::string>> mcp_env(const std::string& name,
                                                     const Profile& profile) const;
  // The agent's config file for bosun's endpoint (<state>/agents/NAME/mcp.json, 0600), written
  // now; "" when the profile's config goes in a variable or there is none.
  Result<std::string> mcp_file(const std::string& name, const Profile& profile) const;

  // The values a profile's templates are filled with for agent `name` and its launch plan.
  LaunchInputs inputs(const std::string& name, const Json& launch, bool resume) const;

  // The profile's mcp args for agent `name`, with bosun's endpoint ({mcp_url}) and the config
  // file they name ({mcp_file}, written here, mode 0600); none when the profile has no mcp:.
  Result<std::vector<std::string>> mcp_args(const std::string& name, const Profile& profile) const;

  // What a sandboxed run of `agent` sees (agent/sandbox.h), `env` being its own variables:
  // its folder and that checkout's git data read-write; its CLI's files under HOME (the
  // profile's `home`) read-write and every other built-in CLI's hidden; its own files here
  // (<state>/agents/NAME: instructions, hooks, MCP config) read-only, with its own cache
  // (<state>/agents/NAME/cache, made now) read-write; the daemon through the relay when offline.
  SandboxLayout sandbox_layout(const AgentRecord& agent, const Profile* profile,
                               const std::map<std::string, std::string>& env) const;

  // When the agent's command comes from its profile, builds this run's argv into the record:
  // the hooks settings written (mode 0600), its session started or resumed. Otherwise nothing.
  Status prepare_command(AgentRecord& agent, const Result<Profile>& profile) const;

 private:
  StateDir state_;
  std::string bosun_exe_;
  std::string daemon_url_;
};

}  // namespace bosun
