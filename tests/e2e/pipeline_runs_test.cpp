// Pipeline runs end to end: the real daemon runs each step as `bosun sim-agent --headless` (the
// scripted agent playing architect, QA, backend, reviewer) in the run's own worktree of a real
// git repository, and checks every gate itself — the test command run red and green, the files
// each step changed, the reviewer's verdict, a person's approval, the budget — through to the
// safe merge; and a daemon killed with -9 mid-step continues the run.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "support/agents.h"
#include "support/harness.h"
#include "support/tasks.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::vector<std::string> kRunSettles = {"pipeline.run.waiting", "pipeline.run.review",
                                              "pipeline.run.finished"};

// Every tests/*_test.sh must exist and pass.
constexpr const char* kTestCommand =
    "for t in tests/*_test.sh; do [ -f \"$t\" ] || exit 1; sh \"$t\" || exit 1; done";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string git_out(const fs::path& repo, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv).out;
}

using Acts = std::map<std::string, std::string>;

// A repository with the four roles played by the scripted agent; `acts` adds `sim: …` lines to
// a role's instructions.
struct Crew {
  TempDir dir{"bosun-pipe-"};
  fs::path repo = dir.path() / "app";
  TestDaemon d;
  std::string project_id;

  explicit Crew(const Acts& acts = {}, const std::string& mode = "auto") {
    fs::create_directories(repo);
    init_repo_with_old_commit(repo);
    for (const char* role : {"architect", "qa", "debugger", "backend", "reviewer"}) {
      std::string body =
          fmt::format("---\nname: {}\nprofile: sim\n---\nYou are the {}.\n", role, role);
      if (auto it = acts.find(role); it != acts.end()) body += it->second + "\n";
      write(repo / ".bosun" / "roles" / (std::string(role) + ".md"), body);
    }
    git_in(repo, {"add", ".bosun"});
    git_in(repo, {"commit", "-q", "-m", "roles"});
    d.start();
    auto p = d.post(
        "/api/v1/projects",
        Json{{"path", repo.string()}, {"execution_mode", mode}, {"test_command", kTestCommand}});
    EXPECT_EQ(p.status, 201) << p.body;
    project_id = p.json().value("id", "");
  }

