// HostLease: hosts joining, renewing and being reaped on a shared store — epochs, leases in the
// database's clock, one reaper winning, and what a lost host's agents and tasks become.
#include "crew/host_lease.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "crew/task_board.h"
#include "support/store_fixture.h"

namespace bosun {
namespace {

class HostLeaseTest : public testing::StoreFixture {
 protected:
  static HostRecord host(const std::string& name) {
    HostRecord h;
    h.name = name;
    h.address = "127.0.0.1:7777";
    h.pid = 42;
    h.version = "test";
    return h;
  }
  // An agent of host `on`, with `name` and id "ag_`name`".
  void agent_on(const std::string& on, const std::string& name) {
    AgentRecord a;
    a.id = "ag_" + name;
    a.name = name;
    a.state = "working";
    a.host = on;
    a.created_at_ms = 1;
    ASSERT_TRUE(store_->agents().insert(a));
  }
  // A task claimed by agent `agent_id`.
  std::string held_by(const std::string& agent_id, const std::string& title) {
    TaskBoard board(*store_, *bus_, clock_);
    NewTask n;
    n.title = title;
    auto t = board.create(n, "user");
    EXPECT_TRUE(t) << (t ? "" : t.error().message);
    if (!t) return "";
    auto claimed = board.claim(t->id, agent_id, "test", "claimed");
    EXPECT_TRUE(claimed) << (claimed ? "" : claimed.error().message);
    return t->id;
  }
  const Event* last(const std::string& type) const {
    for (auto it = events_.seen.rbegin(); it != events_.seen.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }
};

TEST_F(HostLeaseTest, AJoinStartsAnEpochAndEachJoinAgainTheNext) {
  auto first = join_host(*store_, *bus_, host("h1"), 60'000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->epoch, 1);
  EXPECT_EQ(first->state, "up");
  EXPECT_GT(first->lease_until_ms, first->renewed_at_ms);
  ASSERT_NE(last("host.joined"), nullptr);
  auto again = join_host(*store_, *bus_, host("h1"), 60'000);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->epoch, 2);
  auto listed = store_->hosts().list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].address, "127.0.0.1:7777");
}

TEST_F(HostLeaseTest, TheFirstHostToJoinCarriesOnWhatADaemonWroteBeforeThereWereHosts) {
  agent_on("", "ana");
  ASSERT_TRUE(join_host(*store_, *bus_, host("h1"), 60'000));
  ASSERT_TRUE(join_host(*store_, *bus_, host("h2"), 60'000));
  EXPECT_EQ(store_->agents().find("ana")->host, "h1");
}

TEST_F(HostLeaseTest, TheLeaseIsKeptInTheDatabasesClock) {
  auto now = store_->hosts().now_ms();
  ASSERT_TRUE(now) << now.error().message;
  int64_t wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  EXPECT_LT(std::llabs(*now - wall), 5'000);
  auto joined = join_host(*store_, *bus_, host("h1"), 60'000);
  ASSERT_TRUE(joined);
  EXPECT_NEAR(static_cast<double>(joined->lease_until_ms - joined->renewed_at_ms), 60'000, 1);
}

TEST_F(HostLeaseTest, ARenewalUnderAnOldEpochOrAfterTheHostWasDeclaredLostChangesNothing) {
  ASSERT_TRUE(join_host(*store_, *bus_, host("h1"), 60'000));
  auto kept = store_->hosts().renew("h1", 1, 60'000, 0.5);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(*kept);
  ASSERT_TRUE(join_host(*store_, *bus_, host("h1"), -1'000));  // epoch 2, run out already
  auto stale = store_->hosts().renew("h1", 1, 60'000, 0.5);
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  auto lost = store_->hosts().declare_lost("h1");
  ASSERT_TRUE(lost);
  ASSERT_TRUE(*lost);
  auto after = store_->hosts().renew("h1", 2, 60'000, 0.5);
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
  auto row = store_->hosts().find("h1");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->state, "lost");
  EXPECT_LT(row->lease_until_ms, row->lost_at_ms.value_or(0));
}

TEST_F(HostLeaseTest, AHostWhoseLeaseRanOutIsReapedOnceWithItsAgentsAndTheirTasks) {
  ASSERT_TRUE(join_host(*store_, *bus_, host("h1"), 60'000));
  ASSERT_TRUE(join_host(*store_, *bus_, host("h2"), -1'000));
  agent_on("h1", "ana");
  agent_on("h2", "kai");
  agent_on("h2", "lin");
  std::string mine = held_by("ag_ana", "stays with ana");
  std::string t1 = held_by("ag_kai", "kai's");
  std::string t2 = held_by("ag_lin", "lin's");

  auto expired = store_->hosts().expired("h1");
  ASSERT_TRUE(expired);
  EXPECT_EQ(*expired, std::vector<std::string>{"h2"});
  auto none_for_itself = store_->hosts().expired("h2");
  ASSERT_TRUE(none_for_itself);
  EXPECT_TRUE(none_for_itself->empty()) << "a host never reaps itself";

  auto reaped = reap_host(*store_, *bus_, clock_, "h2");
  ASSERT_TRUE(reaped) << reaped.error().message;
  ASSERT_TRUE(*reaped);
  EXPECT_EQ((*reaped)->agents, (std::vector<std::string>{"kai", "lin"}));
  EXPECT_EQ((*reaped)->tasks.size(), 2U);
  EXPECT_NE((*reaped)->reason.find("host h2 unreachable since "), std::string::npos);

  for (const auto& id : {t1, t2}) {
    auto t = store_->tasks().find(id);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->status, TaskStatus::kPending) << id;
    EXPECT_FALSE(t->assignee) << id;
    auto history = store_->tasks().history(id);
    ASSERT_TRUE(history);
    EXPECT_NE(history->back().reason.find("host h2 unreachable since"), std::string::npos)
        << history->back().reason;
  }
  auto kept = store_->tasks().find(mine);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->assignee, std::optional<std::string>("ag_ana"));
  auto kai = store_->agents().find("kai");
  ASSERT_TRUE(kai);
  EXPECT_EQ(kai->state, "lost");
  EXPECT_EQ(kai->state_source, "host");
  auto ana = store_->agents().find("ana");
  ASSERT_TRUE(ana);
  EXPECT_EQ(ana->state, "working");

  const Event* lost = last("agent.lost");
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(event_data(*lost)["host"], "h2");
  const Event* host_lost = last("host.lost");
  ASSERT_NE(host_lost, nullptr);
  EXPECT_EQ(host_lost->subject, "h2");
  EXPECT_EQ(event_data(*host_lost)["tasks"].size(), 2U);

  // Another reaper, a moment later: nothing left to do.
  auto again = reap_host(*store_, *bus_, clock_, "h2");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto after = store_->hosts().expired("h1");
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
}

TEST_F(HostLeaseTest, AHostThatRenewedInTimeIsNotReaped) {
  ASSERT_TRUE(join_host(*store_, *bus_, host("h2"), -1'000));
  auto renewed = store_->hosts().renew("h2", 1, 60'000, 0.1);
  ASSERT_TRUE(renewed);
  ASSERT_TRUE(*renewed);
  auto reaped = reap_host(*store_, *bus_, clock_, "h2");
  ASSERT_TRUE(reaped);
  EXPECT_FALSE(*reaped);
  EXPECT_EQ(store_->hosts().find("h2")->state, "up");
}

TEST_F(HostLeaseTest, ALostHostThatJoinsAgainSaysWhatHappenedWhileItWasGone) {
  ASSERT_TRUE(join_host(*store_, *bus_, host("h2"), -1'000));
  ASSERT_TRUE(reap_host(*store_, *bus_, clock_, "h2"));
  auto back = join_host(*store_, *bus_, host("h2"), 60'000);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->state, "up");
  EXPECT_EQ(back->epoch, 2);
  EXPECT_FALSE(back->lost_at_ms);
  const Event* returned = last("host.returned");
  ASSERT_NE(returned, nullptr);
  Json data = event_data(*returned);
  EXPECT_TRUE(data["unreachable_since"].is_string()) << data.dump();
  EXPECT_NE(data["note"].get<std::string>().find("back to the board"), std::string::npos);
}

TEST_F(HostLeaseTest, EventsAndAgentsCarryTheHostOfTheDaemonThatWroteThem) {
  store_->set_host("h1");
  auto e = bus_->publish("test.hello", "", Json::object());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "h1");
  EXPECT_NE(to_wire(*e).find("\"host\":\"h1\""), std::string::npos) << to_wire(*e);
  EXPECT_TRUE(bus_->local(*e));
  auto read = store_->events().list_since(e->seq - 1, 10);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 1U);
  EXPECT_EQ((*read)[0].host, "h1");

  AgentRecord a;
  a.id = "ag_ana";
  a.name = "ana";
  a.created_at_ms = 1;
  ASSERT_TRUE(store_->agents().insert(a));
  agent_on("h2", "kai");
  EXPECT_EQ(store_->agents().find("ana")->host, "h1");
  auto local = store_->agents().local();
  ASSERT_TRUE(local);
  ASSERT_EQ(local->size(), 1U);
  EXPECT_EQ((*local)[0].name, "ana");

  store_->set_host("h2");  // the same log, read as another host's daemon would
  EXPECT_FALSE(bus_->local(*e));
}

TEST_F(HostLeaseTest, OnAStoreOneDaemonOwnsNothingCarriesAHost) {
  auto e = bus_->publish("test.hello", "", Json::object());
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->host.empty());
  EXPECT_EQ(to_wire(*e).find("\"host\""), std::string::npos);
  agent_on("", "ana");
  agent_on("elsewhere", "kai");
  auto local = store_->agents().local();
  ASSERT_TRUE(local);
  EXPECT_EQ(local->size(), 2U) << "every agent is the one daemon's";
}

}  // namespace
}  // namespace bosun
