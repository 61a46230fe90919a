// Projects, worktrees, merges, domains and cleanup: the real daemon, real git repositories,
// agents running bash in their worktrees. Commits are made with git in the worktree, as an
// agent would.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/agents.h"
#include "support/harness.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

std::string git_out(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", dir.string()});
  auto r = run_program(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << content;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void commit_all(const fs::path& dir, const std::string& message) {
  git_out(dir, {"add", "-A"});
  git_out(dir, {"commit", "-q", "-m", message});
}

// A repository on main with a.txt, an ignored .env and a role with domains.
fs::path make_repo(const fs::path& root) {
  fs::path repo = root / "app";
  fs::create_directories(repo);
  git_out(repo, {"init", "-q", "-b", "main"});
  git_out(repo, {"config", "user.name", "test"});
  git_out(repo, {"config", "user.email", "test@bosun.invalid"});
  write(repo / "a.txt", "one\ntwo\nthree\n");
  write(repo / ".gitignore", ".env\n");
  write(repo / ".bosun" / "roles" / "backend.md",
        "---\nname: backend\ndescription: server code\ndomains: [src/, tests]\n---\n"
        "You write the server.\n");
  commit_all(repo, "init");
  write(repo / ".env", "SECRET=42\n");  // untracked: only the copy list brings it
  return repo;
}

Json add_project(TestDaemon& d, const fs::path& repo, Json extra = Json::object()) {
  extra["path"] = repo.string();
  auto r = d.post("/api/v1/projects", extra);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

Json spawn_in_worktree(TestDaemon& d, const std::string& name, const std::string& project,
                       const std::string& role = "") {
  Json body{{"name", name}, {"project", project}, {"worktree", true}, {"argv", kBash}};
  if (!role.empty()) body["role"] = role;
  auto r = d.post("/api/v1/agents", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.json();
}

fs::path worktree_of(const Json& agent) {
  return agent["worktree"]["path"].get<std::string>();
}

// Two agents in two worktrees: a clean merge lands on main (and in the main checkout); the same
// line edited by both is a 409 naming the file, with main and the main checkout untouched.
TEST(Worktrees, TwoAgentsMergeCleanlyThenAConflictChangesNothing) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"worktree_include", {".env"}}});
  EXPECT_EQ(project["base_branch"], "main");
  Json kai = spawn_in_worktree(d, "kai", project["id"]);
  Json ana = spawn_in_worktree(d, "ana", project["id"]);
  fs::path wk = worktree_of(kai), wa = worktree_of(ana);
  EXPECT_EQ(kai["worktree"]["branch"], "bosun/kai");
  EXPECT_EQ(kai["cwd"], wk.string());
  EXPECT_EQ(wk.parent_path().parent_path(), d.state_dir() / "worktrees");
  EXPECT_NE(wk, wa);
  EXPECT_EQ(git_out(wk, {"branch", "--show-current"}), "bosun/kai");
  EXPECT_EQ(read(wk / ".env"), "SECRET=42\n");  // copied
  EXPECT_EQ(read(wa / ".env"), "SECRET=42\n");

  write(wk / "a.txt", "one\nTWO by kai\nthree\n");
  commit_all(wk, "kai: two");
  write(wa / "a.txt", "one\ntwo by ana\nthree\n");
  write(wa / "b.txt", "ana's file\n");
  commit_all(wa, "ana: two and b");

  auto diff = d.get("/api/v1/agents/kai/diff");
  ASSERT_EQ(diff.status, 200) << diff.body;
  EXPECT_EQ(diff.json()["files"][0]["path"], "a.txt");
  EXPECT_NE(diff.json()["patch"].get<std::string>().find("+TWO by kai"), std::string::npos);
  EXPECT_EQ(diff.json()["status"]["ahead"], 1);

  auto merged = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["result"], "fast_forward");
  EXPECT_EQ(git_out(repo, {"show", "main:a.txt"}), "one\nTWO by kai\nthree");
  EXPECT_EQ(read(repo / "a.txt"), "one\nTWO by kai\nthree\n");  // the main checkout followed
  EXPECT_EQ(git_out(repo, {"status", "--porcelain", "--untracked-files=no"}), "");

  std::string main_before = git_out(repo, {"rev-parse", "main"});
  std::string ana_before = git_out(repo, {"rev-parse", "bosun/ana"});
  auto conflict = d.post("/api/v1/agents/ana/merge", Json::object());
  ASSERT_EQ(conflict.status, 409) << conflict.body;
  Json err = conflict.json()["error"];
  EXPECT_EQ(err["code"], "merge_conflict");
  EXPECT_EQ(err["files"], Json::array({"a.txt"}));
  EXPECT_NE(err["message"].get<std::string>().find("a.txt"), std::string::npos);
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);
  EXPECT_EQ(git_out(repo, {"rev-parse", "bosun/ana"}), ana_before);
  EXPECT_EQ(read(repo / "a.txt"), "one\nTWO by kai\nthree\n");
  EXPECT_FALSE(fs::exists(repo / "b.txt"));
  EXPECT_EQ(git_out(repo, {"status", "--porcelain", "--untracked-files=no"}), "");
  EXPECT_EQ(git_out(repo, {"diff", "--cached", "--name-only"}), "");

  // A rebase onto the new main conflicts too: aborted, the worktree as it was.
  auto rebase = d.post("/api/v1/agents/ana/rebase", Json::object());
  ASSERT_EQ(rebase.status, 409) << rebase.body;
  EXPECT_EQ(rebase.json()["error"]["code"], "rebase_conflict");
  EXPECT_EQ(git_out(wa, {"rev-parse", "HEAD"}), ana_before);
  EXPECT_EQ(git_out(wa, {"status", "--porcelain"}), "");  // .env is ignored

  // The CLI says the same to a person.
  auto cli = d.cli({"agent", "merge", "ana"});
  EXPECT_EQ(cli.exit_code, 4);
  EXPECT_NE(cli.err.find("conflicts in 1 file: a.txt"), std::string::npos) << cli.err;
}

