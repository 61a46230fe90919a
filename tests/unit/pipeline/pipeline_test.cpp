// Pipeline files: the built-ins read as written; every mistake is refused naming file:line:col
// before anything could run; a project's own files come first, broken ones listed with why.
#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <fstream>

#include "util/ids.h"

namespace bosun {
namespace {

namespace fs = std::filesystem;

// The repository's root, from this file's place in it.
fs::path source_root() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

TEST(Pipelines, TheBuiltinsLoad) {
  std::vector<std::string> names;
  for (const auto& b : builtin_pipelines()) {
    auto p = load_pipeline(std::string(b.name), {});
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->name, b.name);
    names.emplace_back(b.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"bugfix", "feature", "tdd"}));
}

// builtin_pipelines.cpp is generated from the YAML files; this catches a forgotten regeneration.
TEST(Pipelines, BuiltinCopiesMatchTheirFiles) {
  for (const auto& b : builtin_pipelines()) {
    std::ifstream in(source_root() / b.path, std::ios::binary);
    ASSERT_TRUE(in) << b.path;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, b.text) << b.path
                            << " changed: run `cmake -P src/pipeline/pipelines/embed.cmake`";
  }
}

TEST(Pipelines, TheFeaturePipelineReadsAsWritten) {
  auto p = load_pipeline("feature", {});
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->steps.size(), 4u);
  EXPECT_EQ(p->limits.max_loops, 3);
  const Step* design = p->step("design");
  ASSERT_TRUE(design);
  EXPECT_EQ(design->mode, StepMode::kHeadless);
  EXPECT_EQ(design->role, "architect");
  const Step* tests = p->step("tests");
  ASSERT_TRUE(tests);
  EXPECT_EQ(tests->mode, StepMode::kHeadless);
  EXPECT_EQ(tests->needs, std::vector<std::string>{"design"});
  ASSERT_EQ(tests->gates.size(), 3u);
  EXPECT_EQ(tests->gates[1].kind, GateKind::kTestsRed);
  const Step* review = p->step("review");
  ASSERT_TRUE(review);
  ASSERT_EQ(review->gates.size(), 1u);
  EXPECT_EQ(review->gates[0].kind, GateKind::kReview);
  EXPECT_EQ(review->gates[0].on_fail.action, OnFail::Action::kBackTo);
  EXPECT_EQ(review->gates[0].on_fail.step, "implement");
  Json j = to_json(*p);
  EXPECT_EQ(j["steps"][3]["gates"][0]["on_fail"]["back_to"], "implement");
  EXPECT_EQ(j["steps"][2]["max_attempts"], 3);
}

// Steps come out in an order where each follows what it needs, file order otherwise.
TEST(Pipelines, StepsAreOrderedByWhatTheyNeed) {
  auto p = parse_pipeline(
      "name: fan\nsteps:\n"
      "  - {id: join, role: r, needs: [left, right]}\n"
      "  - {id: right, role: r, needs: [start]}\n"
      "  - {id: left, role: r, needs: [start]}\n"
      "  - {id: start, role: r}\n",
      "fan.yaml");
  ASSERT_TRUE(p) << p.error().message;
  std::vector<std::string> order;
  for (const auto& s : p->steps)
    order.push_back(s.id);
  EXPECT_EQ(order, (std::vector<std::string>{"start", "left", "right", "join"}));
}

