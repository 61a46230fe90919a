// The event log end to end: REST listing, WebSocket hello/replay/live, slow consumers, Origin.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

int64_t post_note(TestDaemon& d, const std::string& text) {
  auto r = d.post("/api/v1/journal", Json{{"text", text}});
  EXPECT_EQ(r.status, 201) << r.body;
  auto events = d.get("/api/v1/events?limit=1000");
  return events.json()["latest_seq"].get<int64_t>();
}

TEST(Events, RestListsSinceWithLimit) {
  TestDaemon d;
  d.start();
  auto base = d.get("/api/v1/events").json()["latest_seq"].get<int64_t>();
  for (int i = 0; i < 5; ++i)
    post_note(d, "note " + std::to_string(i));
  auto r = d.get("/api/v1/events?since=" + std::to_string(base + 1) + "&limit=2");
  ASSERT_EQ(r.status, 200);
  auto j = r.json();
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["seq"], base + 2);
  EXPECT_EQ(j["events"][0]["type"], "journal.created");
  EXPECT_EQ(j["events"][0]["data"]["text"], "note 1");
  EXPECT_EQ(j["latest_seq"], base + 5);
}

TEST(Events, RestRejectsBadQuery) {
  TestDaemon d;
  d.start();
  EXPECT_EQ(d.get("/api/v1/events?since=abc").status, 400);
  EXPECT_EQ(d.get("/api/v1/events?limit=0").status, 400);
  EXPECT_EQ(d.get("/api/v1/events?limit=100000").status, 400);
  EXPECT_EQ(d.get("/api/v1/events?since=-5").status, 400);
}

TEST(Events, WebSocketSendsHelloThenLiveEvents) {
  TestDaemon d;
  d.start();
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/events", d.auth_header()));
  auto hello = ws.read_json();
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["type"], "hello");
  int64_t seq = (*hello)["seq"];
  post_note(d, "live one");
  auto ev = ws.read_json();
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["seq"], seq + 1);
  EXPECT_EQ((*ev)["type"], "journal.created");
  EXPECT_EQ((*ev)["data"]["text"], "live one");
}

TEST(Events, WebSocketAcceptsQueryToken) {
  TestDaemon d;
  d.start();
  WsClient ws;
  ASSERT_TRUE(ws.connect(d.address(), "/api/v1/events?token=" + d.token()));
  auto hello = ws.read_json();
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["type"], "hello");
}

TEST(Events, WebSocketWithoutTokenIs401) {
  TestDaemon d;
  d.start();
  WsClient ws;
  EXPECT_FALSE(ws.connect(d.address(), "/api/v1/events"));
  EXPECT_EQ(ws.refused_status(), 401);
}

TEST(Events, ForeignOriginIsRefused403) {
  TestDaemon d;
  d.start();
  WsClient ws;
  auto headers = d.auth_header();
  headers["Origin"] = "http://evil.example";
  EXPECT_FALSE(ws.connect(d.address(), "/api/v1/events", headers));
  EXPECT_EQ(ws.refused_status(), 403);
  // Same host name, other port: still foreign.
  WsClient ws2;
  headers["Origin"] = "http://127.0.0.1:1";
  EXPECT_FALSE(ws2.connect(d.address(), "/api/v1/events", headers));
  EXPECT_EQ(ws2.refused_status(), 403);
}

TEST(Events, OwnOriginIsAccepted) {
  TestDaemon d;
  d.start();
  auto port = d.address().substr(d.address().rfind(':') + 1);
  for (std::string origin : {"http://" + d.address(), "http://localhost:" + port}) {
    WsClient ws;
    auto headers = d.auth_header();
    headers["Origin"] = origin;
    ASSERT_TRUE(ws.connect(d.address(), "/api/v1/events", headers)) << origin;
    EXPECT_TRUE(ws.read_json());
  }
}