  Json start(const std::string& pipeline, const std::string& brief) {
    auto r = d.post("/api/v1/pipelines/" + pipeline + "/runs", Json{{"brief", brief}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json();
  }

  Json show(const std::string& run) { return d.get("/api/v1/pipeline-runs/" + run).json(); }

  static const Json& step(const Json& run, const std::string& id) {
    for (const auto& s : run["steps"]) {
      if (s["id"] == id) return s;
    }
    static const Json none;
    return none;
  }
};

// The run settles (waits for a person, waits in review, or ends) and the run as it then is.
Json settle(Crew& c, EventWaiter& events, const std::string& run,
            std::chrono::milliseconds timeout = 90s) {
  auto ev = events.wait_any(kRunSettles, run, timeout);
  EXPECT_TRUE(ev.has_value()) << "run " << run << " did not settle: " << c.show(run).dump(2);
  return c.show(run);
}

// The same for a waiter that replays the log from its start (after a restart): the settle
// that leaves the run not running.
Json settle_replayed(Crew& c, EventWaiter& events, const std::string& run) {
  for (;;) {
    auto ev = events.wait_any({"pipeline.run.finished", "pipeline.run.waiting"}, run, 120s);
    Json now = c.show(run);
    if (!ev) {
      ADD_FAILURE() << "run " << run << " did not settle: " << now.dump(2);
      return now;
    }
    if (now["state"] != "running") return now;
  }
}

TEST(PipelineRuns, FeatureRunsToAMergeAndAReviewSendsTheWorkBackWithItsComments) {
  Crew c(Acts{{"reviewer", "sim: request-changes"}});
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  Json run = c.start("feature", "Print ok\nThe tool prints ok.");
  std::string id = run["id"];
  EXPECT_EQ(run["state"], "running");
  EXPECT_TRUE(fs::is_directory(run["worktree"].get<std::string>()));
  auto task = c.d.get("/api/v1/tasks/" + run["task_id"].get<std::string>()).json();
  EXPECT_EQ(task["status"], "in_progress");
  EXPECT_EQ(task["pipeline_run"], id);

  Json done = settle(c, events, id, 120s);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  // Every step passed; the review sent the work back once, with its comments.
  for (const char* s : {"design", "tests", "implement", "review"}) {
    EXPECT_EQ(Crew::step(done, s)["state"], "passed") << s;
  }
  EXPECT_EQ(done["loops"], 1);
  EXPECT_EQ(Crew::step(done, "review")["headless_runs"].size(), 2u);
  EXPECT_EQ(Crew::step(done, "implement")["headless_runs"].size(), 2u);
  EXPECT_EQ(Crew::step(done, "design")["headless_runs"].size(), 1u);
  EXPECT_EQ(Crew::step(done, "tests")["headless_runs"].size(), 1u);
  // The gates' evidence is bosun's own: the test run, the files.
  const Json& red = Crew::step(done, "tests")["gates"];
  ASSERT_EQ(red.size(), 3u);
  EXPECT_EQ(red[1]["gate"], "tests_red");
  EXPECT_TRUE(contains(red[1]["evidence"], "tests/feature_test.sh")) << red.dump(2);
  const Json& green = Crew::step(done, "implement")["gates"];
  EXPECT_EQ(green[1]["gate"], "tests_green");
  EXPECT_EQ(green[1]["result"], "passed");
  EXPECT_EQ(done["usage"]["runs"], 6);
  // The handoff ledger: the tests step handed on what it said comes next and its question; the
  // implementation was given that, with the gates bosun checked, in its prompt.
  const Json& handed = Crew::step(done, "tests")["handoffs"];
  ASSERT_EQ(handed.size(), 1u) << handed.dump(2);
  EXPECT_EQ(handed[0]["result"], "passed");
  EXPECT_TRUE(contains(handed[0]["next"], "leave the test alone")) << handed.dump(2);
  EXPECT_EQ(handed[0]["files"], Json::array({"tests/feature_test.sh"}));
  std::string implement_run = Crew::step(done, "implement")["headless_runs"][0];
  Json argv = c.d.get("/api/v1/runs/" + implement_run).json()["argv"];
  std::string prompt = argv.back();
  EXPECT_TRUE(contains(prompt, "### tests (attempt 1): passed")) << prompt;
  EXPECT_TRUE(contains(prompt, "next: make src/feature.sh print ok; leave the test alone"))
      << prompt;
  EXPECT_TRUE(contains(prompt, "questions: should REQ-2's usage line go to stderr?")) << prompt;
  EXPECT_TRUE(contains(prompt, "tests_red passed")) << prompt;
  // The review that sent the work back handed on its verdict; the implementation's second
  // attempt saw its own first one.
  EXPECT_EQ(Crew::step(done, "review")["handoffs"].size(), 2u);
  std::string second = Crew::step(done, "implement")["headless_runs"][1];
  std::string again = c.d.get("/api/v1/runs/" + second).json()["argv"].back();
  EXPECT_TRUE(contains(again, "### implement (attempt 1): passed")) << again;
  EXPECT_TRUE(contains(again, "### review (attempt 1): failed")) << again;
  EXPECT_EQ(done["usage"]["input_tokens"], 6000);

  // On the base: the design, the test, and the feature with what the reviewer asked for.
  EXPECT_TRUE(contains(read(c.repo / "docs" / "design.md"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "tests" / "feature_test.sh"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "src" / "feature.sh"), "# reviewed"));
  task = c.d.get("/api/v1/tasks/" + run["task_id"].get<std::string>()).json();
  EXPECT_EQ(task["status"], "done");
  EXPECT_EQ(task["merged_commit"], done["merged_commit"]);
  EXPECT_EQ(git_out(c.repo, {"rev-parse", done["base_branch"].get<std::string>()}).substr(0, 40),
            done["merged_commit"].get<std::string>());
  // The run's worktree is gone, and its merged branch with it.
  EXPECT_FALSE(fs::exists(run["worktree"].get<std::string>()));
  EXPECT_EQ(git_out(c.repo, {"branch", "--list", run["branch"].get<std::string>()}), "");

  // The CLI shows it.
  auto shown = c.d.cli({"pipeline", "show", id});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(contains(shown.out, "merged")) << shown.out;
  EXPECT_TRUE(contains(shown.out, "tests_red")) << shown.out;
  auto listed = c.d.cli({"pipeline", "runs"});
  EXPECT_TRUE(contains(listed.out, id)) << listed.out;

  // The trace: the design's requirements, each with the tests that name it, the commits that
  // touched it and the gates that ran its tests — read from the merged work, not from reports.
  auto traced = c.d.get("/api/v1/pipeline-runs/" + id + "/trace");
  ASSERT_EQ(traced.status, 200) << traced.body;
  Json t = traced.json();
  ASSERT_EQ(t["requirements"].size(), 2u) << t.dump(2);
  const Json& req1 = t["requirements"][0];
  EXPECT_EQ(req1["id"], "REQ-1");
  EXPECT_EQ(req1["status"], "verified") << req1.dump(2);
  EXPECT_FALSE(req1["in_brief"].get<bool>());
  EXPECT_EQ(req1["tests"], Json::array({"tests/feature_test.sh"}));
  EXPECT_EQ(req1["files"], Json::array({"docs/design.md"}));
  std::set<std::string> steps;
  for (const auto& commit : req1["commits"])
    steps.insert(commit["step"].get<std::string>());
  EXPECT_EQ(steps, (std::set<std::string>{"design", "tests", "implement"})) << req1.dump(2);
  std::set<std::string> gates;
  for (const auto& g : req1["gates"]) {
    gates.insert(g["step"].get<std::string>() + ":" + g["gate"].get<std::string>() + ":" +
                 g["result"].get<std::string>());
  }
  EXPECT_TRUE(gates.count("tests:tests_red:passed")) << req1.dump(2);
  EXPECT_TRUE(gates.count("implement:tests_green:passed")) << req1.dump(2);
  EXPECT_TRUE(gates.count("review:review:passed")) << req1.dump(2);
  const Json& req2 = t["requirements"][1];
  EXPECT_EQ(req2["id"], "REQ-2");
  EXPECT_EQ(req2["status"], "untested") << req2.dump(2);
  EXPECT_TRUE(req2["tests"].empty());
  ASSERT_EQ(req2["commits"].size(), 1u) << req2.dump(2);
  EXPECT_EQ(req2["commits"][0]["step"], "design");
  EXPECT_TRUE(t["unknown"].empty());
  auto matrix = c.d.cli({"pipeline", "trace", id});
  EXPECT_EQ(matrix.exit_code, 0) << matrix.err;
  EXPECT_TRUE(contains(matrix.out, "REQ-1  verified")) << matrix.out;
  EXPECT_TRUE(contains(matrix.out, "REQ-2  untested")) << matrix.out;
  EXPECT_TRUE(contains(matrix.out, "tests/feature_test.sh")) << matrix.out;
  EXPECT_EQ(c.d.get("/api/v1/pipeline-runs/run_nosuch/trace").status, 404);
}

TEST(PipelineRuns, TestsRedRefusesTestsThatPassAlreadyAndAStepThatWroteNone) {
  Crew c(Acts{{"qa", "sim: tests-pass on attempt 1\nsim: no-tests on attempt 2"}});
  EventWaiter events(c.d);
  Json run = c.start("tdd", "Print ok");
  std::string id = run["id"];
  Json waiting = settle(c, events, id);
  ASSERT_EQ(waiting["state"], "waiting") << waiting.dump(2);
  const Json& red = Crew::step(waiting, "red");
  EXPECT_EQ(red["state"], "failed");
  EXPECT_EQ(red["attempts"], 2);
  // Attempt 1's tests passed already; attempt 2 wrote no tests.
  EXPECT_TRUE(contains(red["evidence"], "pass already")) << red.dump(2);
  EXPECT_TRUE(contains(waiting["reason"], "wrote no tests")) << waiting["reason"];
  EXPECT_EQ(Crew::step(waiting, "green")["state"], "pending");
  EXPECT_EQ(Crew::step(waiting, "green")["headless_runs"].size(), 0u);

  // Cancelled: the task goes back to the board, nothing reached the base.
  auto cancelled = c.d.cli({"pipeline", "cancel", id, "--reason", "tests are wrong"});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_EQ(c.show(id)["state"], "cancelled");
  auto task = c.d.get("/api/v1/tasks/" + run["task_id"].get<std::string>()).json();
  EXPECT_EQ(task["status"], "pending");
  EXPECT_TRUE(task["pipeline_run"].is_null());
  EXPECT_FALSE(fs::exists(c.repo / "tests"));
  EXPECT_EQ(c.d.post("/api/v1/pipeline-runs/" + id + "/cancel", Json::object()).status, 409);
}

TEST(PipelineRuns, TestsUntouchedRefusesAnImplementationThatEditedTheTests) {
  Crew c(Acts{{"backend", "sim: edit-tests on attempt 1"}});
  EventWaiter events(c.d);
  Json run = c.start("tdd", "Print ok");
  std::string id = run["id"];
  // The first green attempt edits the test (so the tests pass) and is refused; the second
  // leaves it alone.
  auto refused = events.wait_for("pipeline.gate.failed", id, [](const Json& data) {
    return data["step"] == "green" && data["gate"]["gate"] == "tests_untouched";
  });
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(contains((*refused)["data"]["gate"]["evidence"], "tests/feature_test.sh"));
  Json done = settle(c, events, id);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  EXPECT_EQ(Crew::step(done, "green")["attempts"], 2);
  // The refused attempt left nothing on the branch; its commits are kept at a ref.
  EXPECT_EQ(
      git_out(c.repo, {"rev-parse", "--verify", "-q", "refs/bosun/attempts/" + id + "/green/1"})
          .size(),
      41u);
  // QA's test reached the base as QA wrote it.
  EXPECT_TRUE(contains(read(c.repo / "tests" / "feature_test.sh"), "expected ok"));
}

TEST(PipelineRuns, AReviewerWhoNeverApprovesEscalatesAtMaxLoops) {
  Crew c(Acts{{"reviewer", "sim: request-changes-always"}});
  EventWaiter events(c.d);
  Json run = c.start("bugfix", "It prints nope");
  std::string id = run["id"];
  Json waiting = settle(c, events, id, 120s);
  ASSERT_EQ(waiting["state"], "waiting") << waiting.dump(2);
  EXPECT_EQ(waiting["loops"], 3);  // bugfix allows 2
  EXPECT_TRUE(contains(waiting["reason"], "max_loops 2")) << waiting["reason"];
  EXPECT_TRUE(contains(waiting["reason"], "usage line")) << waiting["reason"];
  EXPECT_EQ(Crew::step(waiting, "review")["headless_runs"].size(), 3u);
  // The fix saw the reviewer's comments.
  EXPECT_TRUE(contains(Crew::step(waiting, "fix")["comments"], "usage line"));
  EXPECT_EQ(c.d.post("/api/v1/pipeline-runs/" + id + "/approve", Json::object()).status, 409);
}

TEST(PipelineRuns, AHumanGateWaitsAndRejectThenApproveMoveIt) {
  Crew c(Acts{}, "review");
  write(c.repo / ".bosun" / "pipelines" / "signoff.yaml",
        "name: signoff\nsteps:\n"
        "  - id: design\n    role: architect\n    mode: headless\n"
        "    prompt: 'Design {{task.title}}. {{gate.evidence}}'\n"
        "    gates: [report, {human: {on_fail: retry}}]\n"
        "  - id: code\n    role: backend\n    mode: headless\n    needs: [design]\n"
        "    prompt: 'Build it: {{steps.design.output}}'\n    gates: [report]\n");
  EventWaiter events(c.d);
  Json run = c.start("signoff", "Print ok");
  std::string id = run["id"];
  auto waits = events.wait_for(
      "pipeline.gate.waiting", id, [](const Json& data) { return data["step"] == "design"; }, 60s);
  ASSERT_TRUE(waits.has_value());
  Json waiting = settle(c, events, id);
  ASSERT_EQ(waiting["state"], "waiting");
  EXPECT_EQ(Crew::step(waiting, "code")["headless_runs"].size(), 0u);

  // Rejected over the API: the design again, with the reason.
  EXPECT_EQ(c.d.post("/api/v1/pipeline-runs/" + id + "/reject", Json::object()).status, 400);
  auto rejected =
      c.d.post("/api/v1/pipeline-runs/" + id + "/reject", Json{{"reason", "name the error cases"}});
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  waiting = settle(c, events, id);
  ASSERT_EQ(waiting["state"], "waiting");
  const Json& design = Crew::step(waiting, "design");
  EXPECT_EQ(design["attempts"], 2);
  EXPECT_TRUE(contains(design["evidence"], "name the error cases")) << design.dump(2);

  // Approved from the CLI: the code step runs; the run waits in review for the merge.
  auto approved = c.d.cli({"pipeline", "approve", id});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  Json review = settle(c, events, id);
  ASSERT_EQ(review["state"], "review") << review.dump(2);
  auto task = c.d.get("/api/v1/tasks/" + run["task_id"].get<std::string>()).json();
  EXPECT_EQ(task["status"], "review");
  auto diff = c.d.cli({"task", "diff", run["task_id"].get<std::string>(), "--stat"});
  EXPECT_TRUE(contains(diff.out, "src/feature.sh")) << diff.out;
  // The person approves the task; it lands through its run.
  auto merged =
      c.d.post("/api/v1/tasks/" + run["task_id"].get<std::string>() + "/approve", Json::object());
  ASSERT_EQ(merged.status, 200) << merged.body << c.d.stderr_text();
  EXPECT_EQ(merged.json()["status"], "done");
  EXPECT_EQ(c.show(id)["state"], "merged");
}

TEST(PipelineRuns, ABudgetStopsARunWhoseUsagePassesIt) {
  Crew c;
  // Each scripted step reports 1,500 tokens: over 2,000 after the second.
  write(
      c.repo / ".bosun" / "pipelines" / "tight.yaml",
      "name: tight\nlimits: {budget_tokens: 2000}\nsteps:\n"
      "  - {id: a, role: architect, mode: headless, prompt: 'Design', gates: [report]}\n"
      "  - {id: b, role: architect, mode: headless, needs: [a], prompt: 'Again', gates: [report]}\n"
      "  - {id: c, role: backend, mode: headless, needs: [b], prompt: 'Build', gates: [report]}\n");
  EventWaiter events(c.d);
  Json run = c.start("tight", "Print ok");
  std::string id = run["id"];
  Json waiting = settle(c, events, id);
  ASSERT_EQ(waiting["state"], "waiting") << waiting.dump(2);
  EXPECT_TRUE(contains(waiting["reason"], "3000 tokens, over its budget of 2000"))
      << waiting["reason"];
  EXPECT_EQ(Crew::step(waiting, "b")["state"], "passed");
  EXPECT_EQ(Crew::step(waiting, "c")["headless_runs"].size(), 0u);
}

TEST(PipelineRuns, AKilledDaemonContinuesTheRunAndNoFinishedStepRunsAgain) {
  // The design works for 3 s (the daemon is killed during it); QA's tests take 2 s to run (the
  // daemon is killed again while bosun checks them).
  Crew c(Acts{{"architect", "sim: slow 3000"}});
  auto p = c.d.patch("/api/v1/projects/" + c.project_id,
                     Json{{"test_command", std::string("sleep 2; ") + kTestCommand}});
  ASSERT_EQ(p.status, 200) << p.body;
  EventWaiter events(c.d);
  Json run = c.start("feature", "Print ok");
  std::string id = run["id"];
  ASSERT_TRUE(events.wait_for("pipeline.step.started", id,
                              [](const Json& data) { return data["step"] == "design"; }));
  c.d.kill9();
  c.d.start();
  EventWaiter after(c.d, 0);
  ASSERT_TRUE(after.wait_for("pipeline.step.started", id, [](const Json& data) {
    return data["step"] == "design" && data["resumed"] == true;
  }));
  // Killed while the tests step's gates run (its report gate passed, the test command sleeps).
  ASSERT_TRUE(after.wait_for(
      "pipeline.gate.passed", id,
      [](const Json& data) { return data["step"] == "tests" && data["gate"]["gate"] == "report"; },
      60s));
  c.d.kill9();
  c.d.start();
  EventWaiter last(c.d, 0);
  Json done = settle_replayed(c, last, id);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  // The design ran twice (interrupted, then again from its start); every other step once.
  EXPECT_EQ(Crew::step(done, "design")["headless_runs"].size(), 2u);
  EXPECT_EQ(Crew::step(done, "design")["attempts"], 1);
  EXPECT_EQ(Crew::step(done, "tests")["headless_runs"].size(), 1u);
  EXPECT_EQ(Crew::step(done, "implement")["headless_runs"].size(), 1u);
  EXPECT_EQ(Crew::step(done, "review")["headless_runs"].size(), 1u);
  EXPECT_TRUE(contains(read(c.repo / "src" / "feature.sh"), "echo ok"));
  // One design commit on the base, not two.
  EXPECT_EQ(git_out(c.repo, {"log", "--format=%s", "--", "docs/design.md"}),
            "design: REQ-1, REQ-2\n");
}

// Design, tests and review worked by the crew's permanent agents, the implementation headless.
constexpr const char* kCrewPipeline = R"(name: crew
description: the crew designs, tests and reviews; the implementation runs headless
steps:
  - id: design
    role: architect
    mode: agent
    prompt: |
      Design {{task.title}}.
      {{task.description}}
    gates: [report]
  - id: tests
    role: qa
    mode: agent
    needs: [design]
    prompt: |
      Write tests for {{task.title}} that fail until it is built.
      The design: {{steps.design.output}}
    gates: [report, tests_red]
  - id: implement
    role: backend
    mode: headless
    needs: [tests]
    prompt: |
      Make the tests pass without changing them.
      {{review.comments}}
      {{gate.evidence}}
    gates: [report, tests_green, tests_untouched]
  - id: review
    role: reviewer
    mode: agent
    needs: [implement]
    prompt: |
      Review {{task.title}}.
      {{handoff}}
    gates:
      - review: {on_fail: {back_to: implement}}
)";

// A permanent scripted agent of `role` in the crew's project, in a worktree of its own.
Json crew_agent(Crew& c, EventWaiter& events, const std::string& name, const std::string& role) {
  return spawn_idle(c.d, events,
                    Json{{"name", name},
                         {"role", role},
                         {"profile", "sim"},
                         {"argv", sim_argv()},
                         {"project", c.project_id},
                         {"worktree", true}});
}

void add_crew_pipeline(Crew& c) {
  write(c.repo / ".bosun" / "pipelines" / "crew.yaml", kCrewPipeline);
  git_in(c.repo, {"add", ".bosun"});
  git_in(c.repo, {"commit", "-q", "-m", "crew pipeline"});
}

TEST(PipelineRuns, AgentStepsAreTasksThatTheCrewsAgentsWorkOnBranchesFromTheRuns) {
  Crew c(Acts{{"reviewer", "sim: request-changes"}});
  add_crew_pipeline(c);
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  std::map<std::string, std::string> agent_of = {
      {"design", "ada"}, {"tests", "quinn"}, {"review", "rhea"}};
  crew_agent(c, events, "ada", "architect");
  crew_agent(c, events, "quinn", "qa");
  crew_agent(c, events, "rhea", "reviewer");
  // An architect outside the project never gets the design.
  spawn_sim(c.d, events, "outsider", "architect");

  Json run = c.start("crew", "Print ok\nThe tool prints ok.");
  std::string id = run["id"];
  Json done = settle(c, events, id, 120s);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  for (const char* s : {"design", "tests", "implement", "review"}) {
    EXPECT_EQ(Crew::step(done, s)["state"], "passed") << s;
  }
  // Each agent step was a task on the board, worked by the project's agent of its role on a
  // branch of its own from the run's, and merged into the run's branch; the review sent the
  // implementation back once, so it had two tasks.
  EXPECT_EQ(Crew::step(done, "review")["tasks"].size(), 2u) << done.dump(2);
  EXPECT_EQ(Crew::step(done, "implement")["headless_runs"].size(), 2u);
  EXPECT_EQ(done["loops"], 1);
  for (const auto& [step, agent] : agent_of) {
    const Json& tasks = Crew::step(done, step)["tasks"];
    ASSERT_FALSE(tasks.empty()) << step;
    for (const auto& tid : tasks) {
      Json t = c.d.get("/api/v1/tasks/" + tid.get<std::string>()).json();
      EXPECT_EQ(t["status"], "done") << t.dump(2);
      EXPECT_EQ(t["step"], step);
      EXPECT_EQ(t["pipeline_run"], id);
      EXPECT_EQ(t["parent_id"], run["task_id"]);
      EXPECT_EQ(t["assignee_name"], agent) << t.dump(2);
      EXPECT_EQ(t["base_branch"], run["branch"]);
      EXPECT_TRUE(contains(t["branch"].get<std::string>(), agent)) << t.dump(2);
      EXPECT_TRUE(contains(t["description"], "step " + step + " of pipeline run " + id));
    }
  }
  // The gates ran on the agents' work: QA's test failed before the implementation.
  const Json& red = Crew::step(done, "tests")["gates"];
  ASSERT_EQ(red.size(), 2u) << red.dump(2);
  EXPECT_EQ(red[1]["result"], "passed");
  EXPECT_TRUE(contains(red[1]["evidence"], "tests/feature_test.sh")) << red.dump(2);
  EXPECT_EQ(Crew::step(done, "review")["report"]["review"]["verdict"], "approve");
  // The headless implementation was given QA's handoff, which an agent handed in with its
  // report.
  EXPECT_EQ(Crew::step(done, "tests")["handoffs"][0]["next"],
            "make src/feature.sh print ok; leave the test alone");
  // On the base: the design (by ada), the test (by quinn), the reviewed feature.
  EXPECT_TRUE(contains(read(c.repo / "docs" / "design.md"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "tests" / "feature_test.sh"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "src" / "feature.sh"), "# reviewed"));
  // ada's and quinn's commits, made on their own branches, are the ones on the base.
  auto tip_of_step = [&](const std::string& step) {
    std::string tid = Crew::step(done, step)["tasks"][0];
    std::string branch = c.d.get("/api/v1/tasks/" + tid).json()["branch"];
    return git_out(c.repo, {"log", "-1", "--format=%H %s", branch});
  };
  std::string design_tip = tip_of_step("design");
  EXPECT_TRUE(contains(design_tip, "design: REQ-1, REQ-2")) << design_tip;
  EXPECT_EQ(git_out(c.repo, {"merge-base", "--is-ancestor", design_tip.substr(0, 40), "HEAD"}), "");
  std::string tests_tip = tip_of_step("tests");
  EXPECT_TRUE(contains(tests_tip, "tests for REQ-1")) << tests_tip;
  EXPECT_TRUE(contains(git_out(c.repo, {"log", "--format=%H"}), tests_tip.substr(0, 40)));
  // The outsider took nothing.
  auto theirs = c.d.get("/api/v1/tasks?assignee=outsider").json();
  EXPECT_TRUE(theirs["tasks"].empty()) << theirs.dump(2);
}

TEST(PipelineRuns, AStepTaskIsTakenOnlyByAnAgentOfItsRoleInItsProject) {
  Crew c;
  add_crew_pipeline(c);
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  Json run = c.start("crew", "Print ok");
  std::string id = run["id"];
  // No architect yet: the design waits on the board as a task for one.
  auto created = events.wait_for("task.created", "",
                                 [](const Json& data) { return data["task"]["step"] == "design"; });
  ASSERT_TRUE(created.has_value());
  std::string step_task = (*created)["data"]["task"]["id"];
  Json t = c.d.get("/api/v1/tasks/" + step_task).json();
  EXPECT_EQ(t["status"], "pending");
  EXPECT_EQ(t["role"], "architect");
  EXPECT_TRUE(t["ready"].get<bool>());
  // A backend agent in the project, and an architect outside it, may not claim it.
  crew_agent(c, events, "bo", "backend");
  auto claim = c.d.post("/api/v1/tasks/" + step_task + "/claim", Json{{"agent", "bo"}});
  EXPECT_EQ(claim.status, 409) << claim.body;
  EXPECT_TRUE(contains(claim.body, "step_elsewhere")) << claim.body;
  spawn_sim(c.d, events, "outsider", "architect");
  claim = c.d.post("/api/v1/tasks/" + step_task + "/claim", Json{{"agent", "outsider"}});
  EXPECT_EQ(claim.status, 409) << claim.body;
  EXPECT_EQ(c.d.get("/api/v1/tasks/" + step_task).json()["status"], "pending");
  // A run can't take a step's task as its own.
  auto other = c.d.post("/api/v1/pipelines/crew/runs", Json{{"task", step_task}});
  EXPECT_EQ(other.status, 409) << other.body;
  // An architect of the project arrives and takes it; the run goes on.
  crew_agent(c, events, "ada", "architect");
  ASSERT_TRUE(task_reaches(events, step_task, "done", 60s));
  // Cancelling the run closes the step task it has open.
  ASSERT_TRUE(events.wait_for("pipeline.step.started", id,
                              [](const Json& data) { return data["step"] == "tests"; }));
  Json shown = c.show(id);
  std::string qa_task = Crew::step(shown, "tests")["tasks"][0];
  auto cancelled = c.d.post("/api/v1/pipeline-runs/" + id + "/cancel", Json{{"reason", "enough"}});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(c.d.get("/api/v1/tasks/" + qa_task).json()["status"], "cancelled");
}

TEST(PipelineRuns, AnAgentStepGoesOnWithItsAgentAfterTheDaemonIsKilled) {
  // The architect takes 5 s over the design; the daemon is killed meanwhile and starts again
  // where the agent, which outlived it, can still reach it.
  Crew c(Acts{{"architect", "sim: slow 5000"}});
  add_crew_pipeline(c);
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  crew_agent(c, events, "ada", "architect");
  crew_agent(c, events, "quinn", "qa");
  crew_agent(c, events, "rhea", "reviewer");
  Json run = c.start("crew", "Print ok");
  std::string id = run["id"];
  ASSERT_TRUE(events.wait_for("task.updated", "", [](const Json& data) {
    // (A task.updated without a status change has no "to".)
    return data["task"].value("step", Json()) == "design" && data.value("to", "") == "in_progress";
  }));
  c.d.keep_address();
  c.d.kill9();
  c.d.start();
  EventWaiter after(c.d, 0);
  ASSERT_TRUE(after.wait_for("pipeline.step.reattached", id,
                             [](const Json& data) { return data["step"] == "design"; }));
  Json done = settle_replayed(c, after, id);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  // The design was one task, worked once, by the agent that had it before the kill.
  const Json& design = Crew::step(done, "design");
  ASSERT_EQ(design["tasks"].size(), 1u) << done.dump(2);
  EXPECT_EQ(design["attempts"], 1);
  Json t = c.d.get("/api/v1/tasks/" + design["tasks"][0].get<std::string>()).json();
  EXPECT_EQ(t["assignee_name"], "ada");
  EXPECT_EQ(t["status"], "done");
  EXPECT_EQ(git_out(c.repo, {"log", "--format=%s", "--", "docs/design.md"}),
            "design: REQ-1, REQ-2\n");
}

// Design and tests side by side, each by its agent; the implementation joins them.
constexpr const char* kFanOutPipeline = R"(name: fanout
steps:
  - id: design
    role: architect
    mode: agent
    prompt: Design {{task.title}}.
    gates: [report]
  - id: tests
    role: qa
    mode: agent
    prompt: Write tests for {{task.title}} that fail until it is built.
    gates: [report, tests_red]
  - id: implement
    role: backend
    mode: headless
    needs: [design, tests]
    prompt: |
      Make the tests pass without changing them.
      The design: {{steps.design.output}}
      The tests: {{steps.tests.output}}
    gates: [report, tests_green, tests_untouched]
)";

