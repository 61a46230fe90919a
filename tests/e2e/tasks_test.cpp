// The task board end to end: a real daemon, real agents with their own tokens, real git.
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string message_of(const HttpResult& r) {
  auto j = r.json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("message", "");
}

std::string code_of(const HttpResult& r) {
  auto j = r.json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

Json history_of(TestDaemon& d, const std::string& id) {
  return d.get("/api/v1/tasks/" + id + "/history").json()["history"];
}

TEST(Tasks, CreateListFilterShow) {
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto a = create_task(d, Json{{"title", "Design the parser"},
                               {"role", "backend"},
                               {"priority", "high"},
                               {"description", "grammar first"}});
  std::string ida = a["id"];
  EXPECT_EQ(ida.rfind("t_", 0), 0u);
  EXPECT_EQ(ida.size(), 10u);
  EXPECT_EQ(a["status"], "pending");
  EXPECT_EQ(a["priority"], 1);
  EXPECT_EQ(a["ready"], true);
  EXPECT_EQ(a["description"], "grammar first");
  auto created = events.wait("task.created", ida);
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)["data"]["task"]["title"], "Design the parser");

  auto b = create_task(
      d, Json{{"title", "Write the parser"}, {"depends_on", {ida}}, {"parent_id", ida}});
  std::string idb = b["id"];
  EXPECT_EQ(b["ready"], false);
  EXPECT_EQ(b["depends_on"], Json::array({ida}));
  EXPECT_EQ(b["priority"], 2);
  TempDir repo;
  const std::string at = repo.path().string();
  ASSERT_EQ(run_program({"git", "init", "-q", at}).exit_code, 0);
  ASSERT_EQ(run_program({"git", "-C", at, "-c", "user.name=t", "-c", "user.email=t@bosun.invalid",
                         "commit", "-q", "--allow-empty", "-m", "init"})
                .exit_code,
            0);
  auto project = d.post("/api/v1/projects", Json{{"path", repo.path().string()}, {"name", "demo"}});
  ASSERT_EQ(project.status, 201) << project.body;
  const std::string pr_demo = project.json()["id"];
  auto c = create_task(
      d, Json{{"title", "Test the parser"}, {"role", "qa"}, {"priority", 3}, {"project", "demo"}});
  EXPECT_EQ(c["project_id"], pr_demo);  // the name stands for the id
  std::string idc = c["id"];

  auto all = d.get("/api/v1/tasks").json()["tasks"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["id"], ida);
  EXPECT_EQ(d.get("/api/v1/tasks?status=pending").json()["tasks"].size(), 3u);
  EXPECT_EQ(d.get("/api/v1/tasks?status=done,review").json()["tasks"].size(), 0u);
  auto qa = d.get("/api/v1/tasks?role=qa").json()["tasks"];
  ASSERT_EQ(qa.size(), 1u);
  EXPECT_EQ(qa[0]["id"], idc);
  EXPECT_EQ(d.get("/api/v1/tasks?project=" + pr_demo).json()["tasks"].size(), 1u);
  EXPECT_EQ(d.get("/api/v1/tasks?project=demo").json()["tasks"].size(), 1u);
  // An unknown project is refused, not kept as a dangling id.
  auto unknown = d.post("/api/v1/tasks", Json{{"title", "Nowhere"}, {"project", "pr_nope"}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;

  auto kids = d.get("/api/v1/tasks?parent=" + ida).json()["tasks"];
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0]["id"], idb);
  auto page = d.get("/api/v1/tasks?limit=2").json();
  ASSERT_EQ(page["tasks"].size(), 2u);
  ASSERT_EQ(page["next_after"], idb);
  auto rest = d.get("/api/v1/tasks?limit=2&after=" + idb).json();
  ASSERT_EQ(rest["tasks"].size(), 1u);
  EXPECT_EQ(rest["tasks"][0]["id"], idc);

  // Ready: pending with every dependency done, most urgent first; b waits for a.
  auto ready = d.get("/api/v1/tasks/ready").json()["tasks"];
  ASSERT_EQ(ready.size(), 2u);
  EXPECT_EQ(ready[0]["id"], ida);
  EXPECT_EQ(ready[1]["id"], idc);
  auto ready_qa = d.get("/api/v1/tasks/ready?role=qa").json()["tasks"];
  ASSERT_EQ(ready_qa.size(), 1u);
  EXPECT_EQ(ready_qa[0]["id"], idc);

  auto shown = d.get("/api/v1/tasks/" + ida).json();
  EXPECT_EQ(shown["title"], "Design the parser");
  EXPECT_EQ(shown["children"], Json::array({idb}));
  auto h = history_of(d, ida);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["to"], "pending");
  EXPECT_EQ(h[0]["actor"], "user");

  // The CLI names the project too.
  auto cli = d.cli({"task", "add", "From the CLI", "--project", "demo", "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(Json::parse(cli.out)["project_id"], pr_demo);
  auto listed = d.cli({"task", "list", "--project", "demo"});
  EXPECT_TRUE(contains(listed.out, "From the CLI")) << listed.out;
  EXPECT_FALSE(contains(listed.out, "Design the parser")) << listed.out;
}

TEST(Tasks, UpdatesRecordHistoryAndPublishFromTo) {
  TestDaemon d;
  d.start();
  spawn_sleeper(d, "kai");
  auto t = create_task(d, Json{{"title", "Refactor the loop"}, {"role", kTaskRole}});
  std::string id = t["id"];
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = d.patch("/api/v1/tasks/" + id,
                   Json{{"assignee", "kai"}, {"priority", "urgent"}, {"reason", "kai knows it"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "assigned");
  EXPECT_EQ(r.json()["assignee_name"], "kai");
  EXPECT_EQ(r.json()["priority"], 0);
  EXPECT_FALSE(r.json()["started_at"].is_null());
  auto ev = events.wait("task.updated", id);
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["data"]["from"], "pending");
  EXPECT_EQ((*ev)["data"]["to"], "assigned");
  EXPECT_EQ((*ev)["data"]["by"], "user");
  EXPECT_EQ((*ev)["data"]["reason"], "kai knows it");

  ASSERT_EQ(d.patch("/api/v1/tasks/" + id, Json{{"status", "in_progress"}}).status, 200);
  auto refused = d.patch("/api/v1/tasks/" + id, Json{{"status", "done"}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(code_of(refused), "invalid_transition");
  EXPECT_TRUE(contains(message_of(refused), "from in_progress to done")) << refused.body;
  auto back = d.patch("/api/v1/tasks/" + id, Json{{"status", "backlog"}});
  EXPECT_EQ(back.status, 409);
  EXPECT_TRUE(contains(message_of(back), "from in_progress to backlog")) << back.body;
  auto unknown = d.patch("/api/v1/tasks/" + id, Json{{"status", "finished"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(code_of(unknown), "invalid_status");
  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json()["status"], "in_progress");

  // Unassigning a started task puts it back in the pool.
  auto released = d.patch("/api/v1/tasks/" + id, Json{{"assignee", nullptr}, {"reason", "sick"}});
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(released.json()["status"], "pending");
  EXPECT_TRUE(released.json()["assignee"].is_null());

  auto h = history_of(d, id);
  // created; assigned (status, assignee, priority); in_progress; pending (status, assignee).
  ASSERT_EQ(h.size(), 7u) << h.dump(2);
  EXPECT_EQ(h[1]["field"], "status");
  EXPECT_EQ(h[1]["from"], "pending");
  EXPECT_EQ(h[1]["to"], "assigned");
  EXPECT_EQ(h[1]["reason"], "kai knows it");
  EXPECT_EQ(h[3]["field"], "priority");
  EXPECT_EQ(h[3]["from"], "2");
  EXPECT_EQ(h[3]["to"], "0");
  EXPECT_EQ(h[6]["field"], "assignee");
  EXPECT_TRUE(h[6]["to"].is_null());
  EXPECT_EQ(h[6]["reason"], "sick");
  for (const auto& row : h)
    EXPECT_EQ(row["actor"], "user");
}

TEST(Tasks, DeleteOnlyBeforeTheTaskStarted) {
  TestDaemon d;
  d.start();
  spawn_sleeper(d, "kai");
  std::string fresh = create_task(d, Json{{"title", "never mind"}, {"role", kTaskRole}})["id"];
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = d.del("/api/v1/tasks/" + fresh);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(events.wait("task.deleted", fresh));
  EXPECT_EQ(d.get("/api/v1/tasks/" + fresh).status, 404);
  EXPECT_EQ(d.del("/api/v1/tasks/" + fresh).status, 404);

  std::string started =
      create_task(d, Json{{"title", "started"}, {"role", kTaskRole}, {"assignee", "kai"}})["id"];
  auto refused = d.del("/api/v1/tasks/" + started);
  EXPECT_EQ(refused.status, 409);
  EXPECT_TRUE(contains(message_of(refused), started)) << refused.body;
  ASSERT_EQ(d.patch("/api/v1/tasks/" + started, Json{{"status", "pending"}}).status, 200);
  EXPECT_EQ(d.del("/api/v1/tasks/" + started).status, 409);  // it was assigned once
  EXPECT_EQ(d.get("/api/v1/tasks/" + started).status, 200);
}

TEST(Tasks, TwentyConcurrentClaimsExactlyOneWins) {
  TestDaemon d;
  d.start();
  constexpr int kClaimants = 20;
  for (int i = 0; i < kClaimants; ++i) {
    spawn_sleeper(d, "claimant-" + std::to_string(i));
  }
  std::string id = create_task(d, Json{{"title", "the one prize"}, {"role", kTaskRole}})["id"];
  std::vector<HttpResult> results(kClaimants);
  std::latch start(kClaimants);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClaimants; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();  // all twenty go at once
      results[static_cast<size_t>(i)] =
          http_request(d.address(), "POST", "/api/v1/tasks/" + id + "/claim",
                       Json{{"agent", "claimant-" + std::to_string(i)}}.dump(), d.auth_header());
    });
  }
  for (auto& t : threads)
    t.join();
  std::string winner;
  int wins = 0;
  int conflicts = 0;
  for (const auto& r : results) {
    if (r.status == 200) {
      ++wins;
      winner = r.json()["assignee_name"].get<std::string>();
    } else if (r.status == 409) {
      ++conflicts;
    }
  }
  ASSERT_EQ(wins, 1);
  EXPECT_EQ(conflicts, kClaimants - 1);
  for (const auto& r : results) {
    if (r.status != 409) continue;
    EXPECT_EQ(code_of(r), "task_claimed");
    EXPECT_TRUE(contains(message_of(r), "already claimed by " + winner + " (ag_")) << r.body;
  }
  auto task = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(task["status"], "assigned");
  EXPECT_EQ(task["assignee_name"], winner);
  int claimed_rows = 0;
  for (const auto& row : history_of(d, id)) {
    claimed_rows += row["field"] == "status" && row["reason"] == "claimed";
  }
  EXPECT_EQ(claimed_rows, 1);
}

TEST(Tasks, DependencyCycleIs422NamingTheCycle) {
  TestDaemon d;
  d.start();
  std::string a = create_task(d, Json{{"title", "a"}})["id"];
  std::string b = create_task(d, Json{{"title", "b"}, {"depends_on", {a}}})["id"];
  std::string c = create_task(d, Json{{"title", "c"}, {"depends_on", {b}}})["id"];
  auto before = history_of(d, a).size();

  auto cycle = d.patch("/api/v1/tasks/" + a, Json{{"depends_on", {c}}});
  EXPECT_EQ(cycle.status, 422);
  EXPECT_EQ(code_of(cycle), "dependency_cycle");
  EXPECT_TRUE(contains(message_of(cycle), a + " → " + c + " → " + b + " → " + a)) << cycle.body;

  auto self = d.patch("/api/v1/tasks/" + a, Json{{"depends_on", {a}}});
  EXPECT_EQ(self.status, 422);
  EXPECT_TRUE(contains(message_of(self), a + " → " + a)) << self.body;

  auto two = d.patch("/api/v1/tasks/" + b, Json{{"depends_on", {c}}});
  EXPECT_EQ(two.status, 422);
  EXPECT_TRUE(contains(message_of(two), b + " → " + c + " → " + b)) << two.body;

  EXPECT_EQ(d.get("/api/v1/tasks/" + a).json()["depends_on"], Json::array());
  EXPECT_EQ(history_of(d, a).size(), before);
  auto unknown = d.post("/api/v1/tasks", Json{{"title", "x"}, {"depends_on", {"t_nothing0"}}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(contains(message_of(unknown), "t_nothing0"));
  // A harmless change of dependencies is fine and recorded.
  auto fine = d.patch("/api/v1/tasks/" + c, Json{{"depends_on", {a, b}}});
  ASSERT_EQ(fine.status, 200) << fine.body;
  EXPECT_EQ(history_of(d, c).back()["field"], "depends_on");
}

TEST(Tasks, BadInputIsRefusedAndChangesNothing) {
  TestDaemon d;
  d.start();
  auto t = create_task(d, Json{{"title", "steady"}});
  std::string id = t["id"];
  auto raw = [&](const std::string& method, const std::string& target, const std::string& body) {
    return http_request(d.address(), method, target, body, d.auth_header());
  };
  struct Case {
    std::string method;
    std::string target;
    std::string body;
    int status;
  };
  std::string big_title(201, 't');
  std::string big_description(64 * 1024 + 1, 'd');
  std::vector<Case> cases = {
      {"POST", "/api/v1/tasks", "{\"title\": ", 400},
      {"POST", "/api/v1/tasks", "[1,2]", 400},
      {"POST", "/api/v1/tasks", "{}", 400},
      {"POST", "/api/v1/tasks", R"({"title": 5})", 400},
      {"POST", "/api/v1/tasks", R"({"title": ""})", 400},
      {"POST", "/api/v1/tasks", Json{{"title", big_title}}.dump(), 400},
      {"POST", "/api/v1/tasks", Json{{"title", "x"}, {"description", big_description}}.dump(), 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "priority": "soon"})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "priority": 9})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "priority": 1.5})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "depends_on": "t_x"})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "depends_on": [1]})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "assignee": "nobody"})", 404},
      {"POST", "/api/v1/tasks", R"({"title": "x", "parent_id": "t_nothing0"})", 404},
      {"POST", "/api/v1/tasks", R"({"title": "x", "colour": "blue"})", 400},
      {"POST", "/api/v1/tasks", R"({"title": "x", "status": "done"})", 400},
      {"GET", "/api/v1/tasks?status=finished", "", 400},
      {"GET", "/api/v1/tasks?limit=0", "", 400},
      {"GET", "/api/v1/tasks?assignee=nobody", "", 404},
      {"GET", "/api/v1/tasks/t_nothing0", "", 404},
      {"PATCH", "/api/v1/tasks/t_nothing0", R"({"priority": 1})", 404},
      {"DELETE", "/api/v1/tasks/t_nothing0", "", 404},
      {"POST", "/api/v1/tasks/t_nothing0/claim", R"({"agent": "kai"})", 404},
      {"POST", "/api/v1/tasks/t_nothing0/comments", R"({"body": "hi"})", 404},
      {"GET", "/api/v1/tasks/t_nothing0/comments", "", 404},
      {"GET", "/api/v1/tasks/t_nothing0/history", "", 404},
      {"GET", "/api/v1/tasks/t_nothing0/reports", "", 404},
      {"POST", "/api/v1/tasks/t_nothing0/reports", done_report().dump(), 404},
      {"PATCH", "/api/v1/tasks/" + id, "{\"title\": \"x\",,}", 400},
      {"PATCH", "/api/v1/tasks/" + id, R"({"title": ["x"]})", 400},
      {"PATCH", "/api/v1/tasks/" + id, Json{{"title", big_title}}.dump(), 400},
      {"PATCH", "/api/v1/tasks/" + id, R"({"status": 3})", 400},
      {"PATCH", "/api/v1/tasks/" + id, R"({"assignee": 3})", 400},
      {"PATCH", "/api/v1/tasks/" + id, R"({"assignee": "nobody"})", 404},
      {"PATCH", "/api/v1/tasks/" + id, R"({"depends_on": ["t_nothing0"]})", 404},
      {"PATCH", "/api/v1/tasks/" + id, R"({"title": "x", "status": "review"})", 409},
      {"POST", "/api/v1/tasks/" + id + "/claim", "{}", 400},
      {"POST", "/api/v1/tasks/" + id + "/claim", R"({"agent": "nobody"})", 404},
      {"POST", "/api/v1/tasks/" + id + "/comments", R"({"body": ""})", 400},
      {"POST", "/api/v1/tasks/" + id + "/comments", R"({"text": "hi"})", 400},
      {"POST", "/api/v1/tasks/" + id + "/reports", "not json", 400},
      {"POST", "/api/v1/tasks/" + id + "/reports", R"({"status": "finished"})", 400},
      {"POST", "/api/v1/tasks/" + id + "/reports", R"({"status": "partial", "changes": 1})", 400},
      {"POST", "/api/v1/tasks/" + id + "/reports", R"({"status": "partial"})", 409},
      {"POST", "/api/v1/tasks/" + id + "/approve", "{}", 409},
      {"POST", "/api/v1/tasks/" + id + "/reject", "{}", 400},
  };
  for (const auto& c : cases) {
    auto r = raw(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 80)
                                  << " → " << r.body;
    EXPECT_TRUE(r.json().is_object() && r.json().contains("error")) << r.body;
  }
  // Nothing changed: one task, as it was, with its one history row, and no comments or reports.
  auto list = d.get("/api/v1/tasks").json()["tasks"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0], t);
  EXPECT_EQ(history_of(d, id).size(), 1u);
  EXPECT_TRUE(d.get("/api/v1/tasks/" + id + "/comments").json()["comments"].empty());
  EXPECT_TRUE(d.get("/api/v1/tasks/" + id + "/reports").json()["reports"].empty());
  EXPECT_EQ(http_request(d.address(), "GET", "/healthz").status, 200);
}

