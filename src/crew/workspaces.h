// Workspaces: projects, each agent's worktree, and bringing its work back — diff, merge (with
// the role's domains enforced), rebase, and a cleanup that never deletes unsaved work.
//
// Every git command runs on one worker thread of its own, so git operations on the
// repositories are serialized and the loop never waits; setup and cleanup commands run on the
// shared process runner.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/role.h"
#include "crew/verifier.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun {

class AgentRegistry;

inline constexpr const char* kExecutionModes[] = {"auto", "review"};

// A refusal with the files it is about: 409 for conflicts and unsaved work, 422 for a
// change outside the role's domains. The route turns it into {"error": {…, "files": […]}}.
struct Refusal {
  Error error;
  Json details = Json::object();
};

template <typename T>
using Outcome = tl::expected<T, Refusal>;

class Workspaces {
 public:
  Workspaces(boost::asio::io_context& io, Store& store, EventBus& bus, const Clock& clock, Log& log,
             ProcessRunner& commands, StateDir state);
  ~Workspaces();
  Workspaces(const Workspaces&) = delete;
  Workspaces& operator=(const Workspaces&) = delete;

  void set_agents(AgentRegistry* agents) { agents_ = agents; }

  // Projects. `body` as POST /api/v1/projects takes it: {path, name?, tech_stack?,
  // base_branch?, execution_mode?, test_command?, setup_command?, cleanup_command?,
  // setup_timeout?, worktree_include?}. Adding a path that is already a project returns it.
  boost::asio::awaitable<Result<Json>> add_project(Json body);
  Result<Json> update_project(const std::string& id, const Json& body);
  // Refused (409) while the project has worktrees on disk.
  Result<Json> remove_project(const std::string& id);
  Result<Project> project(const std::string& id_or_name);

  // Where roles are looked up for a project; without one, the only project, else the folder
  // that holds the state directory.
  std::filesystem::path role_root(const std::optional<std::string>& project_id);

  // The agent's worktree in `project` — the one it already has, or a new one on branch
  // `bosun/<agent>` from the project's base branch, with the copy list applied and the setup
  // command run. A failed or timed-out setup is 422 `setup_failed` (the worktree stays and
  // the next spawn tries the setup again).
  boost::asio::awaitable<Outcome<Worktree>> prepare(Project project, std::string agent_name);

  // Agent-facing: status, diff, merge and rebase of the agent's active worktree.
  boost::asio::awaitable<Outcome<Json>> diff(std::string agent);
  // Merges the agent's branch into `into` (default: the project's base branch).
  boost::asio::awaitable<Outcome<Json>> merge(std::string agent, std::optional<std::string> into,
                                              std::string actor);
  boost::asio::awaitable<Outcome<Json>> rebase(std::string agent);
  // For the verifier, once a report's checks pass: merges in auto mode, waits for a person in
  // review mode; nothing when the agent has no worktree.
  boost::asio::awaitable<Verifier::Landing> land(Task task, std::string agent_id);
  // A clean worktree with nothing unmerged moves up to its base (before a new task).
  boost::asio::awaitable<void> catch_up(std::string agent);

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

  // Decisions.
  Result<Json> add_decision(const std::string& project, const Json& body,
                            const std::string& author);
  Result<Json> decisions(const std::string& project, const std::optional<std::string>& role);

  // The role of an agent of `project` (for domains at merge).
  std::optional<Role> role_of(const std::string& project_root, const std::string& role);

 private:
  template <typename T>
  boost::asio::awaitable<T> on_git(std::function<T(int)> work);
  bool agent_live(const std::optional<std::string>& agent_id, const std::string& name,
                  std::string* state);
  Result<Worktree> active_of(const std::string& agent);
  Status publish(const std::string& type, const std::string& subject, Json data);
  // After a person's merge: the agent's tasks in review whose last report passed are done.
  Result<Json> finish_reviewed(const std::string& agent_id, const std::string& actor,
                               const std::string& why);

  Store& store_;
  EventBus& bus_;
  const Clock& clock_;
  Log& log_;
  ProcessRunner& commands_;
  ProcessRunner git_;  // one thread: git operations never overlap
  StateDir state_;
  AgentRegistry* agents_ = nullptr;
};

}  // namespace bosun
