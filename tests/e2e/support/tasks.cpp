// Helpers for task-board tests (see tasks.h).
#include "support/tasks.h"

#include <gtest/gtest.h>

namespace bosun::e2e {

TokenAgent spawn_with_token(TestDaemon& d, const std::string& name, const std::string& cwd,
                            const std::string& profile) {
  Json body{{"name", name},
            {"role", kAgentRole},
            {"argv", Json::array({"bash", "-c", "echo TOKEN=$BOSUN_TOKEN=END; exec sleep 1000"})}};
  if (!cwd.empty()) body["cwd"] = cwd;
  if (!profile.empty()) body["profile"] = profile;
  auto r = d.post("/api/v1/agents", body);
  EXPECT_EQ(r.status, 201) << r.body;
  TokenAgent agent{r.json().value("id", ""), name, ""};
  WsClient term;
  EXPECT_TRUE(
      term.connect(d.address(), "/api/v1/agents/" + name + "/terminal?from=0", d.auth_header()));
  std::string seen;
  EXPECT_TRUE(terminal_until(term, seen, "=END")) << seen;
  auto start = seen.find("TOKEN=");
  auto end = seen.find("=END");
  if (start != std::string::npos && end != std::string::npos && end > start + 6) {
    agent.token = seen.substr(start + 6, end - start - 6);
  }
  EXPECT_EQ(agent.token.size(), 48u) << seen;
  return agent;
}

Json spawn_sleeper(TestDaemon& d, const std::string& name) {
  auto r =
      d.post("/api/v1/agents",
             Json{{"name", name}, {"role", kAgentRole}, {"argv", Json::array({"sleep", "1000"})}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

HttpResult as_agent(TestDaemon& d, const TokenAgent& agent, const std::string& method,
                    const std::string& target, const Json& body) {
  return http_request(d.address(), method, target,
                      method == "GET" || method == "DELETE" ? "" : body.dump(), agent.auth());
}

Json create_task(TestDaemon& d, const Json& body) {
  auto r = d.post("/api/v1/tasks", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

void git_in(const std::filesystem::path& repo, const std::vector<std::string>& args,
            const std::string& date) {
  std::vector<std::string> argv = {
      "git", "-C", repo.string(), "-c", "user.name=Test", "-c", "user.email=test@example.com"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> env;
  if (!date.empty()) env = {{"GIT_AUTHOR_DATE", date}, {"GIT_COMMITTER_DATE", date}};
  auto r = run_program(argv, env);
  EXPECT_EQ(r.exit_code, 0) << "git " << args[0] << ": " << r.err;
}

void init_repo_with_old_commit(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  git_in(dir, {"init", "-q"});
  git_in(dir, {"commit", "-q", "--allow-empty", "-m", "old work"}, "2020-01-01T00:00:00Z");
}

Json done_report(const std::string& summary) {
  return Json{{"status", "done"},
              {"summary", summary},
              {"changes", Json::array({Json{{"file", "src/x.cpp"}, {"description", "the fix"}}})},
              {"proof",
               {{"what_was_done", "fixed the parser"},
                {"how_verified", "ran the unit tests"},
                {"verification_result", "42 passed, 0 failed"}}}};
}

}  // namespace bosun::e2e
