// StoreRunner: inline work on the loop's store, work on a StoreWorker while the loop goes on,
// and the events of both reaching the loop's subscribers in sequence order.
#include "store/store_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "support/store_fixture.h"

namespace bosun {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Sequence numbers strictly increasing, each event once.
void expect_in_order(const std::vector<Event>& seen) {
  for (size_t i = 1; i < seen.size(); ++i)
    EXPECT_GT(seen[i].seq, seen[i - 1].seq) << "event " << i << " (" << seen[i].type << ")";
}

class StoreRunnerTest : public testing::StoreFixture {
 protected:
  std::unique_ptr<StoreRunner> with_worker(std::chrono::milliseconds round_trip = 0ms) {
    auto worker = StoreWorker::open(target_, worker_clock_, round_trip);
    EXPECT_TRUE(worker) << worker.error().message;
    auto runner = std::make_unique<StoreRunner>(*store_, *bus_);
    auto used = runner->use(std::move(*worker), io_);
    EXPECT_TRUE(used) << used.error().message;
    return runner;
  }
  // Runs `body` as a coroutine on `io_` until it and everything it started are done.
  void run(std::function<asio::awaitable<void>()> body) {
    asio::co_spawn(io_, std::move(body), asio::detached);
    io_.run();
    io_.restart();
  }
  SystemClock worker_clock_;  // the worker's events are stamped on its own thread
  asio::io_context io_;
};

TEST_F(StoreRunnerTest, InlineWorkRunsOnTheLoopsStoreAndItsEventsAreOutBeforeItReturns) {
  StoreRunner runner(*store_, *bus_);
  EXPECT_FALSE(runner.off_loop());
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id ran_on;
  size_t seen_when_back = 0;
  Result<int64_t> got = 0;
  run([&]() -> asio::awaitable<void> {
    auto work = [&](Store& store, EventBus& bus) -> Result<int64_t> {
      ran_on = std::this_thread::get_id();
      EXPECT_EQ(&store, store_.get());
      TRY(event, bus.publish("test.inline", "x", Json::object()));
      return event->seq;
    };
    got = co_await runner.run(work);
    seen_when_back = events_.seen.size();
  });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(ran_on, loop_thread);
  EXPECT_EQ(seen_when_back, 1u);
  EXPECT_EQ(events_.seen.at(0).seq, *got);
}

// Work that owns what it captured (strings): inline and on the worker it is destroyed once, by
// its owner (ASan and glibc's heap checks see a second; a temporary would be one, see run()).
TEST_F(StoreRunnerTest, WorkThatOwnsItsCapturesIsDestroyedOnce) {
  StoreRunner inline_runner(*store_, *bus_);
  auto worker = with_worker();
  ASSERT_TRUE(worker);
  std::vector<std::string> got;
  run([&]() -> asio::awaitable<void> {
    for (StoreRunner* runner : {&inline_runner, worker.get()}) {
      const std::string subject(64, 'x');  // long enough to live on the heap
      auto work = [subject, tag = std::string(48, 't')](Store&, EventBus& bus) {
        return bus.publish("test.owned", subject, Json{{"tag", tag}});
      };
      auto r = co_await runner->run(work);
      if (r) got.push_back(r->subject);
    }
  });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::string(64, 'x'));
  EXPECT_EQ(got[1], std::string(64, 'x'));
}

TEST_F(StoreRunnerTest, SubmittedWorkRunsInOrderAndItsFollowUpRunsOnTheLoop) {
  const auto loop_thread = std::this_thread::get_id();
  // Inline: the work and what follows it are done before submit returns.
  StoreRunner inline_runner(*store_, *bus_);
  int followed = 0;
  inline_runner.submit([](Store&, EventBus& bus) { return bus.publish("test.now", "", Json{}); },
                       [&](const Result<Event>& e) { followed += e ? 1 : 0; });
  EXPECT_EQ(followed, 1);
  ASSERT_EQ(events_.types(), std::vector<std::string>{"test.now"});
  // On the worker: submit returns at once; the works run in the order submitted and each
  // follow-up runs on the loop once its work is back.
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  std::vector<int64_t> order;
  bool all_on_loop = true;
  for (int i = 0; i < 5; ++i) {
    runner->submit(
        [i](Store&, EventBus& bus) {
          return bus.publish("test.later", "", Json{{"i", i}});
        },
        [&, i](const Result<Event>& e) {
          all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
          if (e) order.push_back(event_data(*e)["i"].get<int64_t>() * 10 + i);
        });
  }
  EXPECT_TRUE(order.empty());
  io_.run();
  io_.restart();
  EXPECT_EQ(order, (std::vector<int64_t>{0, 11, 22, 33, 44}));
  EXPECT_TRUE(all_on_loop);
  ASSERT_EQ(events_.seen.size(), 6u);
  expect_in_order(events_.seen);
}