// A merge that needs a real merge commit (both sides moved, no overlap) lands without checking
// out main anywhere, and the merged agent's worktree catches up.
TEST(Worktrees, NonOverlappingChangesGetAMergeCommit) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  Json kai = spawn_in_worktree(d, "kai", project["id"]);
  fs::path wk = worktree_of(kai);
  write(wk / "k.txt", "kai\n");
  commit_all(wk, "kai: k");
  write(repo / "m.txt", "main moved\n");  // the person commits on main meanwhile
  commit_all(repo, "main: m");
  auto merged = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(merged.json()["result"], "merged");
  EXPECT_EQ(git_out(repo, {"log", "-1", "--format=%P", "main"}).find(' ') != std::string::npos,
            true);
  EXPECT_EQ(read(repo / "k.txt"), "kai\n");
  EXPECT_EQ(git_out(wk, {"rev-parse", "HEAD"}), git_out(repo, {"rev-parse", "main"}));
  // Merging again: nothing to do.
  auto again = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["result"], "already_merged");
}

// The role's domains are enforced at merge, naming the offending files; main is untouched.
// A local change in the main checkout that the merge would overwrite is refused too.
TEST(Worktrees, ChangesOutsideTheRolesDomainsAreRefused) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  Json kai = spawn_in_worktree(d, "kai", project["id"], "backend");
  fs::path wk = worktree_of(kai);
  write(wk / "src" / "server.cpp", "int main() {}\n");
  write(wk / "tests" / "t.cpp", "// test\n");
  write(wk / "docs" / "notes.md", "notes\n");
  commit_all(wk, "kai: server, test and notes");
  std::string main_before = git_out(repo, {"rev-parse", "main"});
  auto refused = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(refused.status, 422) << refused.body;
  Json err = refused.json()["error"];
  EXPECT_EQ(err["code"], "outside_domains");
  EXPECT_EQ(err["files"], Json::array({"docs/notes.md"}));
  EXPECT_NE(err["message"].get<std::string>().find("docs/notes.md"), std::string::npos);
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);

  git_out(wk, {"rm", "-q", "docs/notes.md"});
  git_out(wk, {"commit", "-q", "-m", "kai: notes out"});
  write(repo / "src" / "server.cpp", "// the person's own draft\n");  // untracked, in the way
  auto busy = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(busy.status, 409) << busy.body;
  EXPECT_EQ(busy.json()["error"]["code"], "base_checkout_busy");
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);
  EXPECT_EQ(read(repo / "src" / "server.cpp"), "// the person's own draft\n");
  fs::remove(repo / "src" / "server.cpp");
  auto merged = d.post("/api/v1/agents/kai/merge", Json::object());
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(read(repo / "src" / "server.cpp"), "int main() {}\n");
}

// Deleting a worktree refuses while its agent runs, and while it holds an unmerged commit or a
// dirty file — saying which — and the worktree stays. force keeps a backup ref of everything.
TEST(Worktrees, CleanupRefusesUnsavedWorkAndForceKeepsABackup) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  Json kai = spawn_in_worktree(d, "kai", project["id"]);
  std::string wt_id = kai["worktree"]["id"];
  fs::path wk = worktree_of(kai);
  write(wk / "work.txt", "committed work\n");
  commit_all(wk, "kai: work");

  auto running = d.del("/api/v1/worktrees/" + wt_id);
  ASSERT_EQ(running.status, 409) << running.body;
  EXPECT_EQ(running.json()["error"]["code"], "agent_running");

  EventWaiter events(d);
  ASSERT_EQ(d.post("/api/v1/agents/kai/stop", Json{{"grace_ms", 500}}).status, 202);
  ASSERT_TRUE(events.wait("agent.exited", kai["id"]).has_value());

  auto unmerged = d.del("/api/v1/worktrees/" + wt_id);
  ASSERT_EQ(unmerged.status, 409) << unmerged.body;
  Json err = unmerged.json()["error"];
  EXPECT_EQ(err["code"], "unsaved_work");
  EXPECT_NE(err["message"].get<std::string>().find("1 commit not merged into main"),
            std::string::npos)
      << err;
  EXPECT_NE(err["message"].get<std::string>().find("kai: work"), std::string::npos);
  EXPECT_TRUE(fs::exists(wk / "work.txt"));

  write(wk / "draft.txt", "not committed\n");
  auto cli = d.cli({"worktree", "rm", "kai"});
  EXPECT_EQ(cli.exit_code, 4);
  EXPECT_NE(cli.err.find("1 uncommitted change: draft.txt (untracked)"), std::string::npos)
      << cli.err;
  EXPECT_NE(cli.err.find("--force"), std::string::npos) << cli.err;  // the CLI's own flag
  EXPECT_TRUE(fs::exists(wk / "draft.txt"));
  auto listed = d.get("/api/v1/worktrees");
  ASSERT_EQ(listed.json()["worktrees"].size(), 1u);
  EXPECT_TRUE(listed.json()["worktrees"][0]["status"]["dirty"].get<bool>());
  EXPECT_GT(listed.json()["worktrees"][0]["size_bytes"].get<int64_t>(), 0);

  auto forced = d.del("/api/v1/worktrees/" + wt_id + "?force=true");
  ASSERT_EQ(forced.status, 200) << forced.body;
  std::string backup = forced.json()["backup_ref"];
  EXPECT_FALSE(fs::exists(wk));
  EXPECT_EQ(git_out(repo, {"show", backup + ":draft.txt"}), "not committed");
  EXPECT_EQ(git_out(repo, {"show", backup + ":work.txt"}), "committed work");
  EXPECT_EQ(run_program(
                {"git", "-C", repo.string(), "rev-parse", "--verify", "-q", "refs/heads/bosun/kai"})
                .exit_code,
            1);  // the branch went; the backup ref holds it
  EXPECT_EQ(d.get("/api/v1/worktrees").json()["worktrees"].size(), 0u);
}

