// Projects: the repositories a crew works on — added (validated through git), changed, removed
// (refused while worktrees remain), and where roles are looked up for them. git runs on the
// one-thread git worker, never on the loop.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "agent/role.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/process.h"
#include "util/state_dir.h"

namespace bosun {

inline constexpr const char* kExecutionModes[] = {"auto", "review"};

class Projects {
 public:
  // `git`: the one-thread runner every git operation on repositories goes through.
  Projects(Store& store, StoreRunner& runner, const Clock& clock, Log& log, ProcessRunner& git,
           StateDir state);

  // `body` as POST /api/v1/projects takes it: {path, name?, tech_stack?, base_branch?,
  // execution_mode?, test_command?, setup_command?, cleanup_command?, setup_timeout?,
  // worktree_include?}. Adding a path that is already a project returns it ({created: false}).
  boost::asio::awaitable<Result<Json>> add(Json body);
  // PATCH: the same fields but the path; 409 a name another project has.
  boost::asio::awaitable<Result<Json>> update(std::string id, Json body);
  // Refused (409) while the project has worktrees on disk.
  boost::asio::awaitable<Result<Json>> remove(std::string id);
  Result<Project> find(const std::string& id_or_name);

  // Where roles are looked up for a project; without one, the only project, else the folder
  // that holds the state directory.
  std::filesystem::path role_root(const std::optional<std::string>& project_id);
  // The role `role` under `project_root`, when it exists and parses.
  std::optional<Role> role_of(const std::string& project_root, const std::string& role);

 private:
  Store& store_;         // read on the loop
  StoreRunner& runner_;  // every write
  const Clock& clock_;
  Log& log_;
  ProcessRunner& git_;
  StateDir state_;
};

}  // namespace bosun