TEST(PipelineRuns, StepsThatNeedNothingOfEachOtherRunSideBySideAndAJoinWaitsForBoth) {
  Crew c(Acts{{"architect", "sim: slow 3000"}});
  write(c.repo / ".bosun" / "pipelines" / "fanout.yaml", kFanOutPipeline);
  git_in(c.repo, {"add", ".bosun"});
  git_in(c.repo, {"commit", "-q", "-m", "fanout pipeline"});
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  crew_agent(c, events, "ada", "architect");
  crew_agent(c, events, "quinn", "qa");
  Json run = c.start("fanout", "Print ok");
  std::string id = run["id"];
  // The tests step starts while the design is still at work.
  ASSERT_TRUE(events.wait_for("pipeline.step.started", id,
                              [](const Json& data) { return data["step"] == "tests"; }));
  Json both = c.show(id);
  EXPECT_EQ(Crew::step(both, "design")["state"], "running") << both.dump(2);
  EXPECT_EQ(Crew::step(both, "tests")["state"], "running");
  EXPECT_EQ(Crew::step(both, "implement")["state"], "pending");
  Json done = settle(c, events, id, 120s);
  ASSERT_EQ(done["state"], "merged") << done.dump(2);
  // Each step's files are its own, though the two landed on the run's branch one after the
  // other (the tests' branch started before the design landed: a real merge).
  EXPECT_EQ(Crew::step(done, "design")["changed"], Json::array({"docs/design.md"}));
  EXPECT_EQ(Crew::step(done, "tests")["changed"], Json::array({"tests/feature_test.sh"}));
  EXPECT_EQ(Crew::step(done, "tests")["gates"][1]["result"], "passed");
  // The join saw both outputs.
  std::string join = Crew::step(done, "implement")["headless_runs"][0];
  std::string prompt = c.d.get("/api/v1/runs/" + join).json()["argv"].back();
  EXPECT_TRUE(contains(prompt, "design with REQ-1 and REQ-2")) << prompt;
  EXPECT_TRUE(contains(prompt, "a failing test for REQ-1")) << prompt;
  EXPECT_TRUE(contains(read(c.repo / "docs" / "design.md"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "tests" / "feature_test.sh"), "REQ-1"));
  EXPECT_TRUE(contains(read(c.repo / "src" / "feature.sh"), "echo ok"));
}

