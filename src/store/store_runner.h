// StoreRunner: where the loop's store work runs, so that a store whose round trips cross a
// network never holds up the loop. Work is a function of a Store and the EventBus over it; the
// embedded SQLite store runs it inline on the loop's connection (a local file answers in
// microseconds), a StoreWorker on a connection and thread of its own while the coroutine that
// asked waits, suspended, and the loop serves everything else. Either way the events the work
// published reach the loop's subscribers, in sequence order, before that coroutine resumes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/event_bus.h"
#include "store/store.h"
#include "util/clock.h"

namespace bosun {

// A second connection to the store's database with its own EventBus (Mode::kNone: the loop's
// bus reads the events back from the log) and one thread that runs work on it, one piece at a
// time, in the order it was handed in. `round_trip` is waited on that thread before each piece:
// zero for SQLite; a stand-in for a network's latency in tests of the seam.
class StoreWorker {
 public:
  // `host`: this daemon's on a shared store (Store::set_host), else empty.
  static Result<std::unique_ptr<StoreWorker>> open(const std::string& path, const Clock& clock,
                                                   std::chrono::milliseconds round_trip,
                                                   const std::string& host = "");
  // Runs what was handed in, then joins the thread.
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs `work(store, bus)` on the worker's thread; the awaiting coroutine resumes on its own
  // executor with what `work` returned. `work` stays the caller's (it lives in the awaiting
  // frame) and must not touch what the loop owns.
  // Runs `work(store, bus)` on the worker's thread, behind what was handed in before; what it
  // returns is the caller's to send back.
  template <typename G>
  void post(G work) {
    boost::asio::post(pool_, [this, work = std::move(work)]() mutable {
      wait_round_trip();
      work(*store_, *bus_);
    });
  }

  // Runs `work(store, bus)` on the worker's thread; the awaiting coroutine resumes on its own
  // executor with what `work` returned, once the events the log gained meanwhile (this work's
  // and any other connection's) were handed to `loop_bus`. `work` stays the caller's (it lives
  // in the awaiting frame) and must not touch what the loop owns.
  template <typename F>
  auto run(F& work, EventBus& loop_bus)
      -> boost::asio::awaitable<std::invoke_result_t<F&, Store&, EventBus&>> {
    using R = std::invoke_result_t<F&, Store&, EventBus&>;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(R)>(
        [this, work = &work, bus = &loop_bus](auto handler) {
          auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          boost::asio::post(pool_, [this, work, bus, handler = std::move(handler),
                                    guard = std::move(guard)]() mutable {
            wait_round_trip();
            R result = (*work)(*store_, *bus_);
            boost::asio::post(guard.get_executor(),
                              [bus, events = read_events(), handler = std::move(handler),
                               result = std::move(result)]() mutable {
                                bus->deliver(events);
                                std::move(handler)(std::move(result));
                              });
          });
        },
        boost::asio::use_awaitable);
  }

  // On the worker's thread: the events the log holds after the last ones read here, in
  // sequence order (none when the log can't be read now: the next read gets them).
  std::vector<Event> read_events();
  // Where the reads start: after `seq`. Before any work is under way.
  void read_from(int64_t seq) { read_to_ = seq; }

 private:
  StoreWorker(std::unique_ptr<Store> store, const Clock& clock,
              std::chrono::milliseconds round_trip);
  void wait_round_trip() const;

  std::unique_ptr<Store> store_;
  std::unique_ptr<EventBus> bus_;
  std::chrono::milliseconds round_trip_;
  int64_t read_to_ = 0;               // the worker thread's: the highest sequence number it read
  boost::asio::thread_pool pool_{1};  // last: joined first, while the store is still open
};

class StoreRunner {
 public:
  // Runs work inline on `store` and `bus`, the loop's.
  StoreRunner(Store& store, EventBus& bus) : store_(store), bus_(bus) {}
  // From now on work runs on `worker`, and `bus` (the loop's) reads the events from the log;
  // submitted work resumes on `io`, the loop's. Before any work is under way.
  Status use(std::unique_ptr<StoreWorker> worker, boost::asio::io_context& io);
  StoreRunner(const StoreRunner&) = delete;
  StoreRunner& operator=(const StoreRunner&) = delete;

  // `work(store, bus)`, inline or on the worker; what it returns, once its events were handed
  // out. On the worker `work` runs on another thread: it may use only its store, its bus and
  // what it captured (the awaiting coroutine's locals stay put while it waits).
  //
  // `work` is a named object of the awaiting coroutine, never a temporary: g++ 12 destroys
  // twice a closure temporary with a destructor (one that captured a string) inside a
  // co_await, and an lvalue reference can't bind one, so that mistake doesn't compile.
  template <typename F>
  auto run(F& work) -> boost::asio::awaitable<std::invoke_result_t<F&, Store&, EventBus&>> {
    if (!worker_) co_return work(store_, bus_);
    co_return co_await worker_->run(work, bus_);
  }

  // For a caller that does not wait: runs `work(store, bus)`, then `then(result)` on the loop —
  // inline, both before submit returns; on the worker, `then` once the work is back (submitted
  // work runs in the order it was submitted). `then` checks that what it touches still lives.
  template <typename F, typename Then>
  void submit(F work, Then then) {
    if (!worker_) {
      then(work(store_, bus_));
      return;
    }
    // Straight into the worker's queue, behind what was handed in before (run or submit), so
    // writes to one row land in the order they were asked for.
    // The loop has work to come until `then` is posted back to it.
    worker_->post(
        [this, work = std::move(work), then = std::move(then),
         guard = boost::asio::make_work_guard(*io_)](Store& store, EventBus& bus) mutable {
          auto result = work(store, bus);
          boost::asio::post(*io_, [this, then = std::move(then), events = worker_->read_events(),
                                   result = std::move(result)]() mutable {
            bus_.deliver(events);
            then(std::move(result));
          });
          guard.reset();
        });
  }

  // Resumes once every piece of work handed in before it has run and what follows it on the
  // loop is done: what a caller awaits before it answers for writes it handed in without
  // waiting for them. Inline, nothing is ever left to wait for.
  boost::asio::awaitable<void> settled() {
    if (!worker_) co_return;
    auto nothing = [](Store&, EventBus&) { return 0; };
    (void)co_await run(nothing);
  }

  // An event that nothing else is written with, through submit; a failure is logged.
  void publish(std::string type, std::string subject, Json data);

  // Reads the log for what other connections appended (another daemon's host, on a shared
  // store) and hands it out; one read at a time, however often it is asked for. Nothing to do
  // inline: the loop's bus reads the log itself.
  void poll();

  // Whether work leaves the loop's thread.
  bool off_loop() const { return worker_ != nullptr; }

 private:
  Store& store_;
  EventBus& bus_;
  std::unique_ptr<StoreWorker> worker_;
  boost::asio::io_context* io_ = nullptr;  // with a worker: where submitted work resumes
  bool polling_ = false;                   // a poll is queued
};

}  // namespace bosun
