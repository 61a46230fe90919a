// `bosun task …` and `bosun report submit` end to end: the CLI against a real daemon, as a
// person (the state directory) and as an agent (BOSUN_URL + BOSUN_TOKEN + BOSUN_TASK only).
#include <gtest/gtest.h>

#include <fstream>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// "added t_ab12cd34 (pending): …" → "t_ab12cd34".
std::string added_id(const CliResult& r) {
  auto at = r.out.find("added t_");
  if (at == std::string::npos) return "";
  return r.out.substr(at + 6, 10);
}

TEST(TasksCli, AddListTreeShowUpdateCommentRemove) {
  TestDaemon d;
  d.start();
  auto parent = d.cli({"task", "add", "Ship the parser", "--desc", "all of it\nby Friday"});
  ASSERT_EQ(parent.exit_code, 0) << parent.err;
  std::string p = added_id(parent);
  ASSERT_EQ(p.size(), 10u) << parent.out;
  auto child = d.cli({"task", "add", "Write the grammar", "--parent", p, "--priority", "high",
                      "--role", "backend"});
  ASSERT_EQ(child.exit_code, 0) << child.err;
  std::string c = added_id(child);
  auto grandchild = d.cli(
      {"task", "add", "Test the grammar", "--parent", c, "--depends-on", c, "--priority", "4"});
  ASSERT_EQ(grandchild.exit_code, 0) << grandchild.err;
  std::string g = added_id(grandchild);
  auto sibling = d.cli({"task", "add", "Document it", "--parent", p});
  std::string s = added_id(sibling);

  auto list = d.cli({"task", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(contains(list.out, "ID")) << list.out;
  EXPECT_TRUE(contains(list.out, "Write the grammar")) << list.out;
  auto tree = d.cli({"task", "list", "--tree"});
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_TRUE(contains(tree.out, " Ship the parser\n")) << tree.out;
  EXPECT_TRUE(contains(tree.out, "├─ Write the grammar\n")) << tree.out;
  EXPECT_TRUE(contains(tree.out, "│  └─ Test the grammar\n")) << tree.out;
  EXPECT_TRUE(contains(tree.out, "└─ Document it\n")) << tree.out;
  EXPECT_LT(tree.out.find("Write the grammar"), tree.out.find("Test the grammar")) << tree.out;
  EXPECT_LT(tree.out.find("Test the grammar"), tree.out.find("Document it")) << tree.out;
  auto backend = d.cli({"task", "list", "--role", "backend", "--json"});
  ASSERT_EQ(backend.exit_code, 0) << backend.err;
  auto backend_json = Json::parse(backend.out);
  ASSERT_EQ(backend_json.size(), 1u);
  EXPECT_EQ(backend_json[0]["id"], c);

  auto ready = d.cli({"task", "ready", "--json"});
  ASSERT_EQ(ready.exit_code, 0) << ready.err;
  auto ready_json = Json::parse(ready.out);
  ASSERT_EQ(ready_json.size(), 3u);   // g waits for c
  EXPECT_EQ(ready_json[0]["id"], c);  // priority 1 first

  auto update = d.cli({"task", "update", c, "--status", "backlog", "--reason", "after the design"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_TRUE(contains(update.out, "updated " + c + ": backlog")) << update.out;
  auto refused = d.cli({"task", "update", c, "--status", "done"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(contains(refused.err, "bosun: cannot move " + c + " from backlog to done"))
      << refused.err;
  auto bad_status = d.cli({"task", "update", c, "--status", "finished"});
  EXPECT_EQ(bad_status.exit_code, 2);
  EXPECT_TRUE(contains(bad_status.err, "unknown status 'finished'")) << bad_status.err;
  EXPECT_EQ(d.cli({"task", "update", c}).exit_code, 2);  // nothing to update
  auto listed = d.cli({"task", "list", "--status", "backlog"});
  EXPECT_TRUE(contains(listed.out, "Write the grammar")) << listed.out;
  EXPECT_FALSE(contains(listed.out, "Ship the parser")) << listed.out;

  ASSERT_EQ(d.cli({"task", "comment", p, "looks good so far"}).exit_code, 0);
  auto show = d.cli({"task", "show", p});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out, p + "  Ship the parser")) << show.out;
  EXPECT_TRUE(contains(show.out, "status:     pending (priority 2), ready")) << show.out;
  EXPECT_TRUE(contains(show.out, "subtasks:   " + c + ", " + s)) << show.out;
  EXPECT_TRUE(contains(show.out, "description:\n  all of it\n  by Friday\n")) << show.out;
  EXPECT_TRUE(contains(show.out, "comments:")) << show.out;
  EXPECT_TRUE(contains(show.out, "looks good so far")) << show.out;
  EXPECT_TRUE(contains(show.out, "history:")) << show.out;
  auto show_child = d.cli({"task", "show", g});
  EXPECT_TRUE(contains(show_child.out, "depends on: " + c + " (backlog)")) << show_child.out;
  auto show_c = d.cli({"task", "show", c});
  EXPECT_TRUE(contains(show_c.out, "status: pending → backlog  (after the design)")) << show_c.out;
  auto json = d.cli({"task", "show", p, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto shown = Json::parse(json.out);
  EXPECT_EQ(shown["task"]["id"], p);
  EXPECT_EQ(shown["comments"][0]["body"], "looks good so far");
  EXPECT_EQ(shown["comments"][0]["author"], "user");
  EXPECT_EQ(shown["history"][0]["to"], "pending");
  EXPECT_TRUE(shown["reports"].empty());

  EXPECT_EQ(d.cli({"task", "rm", g}).exit_code, 0);
  auto gone = d.cli({"task", "show", g});
  EXPECT_EQ(gone.exit_code, 3);
  EXPECT_TRUE(contains(gone.err, "bosun: no task " + g)) << gone.err;
  auto has_kids = d.cli({"task", "rm", p});
  EXPECT_EQ(has_kids.exit_code, 4);
  EXPECT_TRUE(contains(has_kids.err, "subtasks")) << has_kids.err;

  EXPECT_EQ(d.cli({"task", "add"}).exit_code, 2);
  EXPECT_EQ(d.cli({"task", "frobnicate"}).exit_code, 2);
  auto long_title = d.cli({"task", "add", std::string(201, 'x')});
  EXPECT_EQ(long_title.exit_code, 2);
  EXPECT_TRUE(contains(long_title.err, "title")) << long_title.err;
}

TEST(TasksCli, AnAgentClaimsReportsAndAPersonDecides) {
  TestDaemon d;
  d.start();
  TempDir dir;
  auto kai = spawn_with_token(d, "kai", dir.path().string());
  std::string id = create_task(d, Json{{"title", "Agent job"}, {"role", kTaskRole}})["id"];
  std::map<std::string, std::string> agent_env = {
      {"BOSUN_URL", "http://" + d.address()}, {"BOSUN_TOKEN", kai.token}, {"BOSUN_TASK", id}};

  // Inside the agent: no flags, no state directory.
  auto claim = run_bosun({"task", "claim", id}, agent_env);
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  EXPECT_TRUE(contains(claim.out, "claimed " + id + ": assigned")) << claim.out;
  EXPECT_TRUE(contains(claim.out, "assignee kai")) << claim.out;
  auto again = run_bosun({"task", "claim", id}, agent_env);
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_TRUE(contains(again.err, "already claimed by kai")) << again.err;
  ASSERT_EQ(run_bosun({"task", "update", id, "--status", "in_progress"}, agent_env).exit_code, 0);
  ASSERT_EQ(run_bosun({"task", "comment", id, "halfway there"}, agent_env).exit_code, 0);
  auto approve = run_bosun({"task", "approve", id}, agent_env);
  EXPECT_EQ(approve.exit_code, 5);
  EXPECT_TRUE(contains(approve.err, "bosun: agents may not call")) << approve.err;

  // A blocked report without a reason is refused, from stdin.
  auto refused = run_bosun({"report", "submit", "-"}, agent_env, R"({"status": "blocked"})");
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(contains(refused.err, "bosun: a blocked report needs a blocked_reason"))
      << refused.err;
  auto not_json = run_bosun({"report", "submit", "-"}, agent_env, "{status: done");
  EXPECT_EQ(not_json.exit_code, 2);
  EXPECT_TRUE(contains(not_json.err, "malformed JSON")) << not_json.err;
  // (No input: the CLI stops before reading it, and a write to its closed stdin would
  // raise SIGPIPE in this test.)
  auto no_task = run_bosun({"report", "submit", "-"},
                           {{"BOSUN_URL", "http://" + d.address()}, {"BOSUN_TOKEN", kai.token}});
  EXPECT_EQ(no_task.exit_code, 2);  // usage: this agent holds no task the CLI could take
  EXPECT_TRUE(contains(no_task.err, "which task?")) << no_task.err;

  // A done report from a file: the task goes to review, the check (no git here) passes.
  auto file = dir.path() / "report.json";
  std::ofstream(file) << done_report("parser done").dump(2);
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto submit = run_bosun({"report", "submit", file.string()}, agent_env);
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  EXPECT_TRUE(
      contains(submit.out, "on " + id + ": done; the task is review until the check passes"))
      << submit.out;
  auto checked = events.wait("report.checked", id, std::chrono::seconds(30));
  ASSERT_TRUE(checked);
  EXPECT_EQ((*checked)["data"]["verified"], "passed") << checked->dump(2);
  auto show = d.cli({"task", "show", id});
  EXPECT_TRUE(contains(show.out, "status:     done")) << show.out;
  EXPECT_TRUE(contains(show.out, "done by " + kai.id)) << show.out;
  EXPECT_TRUE(contains(show.out, "check: passed")) << show.out;
  EXPECT_TRUE(contains(show.out, "summary: parser done")) << show.out;
  EXPECT_TRUE(contains(show.out, "| git: skipped")) << show.out;
  EXPECT_TRUE(contains(show.out, kai.id + ":\n    halfway there")) << show.out;

  // A person rejects and approves a task in review.
  std::string second =
      create_task(d, Json{{"title", "Second job"}, {"role", kTaskRole}, {"assignee", "kai"}})["id"];
  ASSERT_EQ(d.cli({"task", "update", second, "--status", "in_progress"}).exit_code, 0);
  ASSERT_EQ(d.cli({"task", "update", second, "--status", "review"}).exit_code, 0);
  auto reject = d.cli({"task", "reject", second, "needs a test"});
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  EXPECT_TRUE(contains(reject.out, "rejected " + second + ": assigned")) << reject.out;
  auto early = d.cli({"task", "approve", second});
  EXPECT_EQ(early.exit_code, 4);
  EXPECT_TRUE(contains(early.err, "from assigned to done")) << early.err;
  ASSERT_EQ(d.cli({"task", "update", second, "--status", "review"}).exit_code, 0);
  auto ok = d.cli({"task", "approve", second, "--note", "fine"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(contains(ok.out, "approved " + second + ": done")) << ok.out;
  EXPECT_EQ(d.cli({"task", "reject", second}).exit_code, 2);  // the reason is required
}

}  // namespace
}  // namespace bosun::e2e
