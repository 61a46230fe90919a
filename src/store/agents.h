// Agents and runs: the agents table (one row per named agent) and runs (one per process).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct AgentRecord {
  std::string id;  // "ag_…"
  std::string name;
  std::string role;
  std::string profile = "shell";
  std::optional<std::string> project_id;
  bool permanent = false;
  std::string state = "starting";
  std::string state_source = "process";
  int64_t state_since_ms = 0;
  std::vector<std::string> argv;
  std::string cwd;
  Json env = Json::object();  // extra environment the agent was spawned with
  int cols = 120;
  int rows = 40;
  int64_t generation = 0;  // increments with every run
  std::optional<int64_t> last_output_ms;
  int64_t created_at_ms = 0;
  std::string token;  // the agent's own API token (BOSUN_TOKEN inside the agent)
  // How the command is built when it comes from the profile: {profile_argv: true, args: [...],
  // session_id?, session_started?}; {} for a command given as it is.
  Json launch = Json::object();
  // The host whose daemon runs it (a shared store's); empty on a store one daemon owns.
  std::string host;
};

// What the supervisor counts per agent, for context resets.
struct AgentCounters {
  int64_t tasks_since_reset = 0;
  int64_t reset_count = 0;
  std::optional<int64_t> last_reset_ms;
};

struct RunRecord {
  int64_t id = 0;
  std::string agent_id;
  int64_t generation = 0;
  std::vector<std::string> argv;
  std::string cwd;
  std::string socket;
  std::string log_path;
  std::string state = "starting";  // starting | running | exited | lost
  std::optional<int64_t> pid;
  std::optional<int64_t> holder_pid;
  int64_t started_at_ms = 0;
  std::optional<int64_t> ended_at_ms;
  std::optional<int64_t> exit_code;
  std::optional<int64_t> signal;
  std::optional<std::string> error;
  std::optional<std::string> lost_reason;
  int64_t end_offset = 0;     // bytes of output recorded in the log file
  Json gaps = Json::array();  // [[from, to], …] output that was lost (ring overrun)
};

Json to_json(const RunRecord& run);

class AgentStore {
 public:
  explicit AgentStore(Database& db) : db_(db) {}

  // This daemon's host on a shared store: the agents it inserts run on it, and `local` lists
  // them. Empty (a store one daemon owns): every agent is local.
  void set_host(std::string host) { host_ = std::move(host); }

  Status insert(const AgentRecord& agent);
  Status update(const AgentRecord& agent);
  // The supervisor's counters live in their own columns: update() never touches them.
  Result<AgentCounters> counters(const std::string& id);
  Status set_counters(const std::string& id, const AgentCounters& counters);
  Status remove(const std::string& id);
  // By id, or by name (names are accepted wherever an id is).
  Result<AgentRecord> find(const std::string& id_or_name);
  Result<std::vector<AgentRecord>> list();
  // The agents this daemon runs: those of its host (and any from before there were hosts).
  Result<std::vector<AgentRecord>> local();
  // The agents of `host`, for another host's reaper.
  Result<std::vector<AgentRecord>> on_host(const std::string& host);
  Result<int64_t> count();

  Result<int64_t> insert_run(const RunRecord& run);
  Status update_run(const RunRecord& run);
  Result<RunRecord> latest_run(const std::string& agent_id);
  // Run `generation` of the agent; 404 `run_not_found`.
  Result<RunRecord> find_run(const std::string& agent_id, int64_t generation);
  // Runs a daemon must reconnect to or reconcile: starting or running.
  Result<std::vector<RunRecord>> open_runs();

 private:
  Database& db_;
  std::string host_;
};

}  // namespace bosun