// Prune removes only what is provably safe, and says what it kept and why.
TEST(Worktrees, PruneRemovesOnlyWhatIsSafe) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  for (const char* name : {"clean", "dirty", "live"})
    spawn_in_worktree(d, name, project["id"]);
  EventWaiter events(d);
  for (const char* name : {"clean", "dirty"}) {
    auto shown = d.get(std::string("/api/v1/agents/") + name).json();
    ASSERT_EQ(
        d.post(std::string("/api/v1/agents/") + name + "/stop", Json{{"grace_ms", 500}}).status,
        202);
    ASSERT_TRUE(events.wait("agent.exited", shown["id"]).has_value());
  }
  write(d.state_dir() / "worktrees" / "app" / "dirty" / "wip.txt", "wip\n");
  auto pruned = d.cli({"worktree", "prune"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_NE(pruned.out.find("removed"), std::string::npos);
  EXPECT_NE(pruned.out.find("1 uncommitted change"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("agent live is"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("1 removed"), std::string::npos) << pruned.out;
  EXPECT_FALSE(fs::exists(d.state_dir() / "worktrees" / "app" / "clean"));
  EXPECT_TRUE(fs::exists(d.state_dir() / "worktrees" / "app" / "dirty" / "wip.txt"));
  EXPECT_TRUE(fs::exists(d.state_dir() / "worktrees" / "app" / "live"));
}

// A setup command that outlives its timeout is reported (422, in the record and as an event);
// the worktree stays, and the next spawn tries the setup again.
TEST(Worktrees, SetupTimeoutIsReported) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(
      d, repo, Json{{"setup_command", "echo preparing; sleep 30"}, {"setup_timeout", "300ms"}});
  EventWaiter events(d);
  auto r = d.post("/api/v1/agents",
                  Json{{"name", "kai"}, {"project", project["id"]}, {"worktree", true}});
  ASSERT_EQ(r.status, 422) << r.body;
  Json err = r.json()["error"];
  EXPECT_EQ(err["code"], "setup_failed");
  EXPECT_NE(err["message"].get<std::string>().find("timed out"), std::string::npos);
  EXPECT_TRUE(err["setup"]["timed_out"].get<bool>());
  EXPECT_NE(err["setup"]["output"].get<std::string>().find("preparing"), std::string::npos);
  EXPECT_TRUE(events.wait("worktree.setup_failed", err["worktree"]["id"]).has_value());
  EXPECT_EQ(d.get("/api/v1/agents/kai").status, 404);  // no agent started in a half-set-up tree
  auto listed = d.get("/api/v1/worktrees").json()["worktrees"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0]["setup"]["timed_out"].get<bool>());

  ASSERT_EQ(d.patch("/api/v1/projects/" + project["id"].get<std::string>(),
                    Json{{"setup_command", "touch .setup-ran"}})
                .status,
            200);
  auto again = d.post(
      "/api/v1/agents",
      Json{{"name", "kai"}, {"project", project["id"]}, {"worktree", true}, {"argv", kBash}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["worktree"]["id"], listed[0]["id"]);  // the same worktree
  EXPECT_TRUE(fs::exists(worktree_of(again.json()) / ".setup-ran"));
}

// Worktrees and their records survive a daemon restart.
TEST(Worktrees, AreListedAgainAfterADaemonRestart) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  Json kai = spawn_in_worktree(d, "kai", project["id"]);
  write(worktree_of(kai) / "x.txt", "x\n");
  ASSERT_EQ(d.stop(), 0);
  d.start();
  auto listed = d.get("/api/v1/projects/" + project["id"].get<std::string>() + "/worktrees");
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json()["worktrees"].size(), 1u);
  Json w = listed.json()["worktrees"][0];
  EXPECT_EQ(w["id"], kai["worktree"]["id"]);
  EXPECT_EQ(w["agent"], "kai");
  EXPECT_TRUE(w["status"]["dirty"].get<bool>());
  EXPECT_TRUE(w["agent_running"].get<bool>());  // reattached
  auto cli = d.cli({"worktree", "list"});
  EXPECT_EQ(cli.exit_code, 0);
  EXPECT_NE(cli.out.find("bosun/kai"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("dirty(1)"), std::string::npos) << cli.out;
  EXPECT_EQ(d.get("/api/v1/agents/kai").json()["worktree"]["id"], kai["worktree"]["id"]);
}

// Projects are validated with errors a person can act on; bad fields change nothing.
TEST(Worktrees, ProjectsAreValidatedThroughGitWithAnActionableError) {
  TempDir dir;
  TestDaemon d;
  d.start();
  fs::create_directories(dir.path() / "plain");
  fs::path empty = dir.path() / "empty";
  fs::create_directories(empty);
  git_out(empty, {"init", "-q", "-b", "main"});
  struct Case {
    Json body;
    int status;
    const char* code;
  };
  for (const auto& c : std::vector<Case>{
           {{{"path", (dir.path() / "missing").string()}}, 400, "not_a_directory"},
           {{{"path", (dir.path() / "plain").string()}}, 400, "not_a_git_repository"},
           {{{"path", empty.string()}}, 400, "no_commits"},
           {{{"path", "relative/path"}}, 400, "invalid_path"},
           {{{"path", 7}}, 400, "invalid_field"},
           {Json::object(), 400, "missing_field"},
       }) {
    auto r = d.post("/api/v1/projects", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " → " << r.body;
    EXPECT_EQ(r.json()["error"]["code"], c.code) << r.body;
  }
  fs::path repo = make_repo(dir.path());
  for (const auto& extra : std::vector<Json>{
           {{"worktree_include", {"../outside"}}},
           {{"worktree_include", {"/etc/passwd"}}},
           {{"execution_mode", "sometimes"}},
           {{"base_branch", "nope"}},
           {{"setup_timeout", "forever"}},
           {{"name", "bad name"}},
       }) {
    Json body = extra;
    body["path"] = repo.string();
    auto r = d.post("/api/v1/projects", body);
    EXPECT_EQ(r.status, 400) << body << " → " << r.body;
  }
  EXPECT_EQ(d.get("/api/v1/projects").json()["projects"].size(), 0u);
  Json p = add_project(d, repo);
  auto again = d.post("/api/v1/projects", Json{{"path", (repo / "a.txt").parent_path().string()}});
  EXPECT_EQ(again.status, 200);  // the same repository: the same project
  EXPECT_EQ(again.json()["id"], p["id"]);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "kai"}, {"worktree", true}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/agents", Json{{"name", "kai"}, {"project", "pr_nope"}}).status, 404);
  EXPECT_EQ(d.post("/api/v1/agents/kai/merge", Json::object()).status, 404);
  EXPECT_EQ(d.del("/api/v1/worktrees/wt_nope").status, 404);
  EXPECT_EQ(d.get("/api/v1/worktrees").json()["worktrees"].size(), 0u);
}

// Roles: Claude Code's agent files load; a broken front matter names file and line; the role's
// body and domains reach the agent's instructions; decisions reach the task it is given.
TEST(Worktrees, RolesAndDecisionsReachTheAgent) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  fs::create_directories(repo / ".claude" / "agents");
  fs::copy_file(
      fs::path(BOSUN_SOURCE_DIR) / "tests/fixtures/roles/backend-specialist-claude-subagent.md",
      repo / ".claude" / "agents" / "backend-specialist.md", fs::copy_options::overwrite_existing);
  write(repo / ".bosun" / "roles" / "broken.md", "---\nname: broken\ndomains: [src/\n---\nbody\n");
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  auto roles = d.get("/api/v1/roles");
  ASSERT_EQ(roles.status, 200) << roles.body;
  std::map<std::string, Json> by_name;
  Json all_roles = roles.json();
  for (const auto& r : all_roles["roles"])
    by_name[r["name"].get<std::string>()] = r;
  ASSERT_TRUE(by_name.count("backend-specialist")) << roles.body;
  EXPECT_EQ(by_name["backend-specialist"]["tools"],
            Json::array({"Read", "Grep", "Glob", "Edit", "Write", "Bash"}));
  EXPECT_EQ(by_name["backend-specialist"]["model"], "opus");
  ASSERT_TRUE(by_name.count("broken"));
  std::string broken_error = by_name["broken"]["error"];
  // The flow sequence opened on line 3 is still open where the front matter ends, on line 4.
  EXPECT_NE(broken_error.find("broken.md:4:1: front matter is not valid YAML"), std::string::npos)
      << broken_error;
  auto one = d.get("/api/v1/roles/broken");
  EXPECT_EQ(one.status, 422);
  EXPECT_NE(one.json()["error"]["message"].get<std::string>().find("broken.md:4:"),
            std::string::npos);
  EXPECT_EQ(
      d.post("/api/v1/agents", Json{{"name", "bo"}, {"role", "broken"}, {"argv", kBash}}).status,
      422);

  std::string pid = project["id"];
  ASSERT_EQ(
      d.post("/api/v1/projects/" + pid + "/decisions",
             Json{{"kind", "gotcha"}, {"text", "the tests need TZ=UTC"}, {"roles", {"backend"}}})
          .status,
      201);
  ASSERT_EQ(
      d.post("/api/v1/projects/" + pid + "/decisions",
             Json{{"kind", "convention"}, {"text", "docs are written by qa"}, {"roles", {"qa"}}})
          .status,
      201);
  EXPECT_EQ(
      d.post("/api/v1/projects/" + pid + "/decisions", Json{{"kind", "rumour"}, {"text", "x"}})
          .status,
      400);
  Json kai = spawn_in_worktree(d, "kai", pid, "backend");
  std::string instructions = read(d.state_dir() / "agents" / "kai" / "instructions.md");
  EXPECT_NE(instructions.find("You write the server."), std::string::npos);
  EXPECT_NE(instructions.find("- src/"), std::string::npos);
  EXPECT_NE(instructions.find("the tests need TZ=UTC"), std::string::npos);
  EXPECT_EQ(instructions.find("docs are written by qa"), std::string::npos);
  EXPECT_NE(instructions.find("bosun report submit"), std::string::npos);

  auto task = d.post("/api/v1/tasks",
                     Json{{"title", "Add /health"}, {"role", "backend"}, {"project", pid}});
  ASSERT_EQ(task.status, 201) << task.body;
  auto role_list = d.cli({"role", "list"});
  EXPECT_EQ(role_list.exit_code, 0) << role_list.err;
  EXPECT_NE(role_list.out.find("broken               BROKEN"), std::string::npos) << role_list.out;
  EXPECT_NE(role_list.out.find("[domains: src/,tests]"), std::string::npos) << role_list.out;
  auto role_show = d.cli({"role", "show", "backend-specialist"});
  EXPECT_NE(role_show.out.find("tools:       Read, Grep, Glob, Edit, Write, Bash"),
            std::string::npos)
      << role_show.out;
  EXPECT_NE(role_show.out.find("You are a backend specialist."), std::string::npos);
  EXPECT_EQ(d.cli({"role", "show", "broken"}).exit_code, 4);
  auto added =
      d.cli({"decision", "add", "workaround", "pin the parser to 2.1", "--role", "backend"});
  EXPECT_EQ(added.exit_code, 0) << added.err;
  auto listed = d.cli({"decision", "list", "--role", "backend"});
  EXPECT_NE(listed.out.find("workaround  pin the parser to 2.1  (backend)"), std::string::npos)
      << listed.out;
  EXPECT_EQ(listed.out.find("docs are written by qa"), std::string::npos) << listed.out;
  EXPECT_EQ(d.cli({"decision", "add", "rumour", "x"}).exit_code, 2);  // usage
  auto shown = d.cli({"task", "show", task.json()["id"]});
  EXPECT_NE(shown.out.find("the tests need TZ=UTC"), std::string::npos) << shown.out;
  EXPECT_EQ(shown.out.find("docs are written by qa"), std::string::npos) << shown.out;
}

