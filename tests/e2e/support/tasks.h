// Helpers for task-board tests: agents whose token the test knows, tasks, git repositories.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "support/agents.h"

namespace bosun::e2e {

// Test agents get role kAgentRole and the tasks they work on role kTaskRole: the supervisor's
// dispatcher gives a ready task only to an idle agent of its role (or of none), so it leaves
// these tasks to the test, which claims and assigns them itself.
inline constexpr const char* kAgentRole = "tester";
inline constexpr const char* kTaskRole = "build";

// Spawns `sleep 1000` as an agent of role kAgentRole; expects 201.
Json spawn_sleeper(TestDaemon& d, const std::string& name);

// An agent as the test sees it: its id, name and own API token (BOSUN_TOKEN inside it).
struct TokenAgent {
  std::string id;
  std::string name;
  std::string token;
  std::map<std::string, std::string> auth() const { return {{"Authorization", "Bearer " + token}}; }
};

// Spawns `bash -c 'echo TOKEN=$BOSUN_TOKEN=END; exec sleep 1000'` as an agent of role
// kAgentRole (in `cwd` when given, with `profile` when given) and reads the token from its
// terminal.
TokenAgent spawn_with_token(TestDaemon& d, const std::string& name, const std::string& cwd = "",
                            const std::string& profile = "");

// A request made with the agent's token.
HttpResult as_agent(TestDaemon& d, const TokenAgent& agent, const std::string& method,
                    const std::string& target, const Json& body = Json::object());

// POST /api/v1/tasks; expects 201 and returns the task.
Json create_task(TestDaemon& d, const Json& body);

// Runs git in `repo` with a fixed identity (and, when given, author and committer date);
// expects success.
void git_in(const std::filesystem::path& repo, const std::vector<std::string>& args,
            const std::string& date = "");

// A new repository in `dir` with one commit dated 2020, long before any task starts.
void init_repo_with_old_commit(const std::filesystem::path& dir);

// A done report with a complete proof.
Json done_report(const std::string& summary = "did the work");

}  // namespace bosun::e2e