TEST(TasksReports, DoneWithoutProofAndBlockedWithoutReasonAre422AndChangeNothing) {
  TestDaemon d;
  d.start();
  auto kai = spawn_with_token(d, "kai");
  std::string id = create_task(d, Json{{"title", "Fix the bug"}, {"role", kTaskRole}})["id"];
  auto claimed = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/claim");
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  EXPECT_EQ(claimed.json()["assignee"], kai.id);
  auto before = d.get("/api/v1/tasks/" + id).json();
  auto history_before = history_of(d, id).size();

  auto no_proof = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports",
                           Json{{"status", "done"}, {"summary", "trust me"}});
  EXPECT_EQ(no_proof.status, 422);
  EXPECT_EQ(code_of(no_proof), "proof_required");
  Json partial_proof = done_report();
  partial_proof["proof"]["how_verified"] = "";
  auto half = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports", partial_proof);
  EXPECT_EQ(half.status, 422);
  EXPECT_TRUE(contains(message_of(half), "how_verified")) << half.body;
  EXPECT_TRUE(message_of(half).ends_with("missing or empty: how_verified")) << half.body;
  auto blocked = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports",
                          Json{{"status", "blocked"}, {"summary", "stuck"}});
  EXPECT_EQ(blocked.status, 422);
  EXPECT_EQ(code_of(blocked), "blocked_reason_required");

  EXPECT_EQ(d.get("/api/v1/tasks/" + id).json(), before);
  EXPECT_EQ(history_of(d, id).size(), history_before);
  EXPECT_TRUE(d.get("/api/v1/tasks/" + id + "/reports").json()["reports"].empty());

  // A blocked report with its reason blocks the task, reason in history, and is not checked.
  auto ok = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports",
                     Json{{"status", "blocked"}, {"blocked_reason", "needs the API key"}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.json()["task"]["status"], "blocked");
  EXPECT_EQ(ok.json()["report"]["verified"], "skipped");
  auto h = history_of(d, id);
  EXPECT_EQ(h.back()["to"], "blocked");
  EXPECT_EQ(h.back()["reason"], "needs the API key");
  EXPECT_EQ(h.back()["actor"], kai.id);
}