// Malformed and mistyped requests to the new routes get a 4xx with a code and change nothing.
TEST(Worktrees, BadInputIsRefusedAndChangesNothing) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  std::string pid = project["id"];
  Json kai = spawn_in_worktree(d, "kai", pid);
  std::string main_before = git_out(repo, {"rev-parse", "main"});
  auto raw = [&](const std::string& method, const std::string& target, const std::string& body) {
    return http_request(d.address(), method, target, body, d.auth_header());
  };
  struct Case {
    std::string method, target, body;
    int status;
  };
  for (const auto& c : std::vector<Case>{
           {"POST", "/api/v1/projects", "{not json", 400},
           {"POST", "/api/v1/projects", "[1,2]", 400},
           {"PATCH", "/api/v1/projects/" + pid, R"({"path": "/elsewhere"})", 400},
           {"PATCH", "/api/v1/projects/" + pid, R"({"execution_mode": 3})", 400},
           {"PATCH", "/api/v1/projects/" + pid, R"({"test_command": ["make"]})", 400},
           {"PATCH", "/api/v1/projects/pr_nope", R"({"name": "x"})", 404},
           {"POST", "/api/v1/agents/kai/merge", "{oops", 400},
           {"POST", "/api/v1/agents/kai/merge", R"({"into": 5})", 400},
           {"POST", "/api/v1/agents/kai/merge", R"({"into": "-x"})", 400},
           {"POST", "/api/v1/agents/kai/merge", R"({"into": "no-such-branch"})", 404},
           {"POST", "/api/v1/agents/kai/merge", R"({"rebase": "yes"})", 400},
           {"GET", "/api/v1/agents/nobody/diff", "", 404},
           {"DELETE",
            "/api/v1/worktrees/" + kai["worktree"]["id"].get<std::string>() + "?force=maybe", "",
            400},
           {"POST", "/api/v1/projects/" + pid + "/decisions", R"({"kind": "gotcha"})", 400},
           {"POST", "/api/v1/projects/" + pid + "/decisions",
            R"({"kind": "gotcha", "text": "x", "roles": "qa"})", 400},
           {"POST", "/api/v1/projects/pr_nope/decisions", R"({"kind": "gotcha", "text": "x"})",
            404},
           {"GET", "/api/v1/roles/nobody", "", 404},
           {"GET", "/api/v1/roles?project=pr_nope", "", 404},
           {"POST", "/api/v1/agents",
            R"({"name": "../up", "project": ")" + pid + R"(", "worktree": true})", 400},
           {"POST", "/api/v1/agents",
            R"({"name": "zed", "project": ")" + pid + R"(", "worktree": true, "cwd": "/tmp"})",
            400},
       }) {
    auto r = raw(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << " → "
                                  << r.body;
    EXPECT_TRUE(r.json()["error"]["code"].is_string()) << r.body;
  }
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);
  EXPECT_EQ(d.get("/api/v1/projects/" + pid).json()["execution_mode"], "review");
  EXPECT_EQ(d.get("/api/v1/worktrees").json()["worktrees"].size(), 1u);
  EXPECT_EQ(d.get("/api/v1/projects/" + pid + "/decisions").json()["decisions"].size(), 0u);
  EXPECT_FALSE(fs::exists(d.state_dir() / "worktrees" / "app" / "zed"));
  EXPECT_EQ(d.get("/healthz").status, 200);
}

