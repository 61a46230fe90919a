// NotifyConfig: the documented settings read and write back; quiet hours, in local time, hold
// and end where they say.
#include "notify/notify_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace bosun {
namespace {

TEST(NotifyConfig, TheDocumentedSettingsReadAndWriteBack) {
  auto c = notify_config_from_json(Json::parse(R"({
    "channels": [
      {"name": "phone", "type": "ntfy", "url": "https://ntfy.sh/my-crew", "on": ["waiting_input", "stuck"]},
      {"name": "team", "type": "slack", "url": "https://hooks.slack.com/services/T/B/X",
       "projects": ["web"], "roles": ["backend"], "quiet_hours": "off"},
      {"name": "script", "type": "command", "run": ["/usr/local/bin/page-me", "--urgent"]},
      {"name": "desk", "type": "desktop"}
    ],
    "quiet_hours": "22:00-07:30", "debounce": "1m", "batch": 500, "digest_after": 3
  })"));
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->channels.size(), 4u);
  EXPECT_EQ(c->channels[0].type, ChannelType::kNtfy);
  EXPECT_EQ(c->channels[0].on, (std::set<EdgeKind>{EdgeKind::kWaitingInput, EdgeKind::kStuck}));
  EXPECT_EQ(c->debounce, Millis(60'000));
  EXPECT_EQ(c->batch, Millis(500));
  EXPECT_EQ(c->digest_after, 3);
  ASSERT_TRUE(c->quiet_hours);
  EXPECT_EQ(format_quiet_hours(*c->quiet_hours), "22:00-07:30");
  EXPECT_FALSE(c->quiet_for(c->channels[1]));  // "off" for this channel alone
  EXPECT_TRUE(c->quiet_for(c->channels[0]));
  auto again = notify_config_from_json(to_json(*c));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(to_json(*again), to_json(*c));
  EXPECT_TRUE(notify_config_from_json(Json())->channels.empty());
}

TEST(NotifyConfig, EveryMistakeIsNamed) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"channels":[{"type":"webhook","url":"http://x/"}]})", "name is required"},
      {R"({"channels":[{"name":"a"}]})", "type is required"},
      {R"({"channels":[{"name":"a","type":"webhook"}]})", "url is required"},
      {R"({"channels":[{"name":"a","type":"webhook","url":"ftp://x/"}]})", "http:// or https://"},
      {R"({"channels":[{"name":"a","type":"webhook","url":"http://x/ y"}]})", "spaces"},
      {R"({"channels":[{"name":"a","type":"ntfy","url":"https://ntfy.sh/"}]})", "ntfy topic"},
      {R"({"channels":[{"name":"a","type":"desktop","url":"http://x/"}]})", "has no url"},
      {R"({"channels":[{"name":"a","type":"slack","url":"http://x/","headers":{"X":"y"}}]})",
       "headers are for webhook and ntfy"},
      {R"({"channels":[{"name":"a","type":"command","run":[]}]})", "a program and its arguments"},
      {R"({"channels":[{"name":"a","type":"webhook","url":"http://x/","run":["x"]}]})",
       "run is for command channels"},
      {R"({"channels":[{"name":"a","type":"desktop","colour":1}]})", "unknown key 'colour'"},
      {R"({"quiet_hours":"22:00-22:00"})", "empty window"},
      {R"({"quiet_hours":"10pm-7am"})", "not a window"},
      {R"({"timeout":"1h"})", "timeout must be from 100ms to 5m"},
      {R"({"attempts":0})", "from 1 to 1000"},
      {R"({"batch":-5})", "a duration"},
      {R"([1])", "must be a map"},
  };
  for (const auto& [text, why] : cases) {
    auto c = notify_config_from_json(Json::parse(text));
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(why), std::string::npos) << text << " → " << c.error().message;
  }
}

TEST(QuietHours, AWindowMayWrapPastMidnight) {
  auto night = parse_quiet_hours("22:00-07:00");
  ASSERT_TRUE(night);
  EXPECT_TRUE(in_quiet_hours(*night, 23 * 60));
  EXPECT_TRUE(in_quiet_hours(*night, 0));
  EXPECT_TRUE(in_quiet_hours(*night, 6 * 60 + 59));
  EXPECT_FALSE(in_quiet_hours(*night, 7 * 60));
  EXPECT_FALSE(in_quiet_hours(*night, 21 * 60 + 59));
  auto lunch = parse_quiet_hours("12:00-13:00");
  EXPECT_TRUE(in_quiet_hours(*lunch, 12 * 60 + 30));
  EXPECT_FALSE(in_quiet_hours(*lunch, 13 * 60));
}

TEST(QuietHours, EndAtTheWindowsLastMinuteInLocalTime) {
  ::setenv("TZ", "XST-2", 1);  // two hours east of UTC, no tz database needed
  ::tzset();
  // 2026-07-01 23:15:42 at UTC+2 is 21:15:42 UTC.
  TimePoint t = from_unix_ms(int64_t{1782940542} * 1000);
  EXPECT_EQ(local_minute(t), 23 * 60 + 15);
  auto night = parse_quiet_hours("22:00-07:00");
  // 07:00 at UTC+2 the next morning is 05:00 UTC.
  EXPECT_EQ(to_unix_ms(quiet_hours_end(*night, t)), int64_t{1782968400} * 1000);
  auto day = parse_quiet_hours("09:00-17:00");
  EXPECT_EQ(quiet_hours_end(*day, t), t);  // not in that window: now
  ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace bosun