TEST(TasksReports, DoneWithACommitSinceTheTaskStartedIsCheckedAndDone) {
  TestDaemon d;
  d.start();
  TempDir dir;
  auto repo = dir.path() / "repo";
  init_repo_with_old_commit(repo);
  auto kai = spawn_with_token(d, "kai", repo.string());
  std::string id = create_task(d, Json{{"title", "Fix the parser"}, {"role", kTaskRole}})["id"];
  ASSERT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/claim").status, 200);
  ASSERT_EQ(
      as_agent(d, kai, "PATCH", "/api/v1/tasks/" + id, Json{{"status", "in_progress"}}).status,
      200);
  git_in(repo, {"commit", "-q", "--allow-empty", "-m", "fix the parser"});
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports", done_report());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["task"]["status"], "review");
  EXPECT_EQ(r.json()["report"]["verified"], "pending");
  ASSERT_TRUE(events.wait("report.submitted", id));
  auto checked = events.wait("report.checked", id, std::chrono::seconds(30));
  ASSERT_TRUE(checked);
  EXPECT_EQ((*checked)["data"]["verified"], "passed") << checked->dump(2);
  auto done = events.wait("task.updated", id);
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["data"]["to"], "done");

  auto reports = d.get("/api/v1/tasks/" + id + "/reports").json()["reports"];
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0]["verified"], "passed");
  EXPECT_EQ(reports[0]["author"], kai.id);
  EXPECT_EQ(reports[0]["agent_id"], kai.id);
  EXPECT_FALSE(reports[0]["checked_at"].is_null());
  std::string log = reports[0]["check_log"];
  EXPECT_TRUE(contains(log, "proof: present")) << log;
  EXPECT_TRUE(contains(log, "\"fix the parser\"")) << log;
  EXPECT_TRUE(contains(log, "tests: skipped")) << log;
  auto task = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(task["status"], "done");
  EXPECT_FALSE(task["done_at"].is_null());
  auto h = history_of(d, id);
  EXPECT_EQ(h.back()["actor"], "verifier");
  EXPECT_TRUE(contains(h.back()["reason"].get<std::string>(), "checked")) << h.back().dump();
}