// Review mode: a checked report leaves the task in review (the branch unmerged) with a comment;
// a person's merge lands it and moves the task to done. The project's test command runs in the
// agent's worktree as part of the check.
TEST(Worktrees, ReviewModeWaitsForAPersonsMerge) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(
      d, repo, Json{{"execution_mode", "review"}, {"test_command", "test -f src/hello.txt"}});
  EventWaiter events(d);
  auto r = d.post("/api/v1/agents", Json{{"name", "kai"},
                                         {"role", "backend"},
                                         {"profile", "sim"},
                                         {"project", project["id"]},
                                         {"worktree", true},
                                         {"argv", {BOSUN_BINARY, "sim-agent", "--work-ms", "40"}}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto task = d.post("/api/v1/tasks", Json{{"title", "Say hello"},
                                           {"role", "backend"},
                                           {"description", "write src/hello.txt: hello"}});
  ASSERT_EQ(task.status, 201) << task.body;
  std::string id = task.json()["id"];
  ASSERT_TRUE(events
                  .wait_for(
                      "task.comment", id,
                      [](const Json& e) {
                        return e["comment"]["body"].get<std::string>().find("stays in review") !=
                               std::string::npos;
                      },
                      30s)
                  .has_value());
  Json t = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(t["status"], "review");
  auto reports = d.get("/api/v1/tasks/" + id + "/reports").json()["reports"];
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0]["verified"], "passed");
  std::string log = reports[0]["check_log"];
  EXPECT_NE(log.find("tests: `/bin/sh -c test -f src/hello.txt` passed"), std::string::npos) << log;
  EXPECT_NE(log.find("merge: waiting for a person"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(repo / "src" / "hello.txt"));  // not merged yet

  auto merged = d.cli({"agent", "merge", "kai"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_TRUE(contains(merged.out, "done now that it is merged: " + id + "\n")) << merged.out;
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["status"], "done");
  EXPECT_TRUE(fs::exists(repo / "src" / "hello.txt"));
}

// A sim agent in a worktree, in `mode`, with the backend role.
void spawn_sim_in_worktree(TestDaemon& d, const std::string& name, const Json& project,
                           const std::vector<std::string>& extra = {}) {
  Json argv = {BOSUN_BINARY, "sim-agent", "--work-ms", "40"};
  for (const auto& a : extra)
    argv.push_back(a);
  auto r = d.post("/api/v1/agents", Json{{"name", name},
                                         {"role", "backend"},
                                         {"profile", "sim"},
                                         {"project", project["id"]},
                                         {"worktree", true},
                                         {"argv", argv}});
  ASSERT_EQ(r.status, 201) << r.body;
}

// In auto mode the check ends with the merge; a merge that is refused (here, a file outside the
// role's domains) fails the check: the task is back in progress with the refusal, nothing
// reached main, and the agent's branch keeps its commit.
TEST(Worktrees, AnAutoModeMergeRefusedDuringTheCheckFailsIt) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"execution_mode", "auto"}});
  EventWaiter events(d);
  std::string main_before = git_out(repo, {"rev-parse", "main"});
  spawn_sim_in_worktree(d, "kai", project);
  auto task = d.post("/api/v1/tasks", Json{{"title", "Write the notes"},
                                           {"role", "backend"},
                                           {"description", "write docs/notes.txt: notes"}});
  ASSERT_EQ(task.status, 201) << task.body;
  std::string id = task.json()["id"];
  auto failed = events.wait_for(
      "task.comment", id,
      [](const Json& e) {
        return contains(e["comment"]["body"].get<std::string>(), "failed; the task is back");
      },
      30s);
  ASSERT_TRUE(failed.has_value()) << d.get("/api/v1/tasks/" + id).body;
  auto reports = d.get("/api/v1/tasks/" + id + "/reports").json()["reports"];
  ASSERT_GE(reports.size(), 1u);
  EXPECT_EQ(reports[0]["verified"], "failed");
  std::string log = reports[0]["check_log"];
  EXPECT_TRUE(contains(log, "merge: FAILED")) << log;
  EXPECT_TRUE(contains(log, "docs/notes.txt")) << log;
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);
  EXPECT_FALSE(fs::exists(repo / "docs" / "notes.txt"));
  EXPECT_EQ(git_out(repo, {"show", "bosun-task/kai/" + id + ":docs/notes.txt"}), "notes");
  Json t = d.get("/api/v1/tasks/" + id).json();
  EXPECT_NE(t["status"], "done") << t;
  EXPECT_EQ(t["merged_commit"], nullptr) << t;
}