TEST(PipelineRuns, AnAgentRestartedFreshMidStepFindsTheRunsHandoffOnItsTask) {
  // The architect prints the same error line again and again: the supervisor's ladder nudges,
  // interrupts, then restarts it with a fresh context.
  Crew c;
  add_crew_pipeline(c);
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  configure(c.d, Json{{"stuck_after", "400ms"}, {"recover_step", "500ms"}});
  Json ada = spawn_idle(c.d, events,
                        Json{{"name", "ada"},
                             {"role", "architect"},
                             {"profile", "sim"},
                             {"argv", sim_argv({"--misbehave", "loop"})},
                             {"project", c.project_id},
                             {"worktree", true}});
  Json run = c.start("crew", "Print ok");
  std::string id = run["id"];
  auto noted = events.wait_for(
      "pipeline.step.handoff", id, [](const Json& data) { return data["step"] == "design"; }, 60s);
  ASSERT_TRUE(noted.has_value()) << c.show(id).dump(2);
  const Json& handoff = (*noted)["data"]["handoff"];
  EXPECT_EQ(handoff["result"], "context reset");
  EXPECT_TRUE(contains(handoff["state"], "keeps printing the same line")) << handoff.dump(2);
  Json shown = c.show(id);
  const Json& ledger = Crew::step(shown, "design")["handoffs"];
  ASSERT_FALSE(ledger.empty());
  EXPECT_EQ(ledger.back()["result"], "context reset");
  // The fresh context finds the run's ledger on its task.
  std::string task = (*noted)["data"]["task"];
  Json comments = c.d.get("/api/v1/tasks/" + task + "/comments").json()["comments"];
  bool told = false;
  for (const auto& cm : comments) {
    std::string body = cm["body"];
    told = told || (contains(body, "Your context was reset") &&
                    contains(body, "Step design of pipeline run " + id) &&
                    contains(body, "### design (attempt 1): context reset"));
  }
  EXPECT_TRUE(told) << comments.dump(2);
  // The ladder would go on restarting ada: the run ends (its step task with it) and ada stops.
  configure(c.d, Json{{"stuck_after", "1h"}, {"recover_step", "1h"}});
  ASSERT_EQ(c.d.post("/api/v1/pipeline-runs/" + id + "/cancel", Json::object()).status, 200);
  ASSERT_EQ(
      c.d.post("/api/v1/agents/" + ada["id"].get<std::string>() + "/stop", Json::object()).status,
      202);
  EXPECT_TRUE(events.wait("agent.exited", ada["id"], 20s).has_value());
}

