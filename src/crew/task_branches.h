// TaskBranches: each task's work on its own branch. When an agent in a worktree takes a task,
// its worktree moves to `bosun-task/<agent>/<task>` — new from the project's base, or the task's
// existing branch for follow-up work — and only from a clean worktree. A task's diff is read
// per task, and a person's approval merges that branch alone (the safe merge of git/merge.h)
// before the task is done: "done" means it is on the base. git runs on the git worker.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "crew/projects.h"
#include "crew/refusal.h"
#include "crew/verifier.h"
#include "git/branch.h"

namespace bosun {

class AgentRegistry;
class StoreRunner;

class TaskBranches {
 public:
  TaskBranches(Store& store, StoreRunner& runner, const Clock& clock, Log& log, ProcessRunner& git,
               Projects& projects);

  void set_agents(AgentRegistry* agents) { agents_ = agents; }

  // Puts the agent's worktree on the task's branch before the agent starts it; returns the
  // branch, or none when the agent has no worktree. 409 `worktree_dirty` (naming the files)
  // or `branch_busy` (checked out in another worktree) change nothing.
  boost::asio::awaitable<Outcome<std::optional<std::string>>> begin(std::string task_id,
                                                                    std::string agent_id);
  // The task's branch against its base: commits, files with +/−, the patch, and what a merge
  // would do now ({merge: {result, files}}). 404 `no_branch` for a task never started on one.
  boost::asio::awaitable<Outcome<Json>> diff(std::string task_id, git::BranchDiffOptions options);
  // A person's approval of a task in review with a branch: merges the branch into its base and,
  // only when that landed, moves the task to done. A refused merge (conflict, files outside the
  // role's domains, a busy base checkout) leaves the task in review and says why.
  boost::asio::awaitable<Outcome<Json>> approve(std::string task_id, std::string actor,
                                                std::optional<std::string> note);
  // Rebases the task's branch onto its base in the worktree that has it checked out; a conflict
  // is aborted and named.
  boost::asio::awaitable<Outcome<Json>> rebase(std::string task_id);
  // For the verifier once a report's checks pass: merges in auto mode, waits for a person in
  // review mode.
  boost::asio::awaitable<Verifier::Landing> land(Task task, std::string agent_id);

 private:
  struct Place {
    Task task;
    Project project;
    std::vector<std::string> domains;  // the assignee's role's; empty: anywhere
  };
  // The task with its branch, project and domains; 404 `no_branch` when it has no branch.
  Result<Place> place_of(const std::string& task_id);
  boost::asio::awaitable<Outcome<Json>> merge(const Place& place, const std::string& actor);

  Store& store_;
  StoreRunner& runner_;  // where an approval's move to done is written
  const Clock& clock_;
  Log& log_;
  ProcessRunner& git_;
  Projects& projects_;
  AgentRegistry* agents_ = nullptr;
};

}  // namespace bosun