// Waits for the verifier's "stays in review" comment on `id`.
bool reaches_review(EventWaiter& events, const std::string& id) {
  return events
      .wait_for(
          "task.comment", id,
          [](const Json& e) {
            return e["comment"]["body"].get<std::string>().find("stays in review") !=
                   std::string::npos;
          },
          30s)
      .has_value();
}

std::vector<std::string> paths_of(const Json& files) {
  std::vector<std::string> out;
  for (const auto& f : files)
    out.push_back(f["path"]);
  return out;
}

// Review per task: one agent's two tasks wait in review at once, each on its own branch with its
// own diff. Approving one merges only its commits into main and makes it done; rejecting the
// other sends it back to the same agent, whose worktree goes back onto that task's branch.
TEST(TaskReview, EachTaskHasItsOwnBranchDiffAndMerge) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"execution_mode", "review"}});
  EventWaiter events(d);
  spawn_sim_in_worktree(d, "kai", project);
  auto add = [&](const std::string& title, const std::string& desc) {
    auto t =
        d.post("/api/v1/tasks", Json{{"title", title}, {"role", "backend"}, {"description", desc}});
    EXPECT_EQ(t.status, 201) << t.body;
    return t.json()["id"].get<std::string>();
  };
  std::string first = add("Say hello", "write src/hello.txt: hello");
  ASSERT_TRUE(reaches_review(events, first));
  std::string second = add("Say bye", "write src/bye.txt: bye");
  ASSERT_TRUE(reaches_review(events, second));  // the agent took it while the first waits

  Json t1 = d.get("/api/v1/tasks/" + first).json();
  Json t2 = d.get("/api/v1/tasks/" + second).json();
  EXPECT_EQ(t1["status"], "review");
  EXPECT_EQ(t1["branch"], "bosun-task/kai/" + first);
  EXPECT_EQ(t2["branch"], "bosun-task/kai/" + second);
  EXPECT_EQ(t1["base_branch"], "main");
  std::string log = d.get("/api/v1/tasks/" + first + "/reports").json()["reports"][0]["check_log"];
  EXPECT_NE(log.find("on bosun-task/kai/" + first + " that main lacks"), std::string::npos) << log;
  EXPECT_NE(log.find("bosun task approve " + first), std::string::npos) << log;

  auto d1 = d.get("/api/v1/tasks/" + first + "/diff");
  ASSERT_EQ(d1.status, 200) << d1.body;
  Json diff1 = d1.json();
  EXPECT_EQ(paths_of(diff1["files"]), std::vector<std::string>{"src/hello.txt"});
  EXPECT_EQ(diff1["files"][0]["added"], 1);
  EXPECT_EQ(diff1["commits"].size(), 1u);
  EXPECT_EQ(diff1["ahead"], 1);
  EXPECT_EQ(diff1["merge"]["result"], "fast_forward");
  EXPECT_NE(diff1["patch"].get<std::string>().find("+hello"), std::string::npos) << diff1;
  Json diff2 = d.get("/api/v1/tasks/" + second + "/diff").json();
  EXPECT_EQ(paths_of(diff2["files"]), std::vector<std::string>{"src/bye.txt"});
  auto stat = d.cli({"task", "diff", second, "--stat"});
  ASSERT_EQ(stat.exit_code, 0) << stat.err;
  EXPECT_TRUE(contains(stat.out, "src/bye.txt +1")) << stat.out;
  EXPECT_TRUE(contains(stat.out, "merge: merges cleanly")) << stat.out;
  EXPECT_FALSE(contains(stat.out, "hello")) << stat.out;

  // Approve the first: only its file reaches main, and it is done.
  auto approved = d.cli({"task", "approve", first});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_TRUE(contains(approved.out, "approved " + first + ": done")) << approved.out;
  EXPECT_TRUE(contains(approved.out, "merged bosun-task/kai/" + first + " into main"))
      << approved.out;
  EXPECT_EQ(git_out(repo, {"show", "main:src/hello.txt"}), "hello");
  EXPECT_NE(
      run_program({"git", "-C", repo.string(), "cat-file", "-e", "main:src/bye.txt"}).exit_code, 0);
  EXPECT_TRUE(fs::exists(repo / "src" / "hello.txt"));  // the main checkout moved too
  Json done = d.get("/api/v1/tasks/" + first).json();
  EXPECT_EQ(done["status"], "done");
  EXPECT_EQ(done["merged_commit"], git_out(repo, {"rev-parse", "main"}));
  EXPECT_EQ(d.get("/api/v1/tasks/" + second).json()["status"], "review");

  // Reject the second: back to kai, on its own branch, with the reason.
  auto rejected = d.post("/api/v1/tasks/" + second + "/reject", Json{{"reason", "say it twice"}});
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.json()["status"], "assigned");
  auto resent = events.wait_for(
      "message.created", "",
      [&](const Json& m) { return m["task_id"] == second && m["type"] == "task"; }, 30s);
  ASSERT_TRUE(resent.has_value());
  const Json& message = (*resent)["data"];
  EXPECT_EQ(message["to"], "kai");
  EXPECT_EQ(message["body_bytes"], std::string("rejected by user: say it twice").size());
  EXPECT_TRUE(contains(message["subject"].get<std::string>(), "sent back after review")) << message;
  Json kai = d.get("/api/v1/agents/kai").json();
  EXPECT_EQ(git_out(kai["cwd"].get<std::string>(), {"symbolic-ref", "--short", "HEAD"}),
            "bosun-task/kai/" + second);
}