TEST(PipelineRuns, AHeadlessStepThatRewritesOneFileAgainAndAgainIsStoppedForAPerson) {
  Crew c(Acts{{"backend", "sim: loop-edit"}});
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  Json run = c.start("feature", "Print ok");
  std::string id = run["id"];
  Json waiting = settle(c, events, id, 60s);
  ASSERT_EQ(waiting["state"], "waiting") << waiting.dump(2);
  std::string reason = waiting["reason"];
  EXPECT_TRUE(contains(reason, "step implement went round in circles (attempt 1)")) << reason;
  EXPECT_TRUE(contains(reason, "it wrote src/feature.sh 13 times in this attempt (more than 12)"))
      << reason;
  const Json& step = Crew::step(waiting, "implement");
  EXPECT_EQ(step["state"], "failed");
  ASSERT_EQ(step["gates"].size(), 1u);
  EXPECT_EQ(step["gates"][0]["gate"], "loop");
  // Its CLI was stopped, not left to spin.
  std::string cli = step["headless_runs"][0];
  Json record;
  for (int i = 0; i < 100; ++i) {
    record = c.d.get("/api/v1/runs/" + cli).json();
    if (record["state"] != "running") break;
    ASSERT_TRUE(events.wait_any({"headless.finished"}, cli, 10s).has_value()) << record.dump(2);
  }
  EXPECT_NE(record["state"], "running") << record.dump(2);
  // A person changes the role's instructions and retries the step: the next attempt does the
  // work and the run merges.
  write(c.repo / ".bosun" / "roles" / "backend.md",
        "---\nname: backend\nprofile: sim\n---\nYou are the backend.\n");
  auto retried = c.d.post("/api/v1/pipeline-runs/" + id + "/retry", Json{{"step", "implement"}});
  ASSERT_EQ(retried.status, 200) << retried.body;
  Json done = settle(c, events, id, 90s);
  EXPECT_EQ(done["state"], "merged") << done.dump(2);
  EXPECT_TRUE(contains(read(c.repo / "src" / "feature.sh"), "echo ok"));
}

