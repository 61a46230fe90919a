// Pipeline files through the daemon and the CLI: the built-ins and the project's own are listed
// with the roles the project lacks, a broken file with its place; `bosun pipeline check` refuses a
// bad file before anything runs, naming file:line:col.
#include <gtest/gtest.h>

#include <fstream>

#include "support/harness.h"
#include "support/tasks.h"

namespace bosun::e2e {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

TEST(Pipelines, BuiltInAndProjectPipelinesAreListedWithWhatTheyLack) {
  TestDaemon d;
  fs::path project = d.state_dir().parent_path();
  write(project / ".bosun" / "roles" / "backend.md", "---\nname: backend\n---\nYou build.\n");
  write(project / ".bosun" / "roles" / "qa.md", "---\nname: qa\n---\nYou test.\n");
  write(project / ".bosun" / "pipelines" / "quick.yaml",
        "name: quick\ndescription: tests, then the code\nsteps:\n"
        "  - {id: tests, role: qa, gates: [tests_red]}\n"
        "  - {id: code, role: backend, needs: [tests], gates: [tests_green, tests_untouched]}\n");
  write(
      project / ".bosun" / "pipelines" / "loop.yaml",
      "name: loop\nsteps:\n  - {id: a, role: qa, needs: [b]}\n  - {id: b, role: qa, needs: [a]}\n");
  d.start();

  auto listed = d.get("/api/v1/pipelines");
  ASSERT_EQ(listed.status, 200) << listed.body;
  Json all = listed.json()["pipelines"];
  std::map<std::string, Json> by_name;
  for (const auto& p : all)
    by_name[p["name"]] = p;
  ASSERT_EQ(by_name.size(), 5u) << all;
  EXPECT_TRUE(by_name["feature"]["builtin"].get<bool>());
  EXPECT_EQ(by_name["feature"]["missing_roles"], Json::array({"architect", "reviewer"}));
  EXPECT_EQ(by_name["quick"]["missing_roles"], Json::array());
  EXPECT_EQ(by_name["quick"]["steps"], 2);
  EXPECT_TRUE(contains(by_name["loop"]["error"].get<std::string>(),
                       "loop.yaml:3:30: needs make a cycle: a → b → a"))
      << by_name["loop"];

  auto feature = d.get("/api/v1/pipelines/feature");
  ASSERT_EQ(feature.status, 200) << feature.body;
  EXPECT_EQ(feature.json()["steps"][1]["gates"][1]["gate"], "tests_red");
  EXPECT_EQ(d.get("/api/v1/pipelines/nosuch").status, 404);
  EXPECT_EQ(d.get("/api/v1/pipelines/loop").status, 400);
  EXPECT_EQ(d.get("/api/v1/pipelines/Bad%20Name").status, 400);
  EXPECT_EQ(d.get("/api/v1/pipelines?project=nosuch").status, 404);
  // An agent may read them too: its steps are what it will be asked to do.
  auto kai = spawn_with_token(d, "kai");
  EXPECT_EQ(as_agent(d, kai, "GET", "/api/v1/pipelines/quick").status, 200);

  auto list = d.cli({"pipeline", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(contains(list.out, "loop         BROKEN")) << list.out;
  EXPECT_TRUE(contains(list.out, "(no role file for: architect, reviewer)")) << list.out;
  auto show = d.cli({"pipeline", "show", "quick"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(contains(show.out,
                       "code       backend    agent    after tests  gates: tests_green, "
                       "tests_untouched"))
      << show.out;
}

TEST(Pipelines, CheckRefusesABadFileBeforeAnythingRuns) {
  TempDir dir;
  fs::path project = dir.path() / "app";
  write(project / ".bosun" / "roles" / "backend.md", "---\nname: backend\n---\nYou build.\n");
  fs::path good = project / ".bosun" / "pipelines" / "build.yaml";
  write(good, "name: build\nsteps:\n  - id: build\n    role: backend\n    gates: [report]\n");
  auto ok = run_bosun({"pipeline", "check", good.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(contains(ok.out, "pipeline build, 1 step: build")) << ok.out;

  fs::path typo = project / ".bosun" / "pipelines" / "typo.yaml";
  write(typo, "name: typo\nsteps:\n  - id: build\n    role: backend\n    gate: [report]\n");
  auto unknown_key = run_bosun({"pipeline", "check", typo.string()});
  EXPECT_EQ(unknown_key.exit_code, 2);
  EXPECT_TRUE(contains(unknown_key.err, typo.string() + ":5:5: unknown key 'gate' in a step"))
      << unknown_key.err;

  fs::path role = project / ".bosun" / "pipelines" / "role.yaml";
  write(role, "name: role\nsteps:\n  - id: review\n    role: reviewer\n");
  auto unknown_role = run_bosun({"pipeline", "check", role.string()});
  EXPECT_EQ(unknown_role.exit_code, 4);
  EXPECT_TRUE(contains(unknown_role.err,
                       role.string() + ":4:11: step review has role 'reviewer', "
                                       "which the project has no role file for (roles: backend)"))
      << unknown_role.err;

  auto missing = run_bosun({"pipeline", "check", (project / "nope.yaml").string()});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "cannot read")) << missing.err;
}

}  // namespace
}  // namespace bosun::e2e
