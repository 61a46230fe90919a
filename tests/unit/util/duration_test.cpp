// Durations as written in team files.
#include "util/duration.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("0"), Millis(0));
  EXPECT_EQ(*parse_duration("250ms"), Millis(250));
  EXPECT_EQ(*parse_duration("30s"), Millis(30'000));
  EXPECT_EQ(*parse_duration("10m"), Millis(600'000));
  EXPECT_EQ(*parse_duration("3h"), Millis(10'800'000));
  EXPECT_EQ(*parse_duration("1d"), Millis(86'400'000));
}

TEST(Duration, RefusesWhatIsNotADuration) {
  for (const char* bad : {"", "10", "m", "-1s", "1.5h", "10 m", "10mm", "99999999999999999d"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_NE(d.error().message.find(bad), std::string::npos);
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(Millis(0)), "0");
  EXPECT_EQ(format_duration(Millis(600'000)), "10m");
  EXPECT_EQ(format_duration(Millis(1500)), "1500ms");
  EXPECT_EQ(format_duration(Millis(7'200'000)), "2h");
  EXPECT_EQ(*parse_duration(format_duration(Millis(90'000))), Millis(90'000));
}

}  // namespace
}  // namespace bosun