TEST(PipelineRuns, AnAgentWhoseTestRunFailsAgainAndAgainIsStoppedForAPerson) {
  Crew c(Acts{{"architect", "sim: fail-loop"}});
  add_crew_pipeline(c);
  auto limits = c.d.get("/api/v1/pipelines/crew").json()["limits"];
  EXPECT_EQ(limits["max_failures"], 3) << limits.dump(2);
  EventWaiter events(c.d);
  ASSERT_TRUE(events.ok());
  crew_agent(c, events, "ada", "architect");
  Json run = c.start("crew", "Print ok");
  std::string id = run["id"];
  Json waiting = settle(c, events, id, 60s);
  ASSERT_EQ(waiting["state"], "waiting") << waiting.dump(2);
  std::string reason = waiting["reason"];
  EXPECT_TRUE(contains(reason, "step design went round in circles")) << reason;
  EXPECT_TRUE(contains(reason, "it ran `sh tests/feature_test.sh` 3 times in a row")) << reason;
  // The agent's step task was taken from it.
  std::string task = Crew::step(waiting, "design")["tasks"][0];
  Json t = c.d.get("/api/v1/tasks/" + task).json();
  EXPECT_EQ(t["status"], "cancelled") << t.dump(2);
}

TEST(PipelineRuns, CancellingARunStopsTheCliOfItsRunningStep) {
  // The design would work for a minute; the cancel ends its CLI at once.
  Crew c(Acts{{"architect", "sim: slow 60000"}});
  EventWaiter events(c.d);
  Json run = c.start("feature", "Print ok");
  std::string id = run["id"];
  auto started = events.wait_for("pipeline.step.started", id,
                                 [](const Json& data) { return data["step"] == "design"; });
  ASSERT_TRUE(started.has_value());
  std::string cli = (*started)["data"]["headless_run"];
  // Its CLI streams (a line every 200 ms): it is at work.
  ASSERT_TRUE(events.wait("headless.event", cli));
  auto t0 = std::chrono::steady_clock::now();
  auto cancelled = c.d.post("/api/v1/pipeline-runs/" + id + "/cancel", Json{{"reason", "wrong"}});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  auto ended = events.wait("headless.finished", cli, 10s);
  ASSERT_TRUE(ended.has_value()) << "the step's CLI still runs";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ((*ended)["data"]["run"]["reason"], "cancelled") << ended->dump(2);
  EXPECT_EQ(c.show(id)["state"], "cancelled");
  // A run over is not cancelled again; nor is a CLI run that has ended or never was.
  EXPECT_EQ(c.d.post("/api/v1/runs/" + cli + "/cancel", Json::object()).status, 409);
  EXPECT_EQ(c.d.post("/api/v1/runs/hr_nosuch/cancel", Json::object()).status, 404);
}

