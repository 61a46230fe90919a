// Notifications end to end: a real daemon, real agents, and a local HTTP receiver (or a
// command) at the other end of each channel.
#include <signal.h>

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>

#include "support/agents.h"
#include "support/receiver.h"
#include "support/tasks.h"

namespace bosun::e2e {
namespace {

HttpResult put_notify(TestDaemon& d, const Json& config) {
  return http_request(d.address(), "PUT", "/api/v1/notify", config.dump(), d.auth_header());
}

void configure_notify(TestDaemon& d, const Json& config) {
  auto r = put_notify(d, config);
  ASSERT_EQ(r.status, 200) << r.body;
}

Json webhook(const std::string& name, const std::string& url, Json extra = Json::object()) {
  extra["name"] = name;
  extra["type"] = "webhook";
  extra["url"] = url;
  return extra;
}

// A task assigned to `agent` and moved to review by a person: a task waiting for review.
std::string task_in_review(TestDaemon& d, const std::string& title, const std::string& agent) {
  std::string id = create_task(d, Json{{"title", title}, {"role", kTaskRole}})["id"];
  auto a = d.patch("/api/v1/tasks/" + id, Json{{"status", "assigned"}, {"assignee", agent}});
  EXPECT_EQ(a.status, 200) << a.body;
  auto r = d.patch("/api/v1/tasks/" + id, Json{{"status", "review"}});
  EXPECT_EQ(r.status, 200) << r.body;
  return id;
}

std::vector<std::string> titles(const std::vector<Received>& got) {
  std::vector<std::string> out;
  out.reserve(got.size());
  for (const auto& r : got)
    out.push_back(r.json().value("title", "?"));
  return out;
}

// The daemon's deliveries, newest first.
Json deliveries(TestDaemon& d, const std::string& query = "") {
  return d.get("/api/v1/notifications" + query).json()["notifications"];
}

// Polls the deliveries (nothing else tells when a row changes) until `done` holds.
bool deliveries_until(TestDaemon& d, const std::string& query,
                      const std::function<bool(const Json&)>& done,
                      std::chrono::milliseconds timeout = 20s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done(deliveries(d, query))) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// "HH:MM" of local time `minutes` from now.
std::string local_clock(int minutes) {
  std::time_t t = std::time(nullptr) + static_cast<std::time_t>(minutes) * 60;
  std::tm local{};
  ::localtime_r(&t, &local);
  char buf[8];
  std::strftime(buf, sizeof buf, "%H:%M", &local);
  return buf;
}

// Each edge reaches each channel that takes it once: a review on the webhook that takes every
// kind, not on the Slack channel that takes only exits; a review that flaps within the debounce
// is not news; an agent's unexpected exit reaches both, the Slack one in Slack's shape.
TEST(Notify, EachEdgeIsToldOnceOnEveryChannelThatTakesIt) {
  TestDaemon d;
  d.start();
  Receiver hook, slack;
  configure_notify(d, Json{{"channels", Json::array({webhook("hook", hook.url()),
                                                     Json{{"name", "team"},
                                                          {"type", "slack"},
                                                          {"url", slack.url("/slack")},
                                                          {"on", Json::array({"exited"})}}})},
                           {"batch", "50ms"}});
  std::string kai = spawn_sleeper(d, "kai")["id"];
  std::string first = task_in_review(d, "Ship <the> thing", "kai");
  ASSERT_TRUE(hook.wait_for(1, 20s));
  Received r = hook.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  Json m = r.json();
  EXPECT_EQ(m["kind"], "review") << r.body;
  EXPECT_EQ(m["title"], "Task in review: Ship <the> thing");
  EXPECT_EQ(m["edge"], "review:" + first);
  EXPECT_EQ(m["link"], "http://" + d.address() + "/#/review/" + first);
  EXPECT_TRUE(m["id"].is_number_integer());

  // Back to the agent and into review again at once: a flap, not a second message.
  ASSERT_EQ(d.patch("/api/v1/tasks/" + first, Json{{"status", "assigned"}}).status, 200);
  ASSERT_EQ(d.patch("/api/v1/tasks/" + first, Json{{"status", "review"}}).status, 200);
  std::string second = task_in_review(d, "Second thing", "kai");
  ASSERT_TRUE(hook.wait_for(2, 20s));
  // Sent in the order they were queued: had the flap been news, it would have come first.
  EXPECT_EQ(titles(hook.requests()), (std::vector<std::string>{"Task in review: Ship <the> thing",
                                                               "Task in review: Second thing"}));

  // kai's program dies under it: an exit nobody asked for.
  auto agent = d.get("/api/v1/agents/" + kai).json();
  ASSERT_EQ(::kill(agent["pid"].get<pid_t>(), SIGKILL), 0) << agent.dump();
  ASSERT_TRUE(slack.wait_for(1, 20s));
  ASSERT_TRUE(hook.wait_for(3, 20s));
  Json text = slack.requests()[0].json();
  EXPECT_EQ(text["text"].get<std::string>().rfind("*kai exited (killed by signal 9)*", 0), 0u)
      << text;
  EXPECT_NE(text["text"].get<std::string>().find("|Open in bosun>"), std::string::npos) << text;
  EXPECT_EQ(hook.requests()[2].json()["kind"], "exited");
  EXPECT_EQ(slack.requests().size(), 1u);  // the reviews were not the Slack channel's

  ASSERT_TRUE(deliveries_until(d, "?status=sent", [](const Json& l) { return l.size() == 4; }))
      << deliveries(d).dump();
  Json sent = deliveries(d, "?status=sent");
  for (const auto& s : sent)
    EXPECT_EQ(s["attempts"], 1) << s.dump();
  auto list = d.cli({"notify", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("Task in review: Second thing — sent"), std::string::npos) << list.out;
}

// An agent that stops at a question: the message says who waits and what it asks; answering
// it closes the edge, and a later question is news again (after the debounce).
TEST(Notify, AnAgentWaitingForAnAnswerIsToldWithTheQuestion) {
  TestDaemon d;
  d.start();
  Receiver hook;
  configure_notify(
      d, Json{{"channels", Json::array({webhook("hook", hook.url(),
                                                Json{{"on", Json::array({"waiting_input"})}})})},
              {"batch", "0"},
              {"debounce", "0"}});
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  auto asker = spawn_sim(d, events, "asker", "dev", {"--misbehave", "ask"});
  add_task(d, "Edit carefully", "dev");
  ASSERT_TRUE(hook.wait_for(1, 30s));
  Json m = hook.requests()[0].json();
  EXPECT_EQ(m["kind"], "waiting_input") << m;
  EXPECT_EQ(m["title"], "asker is waiting for you");
  EXPECT_NE(m["body"].get<std::string>().find("Allow edits to notes/"), std::string::npos) << m;
  EXPECT_EQ(m["link"], "http://" + d.address() + "/#/terminals/asker");
  auto open = d.get("/api/v1/notify").json()["open"];
  ASSERT_EQ(open.size(), 1u) << open;
  EXPECT_EQ(open[0]["key"], "waiting:" + asker["id"].get<std::string>());
  // The person answers at the terminal: the edge closes.
  auto typed = d.post("/api/v1/agents/asker/input", Json{{"data", "y\r"}});
  ASSERT_EQ(typed.status, 200) << typed.body;
  ASSERT_TRUE(events.wait_for("agent.state", asker["id"],
                              [](const Json& e) { return e["state"] != "waiting_input"; }));
  // The waiting edge is closed (the task it was on may finish meanwhile and open "board").
  std::string key = "waiting:" + asker["id"].get<std::string>();
  ASSERT_TRUE(deliveries_until(d, "", [&](const Json&) {
    Json status = d.get("/api/v1/notify").json();
    for (const auto& e : status["open"])
      if (e["key"] == key) return false;
    return true;
  })) << d.get("/api/v1/notify").body;
}

// The notifier follows the event log from its own cursor: after kill -9 and a restart, an
// edge still open is not told again, and an agent that died while no daemon ran is told once.
TEST(Notify, NoEdgeIsToldTwiceOrLostAcrossADaemonCrash) {
  TestDaemon d;
  d.start();
  Receiver hook;
  configure_notify(
      d, Json{{"channels", Json::array({webhook("hook", hook.url())})}, {"batch", "50ms"}});
  spawn_sleeper(d, "kai");
  Json ben = spawn_sleeper(d, "ben");
  std::string first = task_in_review(d, "Before the crash", "kai");
  ASSERT_TRUE(hook.wait_for(1, 20s));
  // Recorded as sent before the crash (a crash between the receiver's 200 and that record
  // sends it again, with the same id: at least once, never lost).
  ASSERT_TRUE(deliveries_until(d, "?status=sent", [](const Json& l) { return l.size() == 1; }));

  d.kill9();
  ASSERT_EQ(::kill(ben["pid"].get<pid_t>(), SIGKILL), 0);  // the agent outlives no daemon now
  d.keep_address();
  d.start();
  ASSERT_TRUE(hook.wait_for(2, 20s));
  EXPECT_EQ(hook.requests()[1].json()["kind"], "exited") << hook.requests()[1].body;
  EXPECT_NE(hook.requests()[1].json()["title"].get<std::string>().find("ben"), std::string::npos);
  std::string second = task_in_review(d, "After the crash", "kai");
  ASSERT_TRUE(hook.wait_for(3, 20s));
  EXPECT_EQ(titles(hook.requests())[2], "Task in review: After the crash");
  EXPECT_EQ(hook.requests().size(), 3u);
  auto show = d.cli({"notify", "show"});
  EXPECT_NE(show.out.find("review:" + first), std::string::npos) << show.out;  // still open
}

// A receiver that answers 500 is tried `attempts` times, then the delivery is failed with the
// reason; one that never answers times out; neither holds up the channel that works, or the
// daemon's answers.
TEST(Notify, AFailingOrHangingReceiverIsRetriedThenFailedAndHoldsNothingUp) {
  TestDaemon d;
  d.start();
  Receiver bad, hang, ok;
  bad.answer(500);
  hang.hold(true);
  configure_notify(
      d, Json{{"channels", Json::array({webhook("bad", bad.url()), webhook("hang", hang.url()),
                                        webhook("ok", ok.url())})},
              {"batch", "0"},
              {"attempts", 3},
              {"retry_backoff", "100ms"},
              {"timeout", "1s"}});
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());
  spawn_sleeper(d, "kai");
  std::string id = task_in_review(d, "Look at this", "kai");
  ASSERT_TRUE(ok.wait_for(1, 20s));
  ASSERT_TRUE(hang.wait_for(1, 20s));
  EXPECT_EQ(d.get("/healthz").status, 200);  // while a send hangs

  auto failed = events.wait_for(
      "notify.failed", "review:" + id, [](const Json& e) { return e["channel"] == "bad"; }, 30s);
  ASSERT_TRUE(failed) << deliveries(d).dump();
  EXPECT_EQ(bad.requests().size(), 3u);
  EXPECT_EQ((*failed)["data"]["attempts"], 3);
  EXPECT_EQ((*failed)["data"]["error"], "HTTP 500: receiver says no");
  auto timed_out = events.wait_for(
      "notify.failed", "review:" + id, [](const Json& e) { return e["channel"] == "hang"; }, 30s);
  ASSERT_TRUE(timed_out) << deliveries(d).dump();
  EXPECT_NE((*timed_out)["data"]["error"].get<std::string>().find("timed out"), std::string::npos)
      << timed_out->dump();
  EXPECT_EQ(ok.requests().size(), 1u);
  auto list = d.cli({"notify", "list", "--status", "failed"});
  EXPECT_NE(list.out.find("HTTP 500"), std::string::npos) << list.out;
}

// In quiet hours deliveries are held; when they end (here: the window is taken away) what
// waits goes out as one digest, not a flood.
TEST(Notify, QuietHoursHoldThenOneDigestGoesOut) {
  TestDaemon d;
  d.start();
  Receiver hook;
  std::string window = local_clock(-60) + "-" + local_clock(60);
  Json config{{"channels", Json::array({webhook("hook", hook.url())})},
              {"batch", "0"},
              {"digest_after", 2},
              {"quiet_hours", window}};
  configure_notify(d, config);
  spawn_sleeper(d, "kai");
  for (const char* t : {"One", "Two", "Three"})
    task_in_review(d, t, "kai");
  ASSERT_TRUE(deliveries_until(d, "?status=held", [](const Json& l) { return l.size() == 3; }))
      << deliveries(d).dump();
  EXPECT_TRUE(hook.requests().empty());

  config.erase("quiet_hours");
  configure_notify(d, config);
  ASSERT_TRUE(hook.wait_for(1, 20s));
  Json digest = hook.requests()[0].json();
  EXPECT_EQ(digest["kind"], "digest") << digest;
  EXPECT_EQ(digest["title"], "bosun: 3 things need you");
  ASSERT_EQ(digest["items"].size(), 3u) << digest;
  EXPECT_EQ(digest["items"][0]["title"], "Task in review: One");
  ASSERT_TRUE(deliveries_until(d, "?status=sent", [](const Json& l) { return l.size() == 3; }));
  for (const auto& s : deliveries(d, "?status=sent"))
    EXPECT_EQ(s["digest"], digest["id"]);
  // Nothing else was sent: a marker edge is the next message.
  task_in_review(d, "Marker", "kai");
  ASSERT_TRUE(hook.wait_for(2, 20s));
  EXPECT_EQ(hook.requests()[1].json()["title"], "Task in review: Marker");
}

// A command channel gets the notification as JSON on stdin (an argv, no shell), and
// `bosun notify test` sends a sample and says how it went.
TEST(Notify, ACommandGetsTheNotificationOnStdinAndTestSaysHowItWent) {
  TestDaemon d;
  d.start();
  TempDir dir;
  auto out = dir.path() / "got.json";
  configure_notify(d,
                   Json{{"channels", Json::array({Json{{"name", "script"},
                                                       {"type", "command"},
                                                       {"run", Json::array({"tee", out.string()})},
                                                       {"on", Json::array({"review"})}},
                                                  webhook("nowhere", "http://127.0.0.1:9/")})},
                        {"batch", "0"}});
  spawn_sleeper(d, "kai");
  std::string id = task_in_review(d, "Through a $(command); rm -rf /", "kai");
  ASSERT_TRUE(deliveries_until(d, "?status=sent", [](const Json& l) { return !l.empty(); }));
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  Json got = Json::parse(line, nullptr, false);
  EXPECT_EQ(got["title"], "Task in review: Through a $(command); rm -rf /") << line;
  EXPECT_EQ(got["edge"], "review:" + id);

  auto test = d.cli({"notify", "test", "script"});
  EXPECT_EQ(test.exit_code, 0) << test.err;
  EXPECT_NE(test.out.find("sent a test notification on script"), std::string::npos) << test.out;
  auto refused = d.cli({"notify", "test", "nowhere"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("failed"), std::string::npos) << refused.out;
  auto unknown = d.cli({"notify", "test", "nope"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("no notification channel nope"), std::string::npos) << unknown.err;
}

// Bad settings are refused by name and change nothing; an agent may not read or change them.
TEST(Notify, BadSettingsAreRefusedAndChangeNothing) {
  TestDaemon d;
  d.start();
  configure_notify(d, Json{{"channels", Json::array({webhook("hook", "http://127.0.0.1:1/x")})}});
  Json before = d.get("/api/v1/notify").json()["config"];
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "invalid_json"},
      {R"(["a"])", "invalid_json"},
      {R"({"channels":[{"name":"f","type":"webhook","url":"file:///etc/passwd"}]})",
       "must start with http:// or https://"},
      {R"({"channels":[{"name":"c","type":"command","run":"rm -rf /"}]})", "must be a list"},
      {R"({"channels":[{"name":"c","type":"command"}]})", "run is required"},
      {R"({"channels":[{"name":"w","type":"webhook","url":"http://x/","on":["everything"]}]})",
       "unknown 'everything'"},
      {R"({"channels":[{"name":"w","type":"pager","url":"http://x/"}]})", "unknown type 'pager'"},
      {R"({"channels":[{"name":"a b","type":"desktop"}]})", "name must be"},
      {R"({"channels":[{"name":"w","type":"desktop"},{"name":"w","type":"desktop"}]})",
       "two channels are named w"},
      {R"({"quiet_hours":"25:00-07:00"})", "not a window"},
      {R"({"debounce":"soon"})", "debounce"},
      {R"({"colour":"red"})", "unknown key 'colour'"},
      {R"({"channels":[{"name":"w","type":"webhook","url":"http://x/","headers":{"X":"a\r\nB: c"}}]})",
       "one line of text"},
      {"{\"channels\":[{\"name\":\"\xff\",\"type\":\"desktop\"}]}", "invalid_json"},
  };
  for (const auto& [body, why] : bad) {
    auto r = http_request(d.address(), "PUT", "/api/v1/notify", body, d.auth_header());
    EXPECT_EQ(r.status, 400) << body << " → " << r.body;
    EXPECT_NE(r.body.find(why), std::string::npos) << body << " → " << r.body;
  }
  EXPECT_EQ(d.get("/api/v1/notify").json()["config"], before);
  EXPECT_EQ(d.get("/api/v1/notifications?status=lost").status, 400);
  EXPECT_EQ(d.post("/api/v1/notify/test", Json{{"channel", "nope"}}).status, 404);
  EXPECT_EQ(d.post("/api/v1/notify/test", Json{{"channel", 3}}).status, 400);

  TokenAgent agent = spawn_with_token(d, "kai");
  EXPECT_EQ(as_agent(d, agent, "GET", "/api/v1/notify").status, 403);
  EXPECT_EQ(as_agent(d, agent, "PUT", "/api/v1/notify", Json::object()).status, 403);
  EXPECT_EQ(as_agent(d, agent, "POST", "/api/v1/notify/test", Json{{"channel", "hook"}}).status,
            403);
  EXPECT_EQ(d.get("/api/v1/notify").json()["config"], before);
}

}  // namespace
}  // namespace bosun::e2e
