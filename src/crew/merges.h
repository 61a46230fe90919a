// Merges: bringing an agent's work back — the diff of its worktree, a merge into the base that
// lands completely or changes nothing (conflicts, changes outside the role's domains and a busy
// base checkout refused with the files), a rebase aborted on conflict, the verifier's landing
// (auto: merge; review: wait for a person), and catching a clean worktree up before a new task.
// git runs on the one-thread git worker.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "crew/projects.h"
#include "crew/refusal.h"
#include "crew/verifier.h"
#include "crew/worktrees.h"

namespace bosun {

class AgentRegistry;
class StoreRunner;

class Merges {
 public:
  Merges(Store& store, StoreRunner& runner, const Clock& clock, Log& log, ProcessRunner& git,
         Worktrees& worktrees, Projects& projects);

  void set_agents(AgentRegistry* agents) { agents_ = agents; }

  // Status and diff of the agent's active worktree against its base.
  boost::asio::awaitable<Outcome<Json>> diff(std::string agent);
  // Merges the agent's branch into `into` (default: the project's base branch). After a
  // person's merge, the agent's tasks in review whose last report passed are done.
  boost::asio::awaitable<Outcome<Json>> merge(std::string agent, std::optional<std::string> into,
                                              std::string actor);
  boost::asio::awaitable<Outcome<Json>> rebase(std::string agent);
  // For the verifier, once a report's checks pass: merges in auto mode, waits for a person in
  // review mode; nothing when the agent has no worktree.
  boost::asio::awaitable<Verifier::Landing> land(Task task, std::string agent_id);
  // A clean worktree with nothing unmerged moves up to its base (before a new task).
  boost::asio::awaitable<void> catch_up(std::string agent);

 private:
  Store& store_;
  StoreRunner& runner_;  // where a merge and the tasks it finishes are written
  const Clock& clock_;
  Log& log_;
  ProcessRunner& git_;
  Worktrees& worktrees_;
  Projects& projects_;
  AgentRegistry* agents_ = nullptr;
};

}  // namespace bosun
