// EventBus and EventStore: persist-then-broadcast, replay order, transactions.
#include "store/event_bus.h"

#include <gtest/gtest.h>

#include "support/store_fixture.h"

namespace bosun {
namespace {

class Recorder : public EventSubscriber {
 public:
  explicit Recorder(Store* store) : store_(store) {}
  void on_event(const Event& event) override {
    // The event must already be readable from the database when it is broadcast.
    auto rows = store_->events().list_since(event.seq - 1, 1);
    persisted_before_broadcast =
        persisted_before_broadcast && rows && rows->size() == 1 && rows->front().seq == event.seq;
    seen.push_back(event);
  }
  std::vector<Event> seen;
  bool persisted_before_broadcast = true;

 private:
  Store* store_;
};

// A store, a manual clock and a bus (testing::StoreFixture); each test subscribes its own
// recorders.
using EventBusTest = testing::StoreFixture;

TEST_F(EventBusTest, PublishPersistsThenBroadcastsWithIncreasingSeq) {
  Recorder r(store_.get());
  bus_->subscribe(&r);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(bus_->publish("test.tick", "", Json{{"i", i}}));
  ASSERT_EQ(r.seen.size(), 5u);
  EXPECT_TRUE(r.persisted_before_broadcast);
  for (size_t i = 1; i < r.seen.size(); ++i)
    EXPECT_EQ(r.seen[i].seq, r.seen[i - 1].seq + 1);
  bus_->unsubscribe(&r);
}

TEST_F(EventBusTest, ReplayReturnsMissedEventsInOrderWithLimit) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(bus_->publish("test.tick", "s", Json{{"i", i}}));
  auto latest = store_->events().latest_seq();
  ASSERT_TRUE(latest);
  auto page = store_->events().list_since(*latest - 4, 3);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 3u);
  EXPECT_EQ((*page)[0].seq, *latest - 3);
  EXPECT_EQ(event_data((*page)[0])["i"], 6);
  EXPECT_EQ(event_data((*page)[2])["i"], 8);
  auto rest = store_->events().list_since(*latest, 100);
  ASSERT_TRUE(rest);
  EXPECT_TRUE(rest->empty());
}

TEST_F(EventBusTest, EventTimestampComesFromTheClock) {
  clock_.advance(std::chrono::hours(1));
  auto e = bus_->publish("test.tick", "", Json::object());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at_ms, to_unix_ms(clock_.now()));
  auto wire = Json::parse(to_wire(*e));
  EXPECT_EQ(wire["at"], format_time(clock_.now()));
  EXPECT_EQ(wire["seq"], e->seq);
  EXPECT_TRUE(wire["data"].is_object());
}

TEST_F(EventBusTest, TransactionBroadcastsOnlyAfterCommit) {
  Recorder r(store_.get());
  bus_->subscribe(&r);
  {
    EventBus::Transaction tx(*bus_, *store_);
    ASSERT_TRUE(tx.begin());
    ASSERT_TRUE(tx.publish("test.a", "", Json::object()));
    EXPECT_TRUE(r.seen.empty());
    ASSERT_TRUE(tx.commit());
  }
  EXPECT_EQ(r.seen.size(), 1u);
  {
    EventBus::Transaction tx(*bus_, *store_);
    ASSERT_TRUE(tx.begin());
    ASSERT_TRUE(tx.publish("test.b", "", Json::object()));
    // Not committed: rolled back, never broadcast.
  }
  EXPECT_EQ(r.seen.size(), 1u);
  EXPECT_EQ(*store_->events().count(), 1);
  bus_->unsubscribe(&r);
}

TEST_F(EventBusTest, SubscriberMayUnsubscribeDuringBroadcast) {
  struct OneShot : EventSubscriber {
    EventBus* bus = nullptr;
    int calls = 0;
    void on_event(const Event&) override {
      ++calls;
      bus->unsubscribe(this);
    }
  } one;
  one.bus = bus_.get();
  Recorder r(store_.get());
  bus_->subscribe(&one);
  bus_->subscribe(&r);
  ASSERT_TRUE(bus_->publish("a", "", Json::object()));
  ASSERT_TRUE(bus_->publish("b", "", Json::object()));
  EXPECT_EQ(one.calls, 1);
  EXPECT_EQ(r.seen.size(), 2u);
  bus_->unsubscribe(&r);
}

// A subscriber that publishes while handling an event (the supervisor does) does not make the
// subscribers after it see the new event before the one being handed out.
TEST_F(EventBusTest, AnEventPublishedDuringABroadcastWaitsItsTurn) {
  struct Echo : EventSubscriber {
    EventBus* bus = nullptr;
    std::vector<std::string> seen;
    void on_event(const Event& event) override {
      seen.push_back(event.type);
      if (event.type == "a") {
        ASSERT_TRUE(bus->publish("b", "", Json::object()));
      } else if (event.type == "b") {
        ASSERT_TRUE(bus->publish("c", "", Json::object()));
      }
    }
  } echo;
  echo.bus = bus_.get();
  Recorder first(store_.get());
  Recorder last(store_.get());
  bus_->subscribe(&first);
  bus_->subscribe(&echo);
  bus_->subscribe(&last);
  ASSERT_TRUE(bus_->publish("a", "", Json::object()));
  auto types = [](const Recorder& r) {
    std::vector<std::string> out;
    for (const auto& e : r.seen)
      out.push_back(e.type);
    return out;
  };
  const std::vector<std::string> order{"a", "b", "c"};
  EXPECT_EQ(types(first), order);
  EXPECT_EQ(echo.seen, order);
  EXPECT_EQ(types(last), order);  // nested delivery gave c, b, a here
  for (size_t i = 1; i < last.seen.size(); ++i)
    EXPECT_LT(last.seen[i - 1].seq, last.seen[i].seq);
  EXPECT_TRUE(last.persisted_before_broadcast);
  bus_->unsubscribe(&first);
  bus_->unsubscribe(&last);
}

}  // namespace
}  // namespace bosun