// The check of a task in review reads its branch in the agent's worktree: the agent takes its
// next task only once that check has run, so the check never sees the next task's branch.
TEST(TaskReview, TheNextTaskWaitsForTheCheckOfTheOneInReview) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  fs::path release = dir.path() / "release";
  TestDaemon d;
  d.start();
  // The check's tests wait for the test to let them go, then need the worktree on the task's
  // own branch.
  std::string tests = "while [ ! -e '" + release.string() +
                      "' ]; do sleep 0.02; done; "
                      "test \"$(git symbolic-ref --short HEAD)\" = \"bosun-task/kai/$BOSUN_TASK\"";
  Json project = add_project(d, repo, Json{{"execution_mode", "review"}, {"test_command", tests}});
  EventWaiter events(d);
  spawn_sim_in_worktree(d, "kai", project);
  auto add = [&](const std::string& title, const std::string& desc) {
    auto t =
        d.post("/api/v1/tasks", Json{{"title", title}, {"role", "backend"}, {"description", desc}});
    EXPECT_EQ(t.status, 201) << t.body;
    return t.json()["id"].get<std::string>();
  };
  std::string first = add("Say hello", "write src/hello.txt: hello");
  ASSERT_TRUE(events.wait("report.submitted", first, 30s).has_value());
  std::string kai = d.get("/api/v1/agents/kai").json()["id"];
  ASSERT_TRUE(events.wait_for(
      "agent.state", kai, [](const Json& e) { return e["state"] == "idle"; }, 30s));
  std::string second = add("Say bye", "write src/bye.txt: bye");
  // The dispatch the new task asked for has run by the time the loop answers this.
  Json waiting = d.get("/api/v1/tasks/" + second).json();
  EXPECT_EQ(waiting["status"], "pending") << waiting;
  EXPECT_TRUE(waiting["assignee"].is_null()) << waiting;

  std::ofstream(release.string()) << "go\n";
  ASSERT_TRUE(reaches_review(events, first));
  ASSERT_TRUE(reaches_review(events, second));
  Json reports = d.get("/api/v1/tasks/" + first + "/reports").json()["reports"];
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0]["verified"], "passed") << reports[0]["check_log"];
  EXPECT_EQ(d.get("/api/v1/tasks/" + first).json()["status"], "review");
  EXPECT_EQ(d.get("/api/v1/tasks/" + second).json()["branch"], "bosun-task/kai/" + second);
}

// A task an agent claims itself starts on its own branch too; from a worktree with uncommitted
// changes the claim is refused with the files named and the task goes back to the board.
TEST(TaskReview, ASelfClaimedTaskStartsOnItsOwnBranch) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"execution_mode", "review"}});
  Json kai = spawn_in_worktree(d, "kai", project["id"]);  // a shell: nobody dispatches to it
  fs::path wk = worktree_of(kai);
  auto add = [&](const std::string& title) {
    auto t = d.post("/api/v1/tasks", Json{{"title", title}});
    EXPECT_EQ(t.status, 201) << t.body;
    return t.json()["id"].get<std::string>();
  };
  std::string first = add("Tidy the parser");
  auto claimed = d.cli({"task", "claim", first, "--agent", "kai"});
  ASSERT_EQ(claimed.exit_code, 0) << claimed.err;
  EXPECT_TRUE(contains(claimed.out, "branch: bosun-task/kai/" + first + " (from main)"))
      << claimed.out;
  Json t = d.get("/api/v1/tasks/" + first).json();
  EXPECT_EQ(t["status"], "assigned");
  EXPECT_EQ(t["branch"], "bosun-task/kai/" + first);
  EXPECT_EQ(git_out(wk, {"symbolic-ref", "--short", "HEAD"}), "bosun-task/kai/" + first);

  write(wk / "scratch.txt", "half done\n");  // untracked, not on the copy list
  std::string second = add("Tidy the lexer");
  auto refused = d.post("/api/v1/tasks/" + second + "/claim", Json{{"agent", "kai"}});
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "worktree_dirty");
  EXPECT_EQ(refused.json()["error"]["files"], Json::array({"scratch.txt"})) << refused.body;
  Json back = d.get("/api/v1/tasks/" + second).json();
  EXPECT_EQ(back["status"], "pending");
  EXPECT_TRUE(back["assignee"].is_null()) << back;
  EXPECT_TRUE(back["branch"].is_null()) << back;
  EXPECT_EQ(git_out(wk, {"symbolic-ref", "--short", "HEAD"}), "bosun-task/kai/" + first);
}

