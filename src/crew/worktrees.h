// Worktrees: each agent's own checkout of a project, at `<state>/worktrees/<project>/<agent>`
// on branch `bosun/<agent>` — made (copy list, setup command with a timeout), listed with their
// state on disk, removed only when nothing unsaved is at stake (force keeps a backup ref), and
// pruned when provably safe. git and file copies run on the one-thread git worker; setup and
// cleanup commands on the shared process runner.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "crew/refusal.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun {

class AgentRegistry;

class Worktrees {
 public:
  Worktrees(Store& store, StoreRunner& runner, const Clock& clock, Log& log,
            ProcessRunner& commands, ProcessRunner& git, StateDir state);

  void set_agents(AgentRegistry* agents) { agents_ = agents; }

  // The agent's worktree in `project` — the one it already has, or a new one on branch
  // `bosun/<agent>` from the project's base branch, with the copy list applied and the setup
  // command run. A failed or timed-out setup is 422 `setup_failed` (the worktree stays and
  // the next spawn tries the setup again).
  boost::asio::awaitable<Outcome<Worktree>> prepare(Project project, std::string agent_name);
  // The agent's (name or id) active worktree; 404 `no_worktree`.
  Result<Worktree> active_of(const std::string& agent);

  // Worktrees with their state on disk: {…record, status: {ahead, behind, dirty…},
  // size_bytes, agent_state}.
  boost::asio::awaitable<Result<Json>> list(std::optional<std::string> project_id,
                                            bool include_removed);
  // Removes a worktree. Refused (409, with what is at stake) while its agent runs, or when it
  // has uncommitted changes or commits the base lacks. `force` still refuses a running agent
  // and first keeps everything (a snapshot commit) under refs/bosun/backup/….
  boost::asio::awaitable<Outcome<Json>> remove(std::string id, bool force, std::string actor);
  // Removes every worktree that is provably safe to remove; says what it kept and why.
  boost::asio::awaitable<Result<Json>> prune(std::string actor);

 private:
  // A new worktree record for `agent` in `project` (not yet on disk).
  Worktree new_worktree(const Project& project, const std::string& agent) const;
  // Runs the project's setup command in the worktree and records what it did; 422
  // `setup_failed` when it failed or timed out.
  boost::asio::awaitable<Outcome<bool>> run_setup(const Project& project, Worktree& wt,
                                                  const std::string& agent);
  bool agent_live(const std::optional<std::string>& agent_id, const std::string& name,
                  std::string* state);

  Store& store_;
  StoreRunner& runner_;  // every write
  const Clock& clock_;
  Log& log_;
  ProcessRunner& commands_;
  ProcessRunner& git_;
  StateDir state_;
  AgentRegistry* agents_ = nullptr;
};

}  // namespace bosun