TEST_F(StoreRunnerTest, WorkAwaitedAfterSubmittedWorkFindsWhatItWrote) {
  // One queue for both: a write handed in with submit is done before work awaited after it,
  // so what the loop reads back through the runner is never older than what it asked to write.
  auto runner = with_worker(5ms);
  ASSERT_TRUE(runner);
  std::vector<std::string> seen;
  run([&]() -> asio::awaitable<void> {
    for (int i = 1; i <= 3; ++i) {
      runner->submit(
          [i](Store& store, EventBus&) { return store.settings().set("test.n", Json(i)); },
          [](const Status& st) { EXPECT_TRUE(st) << st.error().message; });
      auto read = [](Store& store, EventBus&) { return store.settings().get("test.n"); };
      auto got = co_await runner->run(read);
      seen.push_back(got && *got ? (**got).dump() : "nothing");
    }
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(StoreRunnerTest, SettledResumesOnceWhatWasHandedInBeforeIsWrittenAndFollowedUp) {
  auto runner = with_worker(20ms);
  ASSERT_TRUE(runner);
  bool followed = false;
  std::optional<Json> read_on_loop;
  run([&]() -> asio::awaitable<void> {
    runner->submit(
        [](Store& store, EventBus&) { return store.settings().set("test.settled", Json(7)); },
        [&](const Status& st) { followed = st.has_value(); });
    co_await runner->settled();
    // Read on the loop's own connection, not through the runner.
    if (auto got = store_->settings().get("test.settled"); got && *got) read_on_loop = **got;
  });
  EXPECT_TRUE(followed);
  ASSERT_TRUE(read_on_loop.has_value());
  EXPECT_EQ(*read_on_loop, 7);
}

TEST_F(StoreRunnerTest, AnEventPublishedThroughTheRunnerReachesTheLoopsSubscribers) {
  StoreRunner inline_runner(*store_, *bus_);
  inline_runner.publish("test.inline", "s", Json{{"n", 1}});
  ASSERT_EQ(events_.types(), std::vector<std::string>{"test.inline"});  // before it returned
  auto runner = with_worker(2ms);
  ASSERT_TRUE(runner);
  runner->publish("test.worker", "s", Json{{"n", 2}});
  EXPECT_EQ(events_.seen.size(), 1u);  // on its way
  io_.run();
  io_.restart();
  ASSERT_EQ(events_.types(), (std::vector<std::string>{"test.inline", "test.worker"}));
  EXPECT_EQ(event_data(events_.seen[1])["n"], 2);
  expect_in_order(events_.seen);
}

TEST_F(StoreRunnerTest, TheLoopGoesOnWhileWorkWaitsOnTheWorker) {
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  EXPECT_TRUE(runner->off_loop());
  const auto loop_thread = std::this_thread::get_id();
  // The work waits until the loop has run a handler posted after the work was handed in: were
  // the loop waiting for the work, neither could go on and the wait would time out.
  std::promise<void> loop_went_on;
  auto went_on = loop_went_on.get_future();
  std::thread::id ran_on;
  Result<std::string> got = std::string();
  run([&]() -> asio::awaitable<void> {
    asio::post(io_, [&] { loop_went_on.set_value(); });
    auto work = [&](Store& store, EventBus& bus) -> Result<std::string> {
      ran_on = std::this_thread::get_id();
      EXPECT_NE(&store, store_.get());
      if (went_on.wait_for(10s) != std::future_status::ready) {
        return internal("test", "the loop waited for the store");
      }
      TRY_OK(bus.publish("test.worker", "w", Json{{"n", 1}}));
      return std::string("done");
    };
    got = co_await runner->run(work);
  });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "done");
  EXPECT_NE(ran_on, loop_thread);
  ASSERT_EQ(events_.types(), std::vector<std::string>{"test.worker"});
  EXPECT_EQ(event_data(events_.seen[0])["n"], 1);
}

TEST_F(StoreRunnerTest, EventsOfTheWorkerAndTheLoopReachSubscribersOnceInSequenceOrder) {
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  // The worker commits three events, then the loop publishes one before the worker's work has
  // returned: the loop's event comes after the worker's three, and nothing is handed out twice.
  std::promise<void> loop_published;
  auto published = loop_published.get_future();
  Status got;
  run([&]() -> asio::awaitable<void> {
    auto work = [&](Store& store, EventBus& bus) -> Status {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      for (int i = 0; i < 3; ++i)
        TRY_OK(tx.publish("test.worker", "w", Json{{"i", i}}));
      TRY_OK(tx.commit());
      asio::post(io_, [&] {
        EXPECT_TRUE(bus_->publish("test.loop", "l", Json::object()));
        loop_published.set_value();
      });
      if (published.wait_for(10s) != std::future_status::ready) {
        return internal("test", "the loop never published");
      }
      return {};
    };
    got = co_await runner->run(work);
    EXPECT_TRUE(bus_->publish("test.after", "", Json::object()));
  });
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(events_.types(), (std::vector<std::string>{"test.worker", "test.worker", "test.worker",
                                                       "test.loop", "test.after"}));
  expect_in_order(events_.seen);
}

// A subscriber that publishes when it is handed an event, while the log is being read back.
class Answerer : public EventSubscriber {
 public:
  explicit Answerer(EventBus& bus) : bus_(bus) {}
  void on_event(const Event& event) override {
    if (event.type == "test.question") {
      EXPECT_TRUE(bus_.publish("test.answer", event.subject, Json::object()));
    }
  }

 private:
  EventBus& bus_;
};

TEST_F(StoreRunnerTest, ASubscriberThatPublishesWhileTheLogIsReadBackSeesEachEventOnce) {
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  Answerer answerer(*bus_);
  bus_->subscribe(&answerer);
  // The worker commits two questions and a remark; reading them back, the first question's
  // answer is published (and read back) while the rest of the page waits its turn.
  Status got;
  run([&]() -> asio::awaitable<void> {
    auto work = [](Store& store, EventBus& bus) -> Status {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(tx.publish("test.question", "q1", Json::object()));
      TRY_OK(tx.publish("test.question", "q2", Json::object()));
      TRY_OK(tx.publish("test.remark", "r", Json::object()));
      return tx.commit();
    };
    got = co_await runner->run(work);
  });
  bus_->unsubscribe(&answerer);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(events_.types(),
            (std::vector<std::string>{"test.question", "test.question", "test.remark",
                                      "test.answer", "test.answer"}));
  expect_in_order(events_.seen);
}

TEST_F(StoreRunnerTest, WorkThatFailsReturnsItsErrorAndItsRolledBackEventsAreNeverOut) {
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  Status got;
  run([&]() -> asio::awaitable<void> {
    auto work = [](Store& store, EventBus& bus) -> Status {
      EventBus::Transaction tx(bus, store);
      TRY_OK(tx.begin());
      TRY_OK(tx.publish("test.rolled_back", "", Json::object()));
      return internal("test", "refused after writing");  // tx rolls back
    };
    got = co_await runner->run(work);
    EXPECT_TRUE(bus_->publish("test.kept", "", Json::object()));
  });
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message, "refused after writing");
  EXPECT_EQ(events_.types(), std::vector<std::string>{"test.kept"});
  auto count = store_->events().count();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 1);
}

TEST_F(StoreRunnerTest, WritesFromTheWorkerAndTheLoopInterleavedAreAllKept) {
  auto runner = with_worker();
  ASSERT_TRUE(runner);
  constexpr int kEach = 100;
  int failed = 0;
  int finished = 0;
  // Many pieces of work in flight at once, each followed by a write on the loop.
  for (int i = 0; i < kEach; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          auto work = [i](Store&, EventBus& bus) {
            return bus.publish("test.worker", "", Json{{"i", i}});
          };
          auto r = co_await runner->run(work);
          if (!r) ++failed;
          if (!bus_->publish("test.loop", "", Json{{"i", i}})) ++failed;
          ++finished;
        },
        asio::detached);
  }
  io_.run();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(finished, kEach);
  ASSERT_EQ(events_.seen.size(), 2u * kEach);
  expect_in_order(events_.seen);
  auto count = store_->events().count();
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 2 * kEach);
}

}  // namespace
}  // namespace bosun