TEST(TasksReports, NoCommitSinceTheTaskStartedFailsTheCheckAndReturnsTheTask) {
  TestDaemon d;
  d.start();
  TempDir dir;
  auto repo = dir.path() / "repo";
  init_repo_with_old_commit(repo);
  auto kai = spawn_with_token(d, "kai", repo.string());
  std::string id = create_task(d, Json{{"title", "Fix the lexer"}, {"role", kTaskRole}})["id"];
  ASSERT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/claim").status, 200);
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto r = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports", done_report());
  ASSERT_EQ(r.status, 201) << r.body;
  auto checked = events.wait("report.checked", id, std::chrono::seconds(30));
  ASSERT_TRUE(checked);
  EXPECT_EQ((*checked)["data"]["verified"], "failed");
  auto back = events.wait("task.updated", id);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["data"]["from"], "review");
  EXPECT_EQ((*back)["data"]["to"], "in_progress");

  auto report = d.get("/api/v1/tasks/" + id + "/reports").json()["reports"][0];
  EXPECT_EQ(report["verified"], "failed");
  std::string log = report["check_log"];
  EXPECT_TRUE(contains(log, "no commit in " + repo.string())) << log;
  EXPECT_TRUE(contains(log, "\"old work\"")) << log;
  auto task = d.get("/api/v1/tasks/" + id).json();
  EXPECT_EQ(task["status"], "in_progress");
  EXPECT_EQ(task["assignee"], kai.id);
  auto h = history_of(d, id);
  EXPECT_EQ(h.back()["actor"], "verifier");
  EXPECT_TRUE(contains(h.back()["reason"].get<std::string>(), "no commit")) << h.back().dump();
  auto comments = d.get("/api/v1/tasks/" + id + "/comments").json()["comments"];
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0]["author"], "verifier");
  EXPECT_TRUE(contains(comments[0]["body"].get<std::string>(), "no commit")) << comments[0].dump();
}

