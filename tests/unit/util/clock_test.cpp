// Timers on the clock: a ManualClock's fire only when it is advanced to their deadline, in
// deadline order, on their io_context; arming again, cancelling or destroying one ends the
// armed wait as cancelled; a coroutine can wait on one. The system clock's are real.
#include "util/clock.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace bosun {
namespace {

using std::chrono::milliseconds;

TEST(ManualClockTimers, FireOnlyWhenTheClockReachesThemInDeadlineOrder) {
  boost::asio::io_context io;
  ManualClock clock;
  std::vector<std::string> fired;
  auto late = clock.timer(io);
  auto early = clock.timer(io);
  late->wait_until(clock.steady_now() + milliseconds(200),
                   [&](bool cancelled) { fired.push_back(cancelled ? "late cancelled" : "late"); });
  early->wait_until(clock.steady_now() + milliseconds(100), [&](bool cancelled) {
    fired.push_back(cancelled ? "early cancelled" : "early");
  });
  EXPECT_EQ(clock.next_deadline(), clock.steady_now() + milliseconds(100));
  io.poll();
  EXPECT_TRUE(fired.empty());
  clock.advance(milliseconds(99));
  io.restart();
  io.poll();
  EXPECT_TRUE(fired.empty());
  clock.advance(milliseconds(150));  // past both: they run in deadline order
  EXPECT_TRUE(fired.empty()) << "handlers run on the io_context, not inside advance()";
  io.restart();
  io.poll();
  EXPECT_EQ(fired, (std::vector<std::string>{"early", "late"}));
  EXPECT_FALSE(clock.next_deadline());
}

TEST(ManualClockTimers, ArmingAgainCancellingOrDestroyingEndsTheWaitAsCancelled) {
  boost::asio::io_context io;
  ManualClock clock;
  std::vector<std::string> fired;
  auto t = clock.timer(io);
  auto record = [&](std::string name) {
    return
        [&fired, name](bool cancelled) { fired.push_back(name + (cancelled ? " cancelled" : "")); };
  };
  t->wait_until(clock.steady_now() + milliseconds(100), record("first"));
  t->wait_until(clock.steady_now() + milliseconds(300), record("second"));  // replaces
  t->cancel();
  t->wait_until(clock.steady_now() + milliseconds(50), record("third"));
  t.reset();
  auto due = clock.timer(io);
  due->wait_until(clock.steady_now(), record("due now"));  // a deadline already reached
  clock.advance(milliseconds(1000));
  io.poll();
  EXPECT_EQ(fired, (std::vector<std::string>{"first cancelled", "second cancelled",
                                             "third cancelled", "due now"}));
}

TEST(ManualClockTimers, ACoroutineWaitsUntilTheDeadlineOrACancel) {
  boost::asio::io_context io;
  ManualClock clock;
  auto t = clock.timer(io);
  std::optional<bool> result;
  auto waiter = [&](milliseconds d) -> boost::asio::awaitable<void> {
    result = co_await t->wait(clock.steady_now() + d);
  };
  boost::asio::co_spawn(io, waiter(milliseconds(500)), boost::asio::detached);
  io.poll();
  EXPECT_FALSE(result);
  clock.advance(milliseconds(500));
  io.restart();
  io.poll();
  EXPECT_EQ(result, true);

  result.reset();
  boost::asio::co_spawn(io, waiter(milliseconds(500)), boost::asio::detached);
  io.restart();
  io.poll();
  t->cancel();
  io.restart();
  io.poll();
  EXPECT_EQ(result, false);
}

TEST(SystemClockTimers, FireAfterRealTime) {
  boost::asio::io_context io;
  SystemClock clock;
  auto t = clock.timer(io);
  auto start = clock.steady_now();
  std::optional<bool> cancelled;
  t->wait_until(start + milliseconds(20), [&](bool c) { cancelled = c; });
  io.run_for(std::chrono::seconds(5));
  ASSERT_EQ(cancelled, false);
  EXPECT_GE(clock.steady_now() - start, milliseconds(20));
}

TEST(Times, Rfc3339TimesParseToUnixMilliseconds) {
  EXPECT_EQ(parse_time_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_time_ms("2026-11-21T10:54:03.123Z"), 1795258443123);
  EXPECT_EQ(format_time(from_unix_ms(*parse_time_ms("2026-11-21T10:54:03.123Z"))),
            "2026-11-21T10:54:03.123Z");
  // Any fraction (Go writes nanoseconds), offsets both ways, a space for the T.
  EXPECT_EQ(parse_time_ms("2025-01-10T08:30:00.123456789+02:00"),
            parse_time_ms("2025-01-10T06:30:00.123Z"));
  EXPECT_EQ(parse_time_ms("2025-01-09T20:00:00-05:30"), parse_time_ms("2025-01-10T01:30:00Z"));
  EXPECT_EQ(parse_time_ms("2025-01-10 06:30:00Z"), parse_time_ms("2025-01-10T06:30:00Z"));
  for (const char* bad :
       {"", "yesterday", "2025-01-10", "2025-01-10T06:30:00", "2025-13-01T00:00:00Z",
        "2025-01-10T06:30:00.Z", "2025-01-10T06:30:00Zjunk", "2025-01-10T06:30:00+0200",
        "2025-01-10T25:00:00Z"}) {
    EXPECT_EQ(parse_time_ms(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace bosun
