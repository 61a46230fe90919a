// Channels: each kind's argv and body; text from agents cannot ping or link in Slack and
// Discord; what counts as delivered.
#include "notify/channels.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace bosun {
namespace {

NotifyChannel channel(ChannelType type, std::string url = "https://example.com/hook") {
  NotifyChannel c;
  c.name = "c";
  c.type = type;
  c.url = std::move(url);
  return c;
}

NotifyMessage message() {
  NotifyMessage m;
  m.id = 7;
  m.edge = "review:t_1";
  m.kind = "review";
  m.title = "Task in review: <!channel> & @everyone";
  m.body = "see <https://evil.example|here>";
  m.link = "http://127.0.0.1:7777/#/review/t_1";
  m.at = "2026-12-06T10:00:00.000Z";
  return m;
}

TEST(Channels, SlackEscapesWhatAgentsWrote) {
  Json body = channel_body(channel(ChannelType::kSlack), message());
  std::string text = body["text"];
  EXPECT_EQ(text.find("<!channel>"), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;!channel&gt; &amp; @everyone"), std::string::npos) << text;
  EXPECT_EQ(text.find("<https://evil"), std::string::npos) << text;
  EXPECT_NE(text.find("<http://127.0.0.1:7777/#/review/t_1|Open in bosun>"), std::string::npos);
}

TEST(Channels, DiscordPingsNobodyAndKeepsToItsLimit) {
  NotifyMessage m = message();
  m.body = std::string(5000, 'x');
  Json body = channel_body(channel(ChannelType::kDiscord), m);
  EXPECT_EQ(body["allowed_mentions"]["parse"], Json::array());
  EXPECT_LE(body["content"].get<std::string>().size(), 2000u);
  EXPECT_EQ(body["username"], "bosun");
}

TEST(Channels, NtfyPostsToTheServerWithTheTopicInTheBody) {
  auto c = channel(ChannelType::kNtfy, "https://ntfy.sh/my-crew");
  EXPECT_EQ(ntfy_target(c.url),
            (std::pair<std::string, std::string>{"https://ntfy.sh/", "my-crew"}));
  Json body = channel_body(c, message());
  EXPECT_EQ(body["topic"], "my-crew");
  EXPECT_EQ(body["click"], "http://127.0.0.1:7777/#/review/t_1");
  EXPECT_EQ(body["tags"], Json::array({"review"}));
  auto spec = send_spec(c, message(), Millis(10'000));
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->argv.back(), "https://ntfy.sh/");
}

TEST(Channels, AWebhookIsCurlWithTheUrlAfterUrlAndTheBodyOnStdin) {
  auto c = channel(ChannelType::kWebhook, "https://example.com/-o/etc/x");
  c.headers = {{"Authorization", "Bearer s3cret"}};
  auto spec = send_spec(c, message(), Millis(1500));
  ASSERT_TRUE(spec);
  const auto& argv = spec->argv;
  EXPECT_EQ(argv[0], "curl");
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[argv.size() - 2], "--url");
  EXPECT_EQ(argv.back(), c.url);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "=http,https"), argv.end());  // no file://
  EXPECT_NE(std::find(argv.begin(), argv.end(), "1.500"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "Authorization: Bearer s3cret"), argv.end());
  ASSERT_TRUE(spec->input);
  Json sent = Json::parse(*spec->input);
  EXPECT_EQ(sent["id"], 7);
  EXPECT_EQ(sent["title"], message().title);
}

TEST(Channels, ACommandGetsItsArgvAndTheJsonOnStdin) {
  NotifyChannel c = channel(ChannelType::kCommand, "");
  c.run = {"page-me", "--urgent"};
  auto spec = send_spec(c, message(), Millis(10'000));
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->argv, c.run);
  EXPECT_EQ(Json::parse(*spec->input)["edge"], "review:t_1");
  EXPECT_EQ(spec->env.at("BOSUN_NOTIFY_KIND"), "review");
}

TEST(Channels, DeliveredMeansA2xxOrACleanExit) {
  auto hook = channel(ChannelType::kWebhook);
  ProcessResult r;
  r.started = true;
  r.exit_code = 0;
  r.out = "ok\n204";
  EXPECT_EQ(send_failure(hook, r), "");
  r.out = "server busy\nretry later\n503";
  EXPECT_EQ(send_failure(hook, r), "HTTP 503: server busy");
  r.out = "\n000";
  EXPECT_EQ(send_failure(hook, r), "no HTTP answer");
  r.exit_code = 7;
  r.err = "curl: (7) Failed to connect to 127.0.0.1 port 9\n";
  EXPECT_EQ(send_failure(hook, r), "exit 7: curl: (7) Failed to connect to 127.0.0.1 port 9");
  ProcessResult cmd;
  cmd.started = true;
  cmd.exit_code = 0;
  EXPECT_EQ(send_failure(channel(ChannelType::kCommand, ""), cmd), "");
  cmd.exit_code = 2;
  EXPECT_EQ(send_failure(channel(ChannelType::kCommand, ""), cmd), "exit 2");
  ProcessResult missing;
  missing.error = "cannot run notify-send: No such file or directory";
  EXPECT_NE(send_failure(channel(ChannelType::kDesktop, ""), missing).find("libnotify-bin"),
            std::string::npos);
}

}  // namespace
}  // namespace bosun