// A task taken from a stuck agent in a worktree goes on in the next agent's own branch, started
// from the first one's tip — even while the first worktree still has its branch checked out.
TEST(TaskReview, ATaskTakenFromAnAgentGoesOnInTheNextAgentsOwnBranch) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"execution_mode", "review"}});
  EventWaiter events(d);
  configure(d, Json{{"stuck_after", "400ms"}, {"recover_step", "400ms"}});
  spawn_sim_in_worktree(d, "hung", project, {"--misbehave", "hang"});
  auto t = d.post(
      "/api/v1/tasks",
      Json{{"title", "Say hi"}, {"role", "backend"}, {"description", "write src/hi.txt: hi"}});
  ASSERT_EQ(t.status, 201) << t.body;
  std::string id = t.json()["id"];
  ASSERT_TRUE(events
                  .wait_for(
                      "task.recovery", id,
                      [](const Json& data) { return data["step"] == "reassigned"; }, 30s)
                  .has_value());
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["branch"], "bosun-task/hung/" + id);
  spawn_sim_in_worktree(d, "ok", project);
  ASSERT_TRUE(reaches_review(events, id));
  Json task = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(task["branch"], "bosun-task/ok/" + id);
  EXPECT_EQ(task["assignee_name"], "ok");
  Json history = d.get("/api/v1/tasks/" + id + "/history").json();
  bool inherited = false;
  for (const auto& h : history["history"]) {
    inherited = inherited || (h["field"] == "branch" && h["from"] == "bosun-task/hung/" + id &&
                              h["to"] == "bosun-task/ok/" + id);
  }
  EXPECT_TRUE(inherited) << history;
  Json diff = d.get("/api/v1/tasks/" + id + "/diff").json();
  EXPECT_EQ(paths_of(diff["files"]), std::vector<std::string>{"src/hi.txt"}) << diff;
}

// An approval whose merge conflicts changes nothing: the task stays in review and the files are
// named; main is as it was.
TEST(TaskReview, AnApprovalThatConflictsStaysInReviewAndNamesTheFiles) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo, Json{{"execution_mode", "review"}});
  EventWaiter events(d);
  spawn_sim_in_worktree(d, "kai", project);
  auto t = d.post("/api/v1/tasks", Json{{"title", "Edit a"},
                                        {"role", "backend"},
                                        {"description", "write src/a.txt: from the agent"}});
  ASSERT_EQ(t.status, 201) << t.body;
  std::string id = t.json()["id"];
  ASSERT_TRUE(reaches_review(events, id));
  // Meanwhile a person changes the same file on main.
  write(repo / "src" / "a.txt", "from a person\n");
  commit_all(repo, "a person's change");
  std::string main_before = git_out(repo, {"rev-parse", "main"});

  Json diff = d.get("/api/v1/tasks/" + id + "/diff").json();
  EXPECT_EQ(diff["behind"], 1);
  EXPECT_EQ(diff["merge"]["result"], "conflict");
  auto refused = d.post("/api/v1/tasks/" + id + "/approve", Json::object());
  EXPECT_EQ(refused.status, 409) << refused.body;
  Json error = refused.json()["error"];
  EXPECT_EQ(error["code"], "merge_conflict");
  EXPECT_EQ(error["files"], Json::array({"src/a.txt"}));
  EXPECT_TRUE(contains(error["message"].get<std::string>(), "stays in review")) << error;
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["status"], "review");
  EXPECT_EQ(git_out(repo, {"rev-parse", "main"}), main_before);

  // Bad input to the new routes: a clear error, nothing changed.
  EXPECT_EQ(d.get("/api/v1/tasks/" + id + "/diff?max_bytes=5").status, 400);
  EXPECT_EQ(d.get("/api/v1/tasks/" + id + "/diff?whitespace=maybe").status, 400);
  EXPECT_EQ(d.get("/api/v1/tasks/t_nope/diff").status, 404);
  auto plain = d.post("/api/v1/tasks", Json{{"title", "never started"}});
  std::string plain_id = plain.json()["id"];
  auto no_branch = d.get("/api/v1/tasks/" + plain_id + "/diff");
  EXPECT_EQ(no_branch.status, 404);
  EXPECT_EQ(no_branch.json()["error"]["code"], "no_branch");
  auto one = d.get("/api/v1/tasks/" + id + "/diff?file=" + "src%2Fa.txt");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["file"], "src/a.txt");
}

// A role's heartbeat setting applies to agents of that role only: with the crew's heartbeats off,
// the agent whose role asks for them every 300ms gets them, the other gets none.
TEST(Worktrees, ARolesHeartbeatOverrideAppliesToItsAgentsOnly) {
  TempDir dir;
  fs::path repo = make_repo(dir.path());
  write(repo / ".bosun" / "roles" / "pinged.md", "---\nheartbeat: 300ms\n---\nAnswer pings.\n");
  TestDaemon d;
  d.start();
  Json project = add_project(d, repo);
  EventWaiter events(d);
  Json sim = {BOSUN_BINARY, "sim-agent", "--work-ms", "20"};
  for (auto [name, role] : {std::pair{"pia", "pinged"}, std::pair{"quo", "backend"}}) {
    auto r = d.post("/api/v1/agents", Json{{"name", name},
                                           {"role", role},
                                           {"profile", "sim"},
                                           {"project", project["id"]},
                                           {"argv", sim}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  for (int i = 0; i < 2; ++i) {  // two rounds: the timer keeps going
    ASSERT_TRUE(
        events
            .wait_for(
                "message.created", "", [](const Json& m) { return m["type"] == "heartbeat"; }, 10s)
            .has_value());
  }
  auto heartbeats = d.get("/api/v1/messages?type=heartbeat").json()["messages"];
  ASSERT_GE(heartbeats.size(), 2u);
  for (const auto& m : heartbeats)
    EXPECT_EQ(m["to"], "pia") << m;
}

}  // namespace
}  // namespace bosun::e2e
