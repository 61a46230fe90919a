// The report contract: a review verdict is approve or request_changes, and a request for
// changes says which.
#include "crew/report.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

Json done_with(Json review) {
  return Json{
      {"status", "done"},
      {"summary", "s"},
      {"proof", {{"what_was_done", "a"}, {"how_verified", "b"}, {"verification_result", "c"}}},
      {"review", std::move(review)}};
}

TEST(ValidateReport, AReviewIsAVerdictWithCommentsWhenItAsksForChanges) {
  EXPECT_TRUE(validate_report(done_with(Json{{"verdict", "approve"}})));
  EXPECT_TRUE(validate_report(done_with(Json{{"verdict", "request_changes"}, {"comments", "x"}})));
  auto no_comments = validate_report(done_with(Json{{"verdict", "request_changes"}}));
  ASSERT_FALSE(no_comments);
  EXPECT_EQ(no_comments.error().code, "comments_required");
  for (const Json& bad : {Json("approve"), Json{{"verdict", "maybe"}}, Json{{"verdict", 1}},
                          Json{{"verdict", "approve"}, {"comments", 3}}}) {
    auto st = validate_report(done_with(bad));
    ASSERT_FALSE(st) << bad.dump();
    EXPECT_EQ(st.error().code, "invalid_field") << bad.dump();
  }
  EXPECT_TRUE(validate_report(done_with(Json())));  // null: no review
}

}  // namespace
}  // namespace bosun
