// `bosun events`, `bosun journal`, `bosun supervisor`: the event log, the journal and the
// supervisor's settings from the CLI, against the real daemon.
#include <gtest/gtest.h>

#include <future>
#include <sstream>

#include "support/harness.h"

namespace bosun::e2e {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One JSON object per line.
std::vector<Json> json_lines(const std::string& out) {
  std::vector<Json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(Json::parse(line));
  }
  return lines;
}

TEST(ObserveCli, JournalAddAndList) {
  TestDaemon d;
  d.start();
  auto added = d.cli({"journal", "add", "Chose SQLite for the cache", "--kind", "decision"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_TRUE(contains(added.out, "noted j_")) << added.out;
  ASSERT_EQ(d.cli({"journal", "add", "a plain note"}).exit_code, 0);
  auto list = d.cli({"journal", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  Json entries = Json::parse(list.out);
  ASSERT_EQ(entries.size(), 2u) << list.out;
  EXPECT_EQ(entries[0]["text"], "a plain note");  // newest first
  EXPECT_EQ(entries[1]["kind"], "decision");
  auto found = d.cli({"journal", "list", "-q", "SQLite"});
  EXPECT_TRUE(contains(found.out, "decision")) << found.out;
  EXPECT_FALSE(contains(found.out, "a plain note")) << found.out;
  auto bad = d.cli({"journal", "add", "x", "--kind", "Not Valid"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(d.cli({"journal", "list", "--date", "yesterday"}).exit_code, 2);
}

TEST(ObserveCli, SupervisorSetChangesOnlyTheKeysGiven) {
  TestDaemon d;
  d.start();
  ASSERT_EQ(d.cli({"supervisor", "set", "stuck_after=45m"}).exit_code, 0);
  auto set = d.cli({"supervisor", "set", "heartbeat=7m", "restart_limit=9"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE(contains(set.out, "heartbeat = 7m")) << set.out;
  Json config = d.get("/api/v1/supervisor").json()["config"];
  EXPECT_EQ(config["heartbeat"], "7m");
  EXPECT_EQ(config["restart_limit"], 9);
  EXPECT_EQ(config["stuck_after"], "45m");  // kept, not reset to its default
  auto shown = d.cli({"supervisor", "show"});
  EXPECT_TRUE(contains(shown.out, "heartbeat          7m")) << shown.out;
  // Refused, changing nothing: an unknown key (the known ones are named), a bad duration.
  auto unknown = d.cli({"supervisor", "set", "heartbeet=5m"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "no supervisor setting 'heartbeet' (")) << unknown.err;
  EXPECT_EQ(d.cli({"supervisor", "set", "heartbeat=soon"}).exit_code, 2);
  EXPECT_EQ(d.cli({"supervisor", "set", "heartbeat"}).exit_code, 2);
  EXPECT_EQ(d.get("/api/v1/supervisor").json()["config"]["heartbeat"], "7m");
}

TEST(ObserveCli, EventsListsFiltersAndFollowsUntilTheDaemonStops) {
  TestDaemon d;
  d.start();
  ASSERT_EQ(d.post("/api/v1/tasks", Json{{"title", "First"}}).status, 201);
  ASSERT_EQ(d.post("/api/v1/journal", Json{{"text", "between"}}).status, 201);
  auto all = d.cli({"events", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto lines = json_lines(all.out);
  ASSERT_GE(lines.size(), 2u) << all.out;
  EXPECT_EQ(lines.back()["type"], "journal.created");
  auto tasks = json_lines(d.cli({"events", "--kind", "task.*", "--json"}).out);
  ASSERT_FALSE(tasks.empty());
  for (const auto& e : tasks) {
    EXPECT_EQ(e["type"].get<std::string>().rfind("task.", 0), 0u) << e.dump();
  }
  auto since = d.cli({"events", "--since", std::to_string(lines.back()["seq"].get<int64_t>())});
  EXPECT_EQ(since.out, "");
  auto words = d.cli({"events", "--kind", "journal.created"});
  EXPECT_TRUE(contains(words.out, "journal.created")) << words.out;
  EXPECT_TRUE(contains(words.out, "between")) << words.out;

  // --follow prints what happens next, and ends (exit 0) when the daemon closes the stream.
  int64_t after = lines.back()["seq"];
  auto follow = std::async(std::launch::async, [&] {
    return d.cli({"events", "--follow", "--since", std::to_string(after), "--kind",
                  "journal.created", "--json"});
  });
  ASSERT_EQ(d.post("/api/v1/journal", Json{{"text", "live one"}}).status, 201);
  // The follower is on the stream before the daemon stops (a slow start, under a sanitizer,
  // would otherwise find no daemon at all).
  auto subscribed = [&] {
    return d.get("/api/v1/status").json()["counts"].value("event_subscribers", 0) >= 1;
  };
  for (int i = 0; i < 200 && !subscribed(); ++i)
    ASSERT_EQ(follow.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ASSERT_TRUE(subscribed());
  EXPECT_EQ(d.stop(), 0);
  ASSERT_EQ(follow.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto followed = follow.get();
  EXPECT_EQ(followed.exit_code, 0) << followed.err;
  auto live = json_lines(followed.out);
  ASSERT_EQ(live.size(), 1u) << followed.out;
  EXPECT_EQ(live[0]["data"]["text"], "live one");
}

}  // namespace
}  // namespace bosun::e2e