TEST(PipelineRuns, BadRequestsChangeNothing) {
  Crew c;
  EXPECT_EQ(c.d.post("/api/v1/pipelines/nosuch/runs", Json{{"brief", "x"}}).status, 404);
  EXPECT_EQ(c.d.post("/api/v1/pipelines/feature/runs", Json::object()).status, 400);
  EXPECT_EQ(c.d.post("/api/v1/pipelines/feature/runs", Json{{"brief", 3}}).status, 400);
  EXPECT_EQ(
      c.d.post("/api/v1/pipelines/feature/runs", Json{{"brief", "x"}, {"shell", "rm"}}).status,
      400);
  EXPECT_EQ(c.d.post("/api/v1/pipelines/feature/runs", Json{{"task", "t_nosuch"}}).status, 404);
  EXPECT_EQ(c.d.get("/api/v1/pipeline-runs/run_nosuch").status, 404);
  EXPECT_EQ(c.d.post("/api/v1/pipeline-runs/run_nosuch/retry", Json::object()).status, 404);
  // A pipeline naming a role the project lacks is refused before anything runs.
  write(c.repo / ".bosun" / "pipelines" / "odd.yaml",
        "name: odd\nsteps:\n  - {id: a, role: painter, mode: headless, prompt: x}\n");
  auto odd = c.d.post("/api/v1/pipelines/odd/runs", Json{{"brief", "x"}});
  EXPECT_EQ(odd.status, 422) << odd.body;
  EXPECT_TRUE(contains(odd.body, "painter"));
  EXPECT_EQ(c.d.get("/api/v1/pipeline-runs").json()["runs"].size(), 0u);
  EXPECT_EQ(c.d.get("/api/v1/tasks").json()["tasks"].size(), 0u);
}

}  // namespace
}  // namespace bosun::e2e