TEST(TasksReports, APersonApprovesAndRejects) {
  TestDaemon d;
  d.start();
  spawn_sleeper(d, "kai");
  std::string id =
      create_task(d, Json{{"title", "Review me"}, {"role", kTaskRole}, {"assignee", "kai"}})["id"];
  ASSERT_EQ(d.patch("/api/v1/tasks/" + id, Json{{"status", "in_progress"}}).status, 200);
  auto early = d.post("/api/v1/tasks/" + id + "/approve", Json::object());
  EXPECT_EQ(early.status, 409);
  EXPECT_TRUE(contains(message_of(early), "from in_progress to done")) << early.body;
  ASSERT_EQ(d.patch("/api/v1/tasks/" + id, Json{{"status", "review"}}).status, 200);

  EXPECT_EQ(d.post("/api/v1/tasks/" + id + "/reject", Json::object()).status, 400);
  Json task_before_reject = d.get("/api/v1/tasks/" + id).json();
  auto rejected = d.post("/api/v1/tasks/" + id + "/reject", Json{{"reason", "no tests"}});
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(rejected.json()["status"], "assigned");  // back to the same agent
  EXPECT_EQ(rejected.json()["assignee"], task_before_reject["assignee"]);
  auto h = history_of(d, id);
  EXPECT_EQ(h.back()["reason"], "rejected by user: no tests");
  auto comments = d.get("/api/v1/tasks/" + id + "/comments").json()["comments"];
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0]["body"], "Rejected: no tests");

  ASSERT_EQ(d.patch("/api/v1/tasks/" + id, Json{{"status", "review"}}).status, 200);
  auto approved = d.post("/api/v1/tasks/" + id + "/approve", Json{{"note", "looks right"}});
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.json()["status"], "done");
  h = history_of(d, id);
  EXPECT_EQ(h.back()["to"], "done");
  EXPECT_EQ(h.back()["actor"], "user");
  EXPECT_EQ(h.back()["reason"], "approved by user: looks right");
  auto again = d.post("/api/v1/tasks/" + id + "/approve", Json::object());
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(d.patch("/api/v1/tasks/" + id, Json{{"status", "pending"}}).status, 409);
}

