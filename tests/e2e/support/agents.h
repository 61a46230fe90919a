// Helpers for tests that drive agents: event waits, terminal reads, spawning.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/harness.h"

namespace bosun::e2e {

// Follows the event stream until an event matches, or the deadline passes.
class EventWaiter {
 public:
  explicit EventWaiter(TestDaemon& d);
  // Replays the stored events after `since` first (0: all of them; -1: none), then goes on
  // live.
  EventWaiter(TestDaemon& d, int64_t since);
  std::optional<Json> wait(const std::string& type, const std::string& subject,
                           std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next event of `type` (any subject when empty) whose data satisfies `match`.
  std::optional<Json> wait_for(const std::string& type, const std::string& subject,
                               const std::function<bool(const Json& data)>& match,
                               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next event of any of `types` about `subject` (any subject when empty).
  std::optional<Json> wait_any(const std::vector<std::string>& types, const std::string& subject,
                               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool ok() const { return ok_; }

 private:
  // The next event `match` accepts, read within `timeout`.
  std::optional<Json> next(const std::function<bool(const Json& event)>& match,
                           std::chrono::milliseconds timeout);
  WsClient ws_;
  bool ok_ = false;
};

// Reads JSON terminal frames until the accumulated output contains `needle`.
bool terminal_until(WsClient& ws, std::string& seen, const std::string& needle,
                    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// POST /api/v1/agents; expects 201.
Json spawn(TestDaemon& d, const std::string& name, const Json& argv, int cols = 80, int rows = 24);

// True for the states of an agent whose program runs: running (just started), working, idle.
inline bool is_live(const Json& state) {
  return state == "running" || state == "working" || state == "idle";
}

// An interactive bash without the user's start-up files.
inline const Json kBash = Json::array({"bash", "--norc", "--noprofile", "-i"});

// The crew: scripted agents, the supervisor's settings, tasks by title and role.

// argv of `bosun sim-agent --work-ms 40` plus `extra`.
Json sim_argv(const std::vector<std::string>& extra = {});

// Spawns a scripted agent (profile sim) and waits until it sits idle at its prompt.
Json spawn_sim(TestDaemon& d, EventWaiter& events, const std::string& name, const std::string& role,
               const std::vector<std::string>& extra = {}, const std::string& cwd = "",
               bool permanent = false);

// POST /api/v1/agents with `body`; expects 201 and waits until the agent is idle.
Json spawn_idle(TestDaemon& d, EventWaiter& events, const Json& body);

// PUT /api/v1/supervisor; expects 200.
void configure(TestDaemon& d, const Json& config);

// POST /api/v1/tasks; expects 201.
Json add_task(TestDaemon& d, const std::string& title, const std::string& role,
              const std::string& description = "", const Json& deps = Json::array());

// Waits for a task.updated that leaves task `id` in `status`.
bool task_reaches(EventWaiter& events, const std::string& id, const std::string& status,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace bosun::e2e