TEST(Pipelines, MistakesNameTheirPlace) {
  struct Case {
    std::string text;
    std::string says;
  };
  const std::string head = "name: p\nsteps:\n";
  const std::vector<Case> cases = {
      {"name: p\nsteps: [\n", "p.yaml:3:1: not valid YAML"},
      {"- a\n- b\n", "p.yaml:1:1: a pipeline file must be a mapping"},
      {"name: p\nstages: []\n", "p.yaml:2:1: unknown key 'stages' in a pipeline"},
      {"name: P!\nsteps: [{id: a, role: r}]\n", "p.yaml:1:7: pipeline name 'P!' must be"},
      {"name: p\n", "p.yaml:1:1: a pipeline needs steps"},
      {"name: p\nsteps: []\n", "p.yaml:2:8: a pipeline needs steps"},
      {head + "  - {id: a}\n", "p.yaml:3:5: step a needs a role"},
      {head + "  - {role: r}\n", "p.yaml:3:5: a step needs an id"},
      {head + "  - {id: a, role: r, color: red}\n", "p.yaml:3:22: unknown key 'color' in a step"},
      {head + "  - {id: a, role: r}\n  - {id: a, role: r}\n",
       "p.yaml:4:10: step id 'a' is used twice (first at p.yaml:3:5)"},
      {head + "  - {id: a, role: r, needs: [b]}\n",
       "p.yaml:3:29: step a needs 'b', which is not a step of this pipeline"},
      {head + "  - {id: a, role: r, needs: a}\n", "p.yaml:3:29: step a needs itself"},
      {head + "  - {id: a, role: r, needs: [c]}\n  - {id: b, role: r, needs: [a]}\n"
              "  - {id: c, role: r, needs: [b]}\n",
       "p.yaml:3:29: needs make a cycle: a → c → b → a"},
      {head + "  - {id: a, role: r, gates: [tests_blue]}\n",
       "p.yaml:3:30: unknown gate 'tests_blue' (known: report, tests_red"},
      {head + "  - {id: a, role: r, gates: [{report: {who: [ana]}}]}\n",
       "p.yaml:3:45: only a human gate has who"},
      {head + "  - {id: a, role: r, gates: [{review: {on_fail: later}}]}\n",
       "p.yaml:3:49: on_fail must be retry, ask, or {back_to: STEP}"},
      {head + "  - {id: a, role: r}\n  - {id: b, role: r, gates: [{review: {on_fail: {back_to: "
              "c}}}]}\n  - {id: c, role: r}\n",
       "p.yaml:4:30: step b: back_to 'c' is not a step it needs"},
      {head + "  - {id: a, role: r, mode: batch}\n",
       "p.yaml:3:28: mode must be headless or agent, not 'batch'"},
      {head + "  - {id: a, role: r, max_attempts: 0}\n",
       "p.yaml:3:36: max_attempts must be a whole number from 1 to 20"},
      {head + "  - {id: a, role: r, timeout: soon}\n", "p.yaml:3:31: timeout:"},
      {"name: p\nlimits: {budget_usd: -1}\nsteps: [{id: a, role: r}]\n",
       "p.yaml:2:22: budget_usd must be a number from 0.01"},
      {head + "  - {id: a, role: r, prompt: 'Do {{task.colour}}'}\n",
       "p.yaml:3:30: step a: unknown placeholder {{task.colour}}"},
      {head + "  - {id: a, role: r}\n  - {id: b, role: r, prompt: 'Use {{steps.a.output}}'}\n",
       "p.yaml:4:30: step b: {{steps.a.output}} names 'a', which is not a step it needs"},
      {head + "  - {id: a, role: r, prompt: 'Do {{task.title'}\n",
       "p.yaml:3:30: step a: a {{ with no }} in its prompt"},
  };
  for (const auto& c : cases) {
    auto p = parse_pipeline(c.text, "p.yaml");
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code, "invalid_pipeline") << c.text;
    EXPECT_EQ(p.error().message.rfind(c.says, 0), 0u) << c.text << "\n-> " << p.error().message;
  }
}

TEST(Pipelines, AStepWhoseRoleTheProjectLacksIsNamed) {
  auto p = load_pipeline("bugfix", {});
  ASSERT_TRUE(p);
  std::vector<std::string> roles = {"backend", "reviewer"};
  auto st = check_roles(*p, roles);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, "unknown_role");
  EXPECT_NE(st.error().message.find(": step reproduce has role 'debugger', which the project has "
                                    "no role file for (roles: backend, reviewer)"),
            std::string::npos)
      << st.error().message;
  roles.push_back("debugger");
  EXPECT_TRUE(check_roles(*p, roles));
}

TEST(Pipelines, AProjectsOwnFilesComeFirstAndBrokenOnesAreListed) {
  fs::path project = fs::temp_directory_path() / new_id("bosun-pipelines-");
  fs::create_directories(project / ".bosun" / "pipelines");
  std::ofstream(project / ".bosun" / "pipelines" / "feature.yaml")
      << "name: feature\ndescription: ours\nsteps: [{id: build, role: backend}]\n";
  std::ofstream(project / ".bosun" / "pipelines" / "broken.yaml") << "name: broken\nsteps: 3\n";
  std::ofstream(project / ".bosun" / "pipelines" / "other.yaml")
      << "name: another\nsteps: [{id: a, role: r}]\n";
  auto ours = load_pipeline("feature", project);
  ASSERT_TRUE(ours) << ours.error().message;
  EXPECT_EQ(ours->description, "ours");
  auto entries = list_pipelines(project);
  ASSERT_EQ(entries.size(), 5u);  // broken, bugfix, feature, other, tdd
  EXPECT_EQ(entries[0].name, "broken");
  ASSERT_TRUE(entries[0].error);
  EXPECT_NE(entries[0].error->message.find("broken.yaml:2:8: a pipeline needs steps"),
            std::string::npos)
      << entries[0].error->message;
  EXPECT_EQ(entries[2].name, "feature");
  EXPECT_TRUE(entries[2].overrides);
  EXPECT_FALSE(entries[2].builtin);
  EXPECT_EQ(entries[3].name, "other");
  ASSERT_TRUE(entries[3].error);
  EXPECT_NE(entries[3].error->message.find("the file names pipeline 'another', not 'other'"),
            std::string::npos);
  EXPECT_TRUE(entries[4].builtin);
  auto missing = load_pipeline("nosuch", project);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "pipeline_not_found");
  auto bad = load_pipeline("../x", project);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "invalid_pipeline_name");
  fs::remove_all(project);
}

}  // namespace
}  // namespace bosun