TEST(TasksReports, AnAgentTokenCannotDecideAndItsWorkIsAttributedToIt) {
  TestDaemon d;
  d.start();
  auto kai = spawn_with_token(d, "kai");
  auto ana = spawn_with_token(d, "ana");
  std::string id = create_task(d, Json{{"title", "Agent work"}, {"role", kTaskRole}})["id"];

  // Agents create, claim (only for themselves), comment, update.
  auto other = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/claim", Json{{"agent", "ana"}});
  EXPECT_EQ(other.status, 403);
  ASSERT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/claim").status, 200);
  auto comment =
      as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/comments", Json{{"body", "on it"}});
  ASSERT_EQ(comment.status, 201) << comment.body;
  EXPECT_EQ(comment.json()["author"], kai.id);
  ASSERT_EQ(
      as_agent(d, kai, "PATCH", "/api/v1/tasks/" + id, Json{{"status", "in_progress"}}).status,
      200);
  auto sub = as_agent(d, kai, "POST", "/api/v1/tasks",
                      Json{{"title", "a subtask"}, {"role", kTaskRole}, {"parent_id", id}});
  EXPECT_EQ(sub.status, 201) << sub.body;

  // Another agent may not report on kai's task; kai may.
  auto foreign = as_agent(d, ana, "POST", "/api/v1/tasks/" + id + "/reports", done_report());
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(contains(message_of(foreign), "kai")) << foreign.body;
  auto report = as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reports",
                         Json{{"status", "partial"}, {"summary", "half done"}});
  ASSERT_EQ(report.status, 201) << report.body;
  EXPECT_EQ(report.json()["report"]["author"], kai.id);
  EXPECT_EQ(report.json()["report"]["agent_id"], kai.id);

  // Deciding is for people.
  EXPECT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/approve").status, 403);
  EXPECT_EQ(as_agent(d, kai, "POST", "/api/v1/tasks/" + id + "/reject",
                     Json{{"reason", "I changed my mind"}})
                .status,
            403);
  EXPECT_EQ(as_agent(d, kai, "DELETE", "/api/v1/tasks/" + sub.json().value("id", "")).status, 403);

  // Every change after the creation is kai's (or, once the partial report is checked, the
  // verifier's).
  auto h = history_of(d, id);
  ASSERT_GE(h.size(), 5u);
  EXPECT_EQ(h[0]["actor"], "user");
  for (size_t i = 1; i < h.size(); ++i) {
    if (h[i]["actor"] == "verifier") continue;
    EXPECT_EQ(h[i]["actor"], kai.id) << h[i].dump();
  }
  auto comments = d.get("/api/v1/tasks/" + id + "/comments").json()["comments"];
  ASSERT_GE(comments.size(), 1u);
  EXPECT_EQ(comments[0]["author"], kai.id);
}

}  // namespace
}  // namespace bosun::e2e
