// The trace matrix on a real repository made with the git CLI: requirement ids as they are
// written, and a run's spec, tests and implementation traced to commits and gates.
#include "crew/pipeline_trace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "git/git.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;

TEST(RequirementIds, OnlyWholeIdsOnceEachInOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(requirement_ids("REQ-2 then (REQ-10), REQ-2 again; REQ-1."),
            (V{"REQ-2", "REQ-10", "REQ-1"}));
  EXPECT_EQ(requirement_ids("XREQ-3 REQ-4a REQ- REQ-x _REQ-5 REQ-6-1 req-7"), V{});
  EXPECT_EQ(requirement_ids("REQ-8"), V{"REQ-8"});
  EXPECT_EQ(requirement_ids("# REQ-9: it prints ok\n"), V{"REQ-9"});
  EXPECT_EQ(requirement_ids("REQ-" + std::string(40, '1')), V{});  // not an id, a number
  EXPECT_EQ(requirement_ids(""), V{});
}

class Trace : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("bosun-trace-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    git({"init", "-q", "-b", "main"});
    git({"config", "user.name", "t"});
    git({"config", "user.email", "t@bosun.invalid"});
    put("README.md", "app\n");
    base_ = commit("init");
  }
  void TearDown() override { fs::remove_all(root_); }

  void git(std::vector<std::string> args) {
    auto r = git::run(root_.string(), std::move(args));
    ASSERT_TRUE(r) << r.error().message;
  }
  void put(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  std::string commit(const std::string& message) {
    git({"add", "-A"});
    git({"commit", "-q", "-m", message});
    return git::first_line(*git::run(root_.string(), {"rev-parse", "HEAD"}));
  }

  fs::path root_;
  std::string base_;
};

TEST_F(Trace, SpecTestsAndImplementationAreTracedToCommitsAndGates) {
  put("docs/spec.md", "- REQ-1: prints ok\n- REQ-2: has a usage line\n");
  std::string spec = commit("spec");
  put("tests/ok_test.sh", "# REQ-1\n# REQ-9\n");
  std::string tests = commit("tests");
  put("src/ok.sh", "echo ok\n");
  std::string impl = commit("make it print ok");

  PipelineRun run;
  run.id = "run_x";
  run.base_commit = base_;
  StepRun s1;
  s1.id = "spec";
  s1.state = "passed";
  s1.commits = {spec};
  s1.changed = {"docs/spec.md"};
  StepRun s2;
  s2.id = "tests";
  s2.state = "passed";
  s2.commits = {tests};
  s2.changed = s2.test_files = {"tests/ok_test.sh"};
  s2.gates = {GateResult{"tests_red", "passed", "fails as it should", 1}};
  StepRun s3;
  s3.id = "impl";
  s3.state = "passed";
  s3.commits = {impl};
  s3.changed = {"src/ok.sh"};
  s3.gates = {GateResult{"tests_green", "failed", "exit 1", 2},
              GateResult{"tests_green", "passed", "exit 0", 3}};
  run.steps = {s1, s2, s3};

  TraceInput in;
  in.repo = root_.string();
  in.head = impl;
  in.brief = "Print ok (REQ-3)";
  in.test_globs = {"tests/"};
  in.run = &run;
  auto t = trace_requirements(in);
  ASSERT_TRUE(t) << t.error().message;
  const Json& reqs = (*t)["requirements"];
  ASSERT_EQ(reqs.size(), 3u) << t->dump(2);

  const Json& r1 = reqs[0];
  EXPECT_EQ(r1["id"], "REQ-1");
  EXPECT_EQ(r1["status"], "verified");  // the last tests_green passed
  EXPECT_EQ(r1["files"], Json::array({"docs/spec.md"}));
  EXPECT_EQ(r1["tests"], Json::array({"tests/ok_test.sh"}));
  ASSERT_EQ(r1["commits"].size(), 3u) << r1.dump(2);  // newest first
  EXPECT_EQ(r1["commits"][0]["commit"], impl);
  EXPECT_EQ(r1["commits"][0]["why"], "made its tests pass");
  EXPECT_EQ(r1["commits"][0]["step"], "impl");
  EXPECT_EQ(r1["commits"][1]["step"], "tests");
  EXPECT_EQ(r1["commits"][1]["why"], "mentions");
  EXPECT_EQ(r1["commits"][2]["step"], "spec");
  EXPECT_EQ(r1["gates"].size(), 3u);

  const Json& r2 = reqs[1];
  EXPECT_EQ(r2["id"], "REQ-2");
  EXPECT_EQ(r2["status"], "untested");
  EXPECT_EQ(r2["commits"].size(), 1u);  // only the spec names it; no test ran it
  EXPECT_TRUE(r2["gates"].empty());

  const Json& r3 = reqs[2];
  EXPECT_EQ(r3["id"], "REQ-3");
  EXPECT_TRUE(r3["in_brief"].get<bool>());
  EXPECT_EQ(r3["status"], "untested");
  EXPECT_TRUE(r3["files"].empty());

  // A test naming an id no spec or brief has.
  ASSERT_EQ((*t)["unknown"].size(), 1u);
  EXPECT_EQ((*t)["unknown"][0]["id"], "REQ-9");

  // The last tests_green failing makes its requirements failing.
  run.steps[2].gates.push_back(GateResult{"tests_green", "failed", "exit 1", 4});
  auto again = trace_requirements(in);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["requirements"][0]["status"], "failing");
}

TEST_F(Trace, AnUnknownHeadIsAnError) {
  PipelineRun run;
  run.base_commit = base_;
  TraceInput in;
  in.repo = root_.string();
  in.head = std::string(40, 'f');
  in.run = &run;
  EXPECT_FALSE(trace_requirements(in));
}

}  // namespace
}  // namespace bosun
