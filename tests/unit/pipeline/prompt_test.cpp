// A step's prompt filled in, and the report found at the end of a headless step's answer.
#include "pipeline/prompt.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(RenderPrompt, FillsEachPlaceholderOnceAndNeverExpandsWhatItPutIn) {
  std::map<std::string, std::string> v{
      {"task.title", "Add {{task.id}}"}, {"task.id", "t_1"}, {"steps.design.output", "REQ-1"}};
  EXPECT_EQ(render_prompt("Do {{ task.title }} ({{task.id}}): {{steps.design.output}}.", v),
            "Do Add {{task.id}} (t_1): REQ-1.");
  EXPECT_EQ(render_prompt("{{gate.evidence}}|", v), "|");  // none given: empty
  EXPECT_EQ(render_prompt("an {{ open brace", v), "an {{ open brace");
}

TEST(ExtractReport, TakesTheLastJsonBlockElseTheLastObject) {
  auto fenced = extract_report(
      "first ```json\n{\"status\": \"partial\"}\n``` then\n```json\n{\"status\": \"done\"}\n```");
  ASSERT_TRUE(fenced);
  EXPECT_EQ((*fenced)["status"], "done");
  auto bare =
      extract_report("I did {x} it. {\"status\": \"blocked\", \"note\": \"a } in it\"} bye");
  ASSERT_TRUE(bare);
  EXPECT_EQ((*bare)["status"], "blocked");
  EXPECT_FALSE(extract_report("no report here {not json}"));
  EXPECT_FALSE(extract_report(""));
  EXPECT_FALSE(extract_report("```json\n[1, 2]\n```"));
}

TEST(ReportOutput, CarriesSummaryWorkNotesAndAReviewVerdict) {
  Json r{{"status", "done"},
         {"summary", "the design"},
         {"proof", {{"what_was_done", "wrote docs/design.md"}}},
         {"review", {{"verdict", "request_changes"}, {"comments", "name REQ-2"}}}};
  std::string out = report_output(r);
  EXPECT_NE(out.find("the design"), std::string::npos);
  EXPECT_NE(out.find("wrote docs/design.md"), std::string::npos);
  EXPECT_NE(out.find("Verdict: request_changes"), std::string::npos);
  EXPECT_NE(out.find("name REQ-2"), std::string::npos);
  EXPECT_EQ(report_output(Json()), "");
}

}  // namespace
}  // namespace bosun
