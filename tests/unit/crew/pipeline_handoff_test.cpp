// The handoff ledger: what a step hands on, from its report or from its proof, beside what bosun
// saw; the ledger as prompt text, newest kept.
#include "crew/pipeline_handoff.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

StepRun step_with(const std::string& id, int attempt, Json report) {
  StepRun s;
  s.id = id;
  s.attempts = attempt;
  s.report = std::move(report);
  s.commits = {"0123456789abcdef0123", "fedcba9876543210fedc"};
  s.changed = {"tests/a_test.sh"};
  s.gates = {GateResult{"report", "passed", "", 1}, GateResult{"tests_red", "passed", "", 2}};
  return s;
}

TEST(Handoff, TheReportsHandoffWinsAndBosunAddsWhatItSaw) {
  Json report{{"status", "done"},
              {"summary", "tests"},
              {"proof", {{"what_was_done", "wrote a test"}, {"verification_result", "it fails"}}},
              {"handoff", {{"next", "make it pass"}, {"questions", "stderr or stdout?"}}}};
  Json h = make_handoff(step_with("tests", 1, report), 42);
  EXPECT_EQ(h["step"], "tests");
  EXPECT_EQ(h["attempt"], 1);
  EXPECT_EQ(h["at"], 42);
  EXPECT_EQ(h["result"], "passed");
  EXPECT_EQ(h["done"], "wrote a test");  // no handoff.done: the proof says
  EXPECT_EQ(h["state"], "it fails");
  EXPECT_EQ(h["next"], "make it pass");
  EXPECT_EQ(h["questions"], "stderr or stdout?");
  EXPECT_EQ(h["gates"], Json::array({"report passed", "tests_red passed"}));
  EXPECT_EQ(h["commits"], Json::array({"0123456789ab", "fedcba987654"}));
  EXPECT_EQ(h["files"], Json::array({"tests/a_test.sh"}));
}

TEST(Handoff, WithoutAReportTheOutputAndTheGatesSay) {
  StepRun s = step_with("implement", 2, Json());
  s.output = "the CLI's last words";
  s.gates.push_back(GateResult{"tests_green", "failed", "exit 1", 3});
  Json h = make_handoff(s, 7);
  EXPECT_EQ(h["result"], "failed");
  EXPECT_EQ(h["done"], "the CLI's last words");
  EXPECT_EQ(h["next"], "");
}

TEST(Handoff, OneEntryPerAttemptAndTheLastTenKept) {
  StepRun s = step_with("review", 1, Json());
  keep_handoff(s, Json{{"attempt", 1}, {"result", "waiting"}});
  keep_handoff(s, Json{{"attempt", 1}, {"result", "failed"}});  // a person rejected it
  ASSERT_EQ(s.handoffs.size(), 1u);
  EXPECT_EQ(s.handoffs[0]["result"], "failed");
  // Sent back, its attempts count again from 1: a new entry, the old one kept.
  keep_handoff(s, Json{{"attempt", 1}, {"result", "passed"}});
  ASSERT_EQ(s.handoffs.size(), 2u);
  for (int a = 2; a <= 14; ++a) {
    s.attempts = a;
    keep_handoff(s, Json{{"attempt", a}});
  }
  ASSERT_EQ(s.handoffs.size(), kMaxHandoffs);
  EXPECT_EQ(s.handoffs.front()["attempt"], 5);  // the two attempt-1 entries went first
  EXPECT_EQ(s.handoffs.back()["attempt"], 14);
}

TEST(Handoff, TheLedgerIsInOrderOfWritingAndKeepsTheNewestWhenLong) {
  PipelineRun run;
  StepRun a = step_with("design", 1, Json{{"summary", "design done"}});
  StepRun b = step_with("tests", 1, Json{{"summary", "tests done"}});
  keep_handoff(b, make_handoff(b, 20));
  keep_handoff(a, make_handoff(a, 10));
  run.steps = {b, a};  // the file's order differs from the order of writing
  std::string text = handoff_text(run, 1 << 16);
  size_t design = text.find("### design (attempt 1): passed");
  size_t tests = text.find("### tests (attempt 1): passed");
  ASSERT_NE(design, std::string::npos) << text;
  ASSERT_NE(tests, std::string::npos) << text;
  EXPECT_LT(design, tests);
  EXPECT_NE(text.find("- done: design done"), std::string::npos) << text;
  EXPECT_NE(text.find("- gates (checked by bosun): report passed, tests_red passed"),
            std::string::npos);
  // Too long for both: the newest stays.
  std::string short_text = handoff_text(run, tests - design + 10);
  EXPECT_EQ(short_text.find("### design"), std::string::npos) << short_text;
  EXPECT_NE(short_text.find("### tests"), std::string::npos) << short_text;
  EXPECT_EQ(handoff_text(PipelineRun{}, 1000), "");
}

}  // namespace
}  // namespace bosun
