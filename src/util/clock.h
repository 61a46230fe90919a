// Clock: the seam through which all code reads time, so tests can fake it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bosun {

using TimePoint = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps that are stored and shown.
  virtual TimePoint now() const = 0;
  // Monotonic time, for durations and deadlines.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1'800'000'000)))
      : wall_(start) {}
  TimePoint now() const override { return wall_; }
  std::chrono::steady_clock::time_point steady_now() const override { return steady_; }
  void advance(Millis d) {
    wall_ += d;
    steady_ += d;
  }

 private:
  TimePoint wall_;
  std::chrono::steady_clock::time_point steady_{};
};

// "2026-11-21T10:54:03.123Z" (UTC, millisecond precision).
std::string format_time(TimePoint t);
// Milliseconds since the Unix epoch.
int64_t to_unix_ms(TimePoint t);
TimePoint from_unix_ms(int64_t ms);

}  // namespace bosun
