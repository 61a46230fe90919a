// Projects: the git repositories agents work on, their worktrees and their recorded decisions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

struct Project {
  std::string id;  // "pr_…"
  std::string name;
  std::string path;  // the repository's top level, absolute
  std::string tech_stack;
  std::string base_branch;
  std::string execution_mode = "review";     // auto: merge a checked task; review: a person merges
  std::optional<std::string> test_command;   // run by `sh -c` in the agent's worktree
  std::optional<std::string> setup_command;  // run in a new worktree
  std::optional<std::string> cleanup_command;  // run before a worktree is removed
  int64_t setup_timeout_ms = 300'000;
  std::vector<std::string> worktree_include;  // untracked files copied into new worktrees
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

Json to_json(const Project& project);

// A worktree's life: active (on disk, owned by an agent) → removed (gone; the row stays).
struct Worktree {
  std::string id;  // "wt_…"
  std::string project_id;
  std::optional<std::string> agent_id;
  std::string agent_name;
  std::string path;
  std::string branch;
  std::string base_branch;
  std::string base_commit;  // the base branch's commit the worktree was created from
  std::string state = "active";
  Json setup;  // the setup command's outcome, or null
  std::optional<std::string> backup_ref;
  std::optional<int64_t> merged_at_ms;
  std::optional<std::string> merge_commit;
  int64_t created_at_ms = 0;
  std::optional<int64_t> removed_at_ms;
};

Json to_json(const Worktree& worktree);

inline constexpr const char* kDecisionKinds[] = {"gotcha", "workaround", "convention", "decision"};
bool valid_decision_kind(std::string_view kind);

struct Decision {
  int64_t id = 0;
  std::string project_id;
  std::string kind;
  std::string text;
  std::vector<std::string> roles;  // empty: every role
  std::string author;
  int64_t created_at_ms = 0;
  bool proposed = false;                   // an agent's, not accepted yet: no agent is told it
  std::optional<std::string> accepted_by;  // who accepted a proposal
};

Json to_json(const Decision& decision);

class ProjectStore {
 public:
  explicit ProjectStore(Database& db) : db_(db) {}

  Status insert(const Project& project);
  Status update(const Project& project);
  // By id or name; 404 `project_not_found`.
  Result<Project> find(const std::string& id_or_name);
  Result<std::optional<Project>> find_by_path(const std::string& path);
  Result<std::vector<Project>> list();
  // Deletes the project and its worktree records (call in a transaction).
  Status remove(const std::string& id);

  Status insert_worktree(const Worktree& worktree);
  Status update_worktree(const Worktree& worktree);
  // 404 `worktree_not_found`.
  Result<Worktree> worktree(const std::string& id);
  // The agent's active worktree, if it has one.
  Result<std::optional<Worktree>> active_worktree(const std::string& agent_name);
  // Active worktrees (of one project when given), oldest first.
  Result<std::vector<Worktree>> worktrees(const std::optional<std::string>& project_id,
                                          bool include_removed = false);

  Result<Decision> add_decision(const Decision& decision);
  // A project's decisions, oldest first; with `role`, those for every role or naming it.
  // Proposals only with `with_proposals` (what agents are told never includes them).
  Result<std::vector<Decision>> decisions(const std::string& project_id,
                                          const std::optional<std::string>& role,
                                          bool with_proposals = false);
  Result<std::optional<Decision>> find_decision(const std::string& project_id, int64_t id);
  // Accepts proposal `id` of the project; false when it is not a proposal (any more).
  Result<bool> accept_decision(const std::string& project_id, int64_t id, const std::string& by);

 private:
  Database& db_;
};

}  // namespace bosun
