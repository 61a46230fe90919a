// Clock: the seam through which all code reads time and waits for it, so tests can fake both.
// A Timer made by a clock fires when that clock reaches its deadline: the system clock's are
// asio steady timers, a ManualClock's fire when the test advances it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace boost::asio {
class io_context;
}

namespace bosun {

using TimePoint = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

// One deadline at a time. Arming again replaces the armed deadline; the replaced handler runs
// with `cancelled` true, as does the armed one on cancel() or when the timer is destroyed.
// Handlers run on the timer's io_context, never inside wait_until() or cancel().
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void wait_until(SteadyTime when, std::function<void(bool cancelled)> handler) = 0;
  virtual void cancel() = 0;
  // Waits for the deadline in a coroutine: true when it came, false when cancelled.
  boost::asio::awaitable<bool> wait(SteadyTime when);
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps that are stored and shown.
  virtual TimePoint now() const = 0;
  // Monotonic time, for durations and deadlines.
  virtual SteadyTime steady_now() const = 0;
  // A timer on this clock whose handlers run on `io`.
  virtual std::unique_ptr<Timer> timer(boost::asio::io_context& io) const = 0;
};

// The timers a service's coroutines wait on, each owned by its coroutine, all cancelled when the
// service ends: a wait left pending on a ManualClock would keep the coroutine that owns its
// timer (and so the wait) alive for ever.
class TimerSet {
 public:
  TimerSet(const Clock& clock, boost::asio::io_context& io) : clock_(clock), io_(io) {}
  ~TimerSet() { cancel_all(); }
  TimerSet(const TimerSet&) = delete;
  TimerSet& operator=(const TimerSet&) = delete;

  std::shared_ptr<Timer> make() {
    std::erase_if(live_, [](const std::weak_ptr<Timer>& t) { return t.expired(); });
    std::shared_ptr<Timer> timer = clock_.timer(io_);
    live_.push_back(timer);
    return timer;
  }
  void cancel_all() {
    for (auto& t : live_) {
      if (auto timer = t.lock()) timer->cancel();
    }
    live_.clear();
  }

 private:
  const Clock& clock_;
  boost::asio::io_context& io_;
  std::vector<std::weak_ptr<Timer>> live_;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> timer(boost::asio::io_context& io) const override;
};

// A clock that only moves when told to; for tests. Its timers fire (their handlers are posted
// to their io_context) when advance() reaches their deadline.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)))
      : wall_(start) {}
  ~ManualClock() override;
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  TimePoint now() const override { return wall_; }
  SteadyTime steady_now() const override { return steady_; }
  std::unique_ptr<Timer> timer(boost::asio::io_context& io) const override;
  void advance(Millis d);
  // The earliest armed deadline, if any timer is armed.
  std::optional<SteadyTime> next_deadline() const;

 private:
  class ManualTimer;
  TimePoint wall_;
  SteadyTime steady_{};
  mutable std::vector<ManualTimer*> timers_;  // alive timers made by this clock
};

// "2026-11-21T10:54:03.123Z" (UTC, millisecond precision).
std::string format_time(TimePoint t);
// Milliseconds since the Unix epoch of an RFC 3339 time ("2026-11-21T10:54:03Z", with any
// fraction of a second and a "Z" or ±HH:MM offset); nullopt when it is not one.
std::optional<int64_t> parse_time_ms(std::string_view text);
// Milliseconds since the Unix epoch.
int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(int64_t ms);

}  // namespace bosun