TEST(Events, ReplayFromSinceThenLiveWithoutGapsOrDuplicates) {
  TestDaemon d;
  d.start();
  int64_t since = d.get("/api/v1/events").json()["latest_seq"];
  for (int i = 0; i < 1200; ++i) {
    ASSERT_EQ(d.post("/api/v1/journal", Json{{"text", "n" + std::to_string(i)}}).status, 201);
  }
  WsClient ws;
  ASSERT_TRUE(
      ws.connect(d.address(), "/api/v1/events?since=" + std::to_string(since), d.auth_header()));
  auto hello = ws.read_json();
  ASSERT_TRUE(hello);
  EXPECT_EQ((*hello)["seq"], since + 1200);
  post_note(d, "after");
  int64_t expect = since + 1;
  while (expect <= since + 1201) {
    auto ev = ws.read_json();
    ASSERT_TRUE(ev) << "missing event " << expect;
    ASSERT_EQ((*ev)["seq"], expect);
    ++expect;
  }
  EXPECT_FALSE(ws.read(200ms));
}

TEST(Events, SlowConsumerIsClosedWithReasonAndOthersKeepReceiving) {
  TestDaemon d;
  d.start({"--ws-queue-limit", "65536"});
  WsClient slow;
  slow.set_receive_buffer(4096);
  ASSERT_TRUE(slow.connect(d.address(), "/api/v1/events", d.auth_header()));
  WsClient fast;
  ASSERT_TRUE(fast.connect(d.address(), "/api/v1/events", d.auth_header()));
  ASSERT_TRUE(fast.read_json());
  // The slow one reads, but far slower than events come (its own pace, not a wait for us);
  // it must get what was in flight, then a close frame that says how to resume.
  // (Ten a second while the notes are posted — slower than even a sanitizer build posts them —
  // then as fast as it can, so what was in flight arrives within the daemon's close grace.)
  std::atomic<int> received{0};
  std::atomic<bool> posted{false};
  std::thread reader([&] {
    while (slow.read(10s)) {
      ++received;
      if (!posted) std::this_thread::sleep_for(100ms);
    }
  });
  std::string big(32000, 'x');
  const int kNotes = 400;  // ~13 MB of events: more than socket buffers + the 64 KiB queue
  for (int i = 0; i < kNotes; ++i) {  // EXPECT and break: the reader thread must be joined
    auto note = d.post("/api/v1/journal", Json{{"text", big + std::to_string(i)}});
    EXPECT_EQ(note.status, 201);
    auto ev = fast.read_json();
    EXPECT_TRUE(ev) << "fast consumer stalled at " << i;
    if (note.status != 201 || !ev) break;
  }
  posted = true;
  reader.join();
  EXPECT_TRUE(slow.closed());
  EXPECT_EQ(slow.close_code(), 4008);
  EXPECT_NE(slow.close_reason().find("since="), std::string::npos) << slow.close_reason();
  EXPECT_LT(received.load(), kNotes);
  EXPECT_EQ(http_request(d.address(), "GET", "/healthz").status, 200);
}

TEST(Events, BadJournalEntriesAreRefusedAndGoodOnesAreFound) {
  TestDaemon d;
  d.start();
  EXPECT_EQ(d.post("/api/v1/journal", Json{{"text", 5}}).status, 400);
  EXPECT_EQ(d.post("/api/v1/journal", Json::object()).status, 400);
  EXPECT_EQ(d.post("/api/v1/journal", Json{{"text", "x"}, {"kind", "Bad Kind"}}).status, 400);
  ASSERT_EQ(d.post("/api/v1/journal", Json{{"text", "find me"}, {"kind", "gotcha"}}).status, 201);
  auto list = d.get("/api/v1/journal?q=find");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["entries"].size(), 1u);
  EXPECT_EQ(list.json()["entries"][0]["kind"], "gotcha");
  EXPECT_EQ(d.get("/api/v1/journal?date=yesterday").status, 400);
}

}  // namespace
}  // namespace bosun::e2e
