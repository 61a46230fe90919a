// The clocks' timers: asio steady timers for the system clock, and timers a ManualClock fires
// as a test advances it.
#include "util/clock.h"

#include <algorithm>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bosun {

namespace asio = boost::asio;

asio::awaitable<bool> Timer::wait(SteadyTime when) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(bool)>(
      [this, when](auto handler) {
        // The coroutine's handler moves only; the timer's handler is a std::function.
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        wait_until(when, [h](bool cancelled) { std::move (*h)(!cancelled); });
      },
      asio::use_awaitable);
}

namespace {

class SystemTimer final : public Timer {
 public:
  explicit SystemTimer(asio::io_context& io) : timer_(io) {}
  void wait_until(SteadyTime when, std::function<void(bool)> handler) override {
    timer_.expires_at(when);  // a wait armed before completes as cancelled
    timer_.async_wait(
        [h = std::move(handler)](const boost::system::error_code& ec) { h(ec.failed()); });
  }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Timer> SystemClock::timer(asio::io_context& io) const {
  return std::make_unique<SystemTimer>(io);
}

class ManualClock::ManualTimer final : public Timer {
 public:
  ManualTimer(const ManualClock& clock, asio::io_context& io) : clock_(&clock), io_(io) {
    clock.timers_.push_back(this);
  }
  ~ManualTimer() override {
    finish(true);
    if (clock_) std::erase(clock_->timers_, this);
  }
  ManualTimer(const ManualTimer&) = delete;
  ManualTimer& operator=(const ManualTimer&) = delete;

  void wait_until(SteadyTime when, std::function<void(bool)> handler) override {
    finish(true);
    when_ = when;
    handler_ = std::move(handler);
    if (clock_ && when_ <= clock_->steady_now()) finish(false);
  }
  void cancel() override { finish(true); }

  bool armed() const { return static_cast<bool>(handler_); }
  SteadyTime when() const { return when_; }
  // The deadline came (cancelled false) or the wait ended: the handler runs on the io_context.
  void finish(bool cancelled) {
    if (!handler_) return;
    asio::post(io_, [h = std::move(handler_), cancelled] { h(cancelled); });
    handler_ = nullptr;
  }
  void forget_clock() { clock_ = nullptr; }

 private:
  const ManualClock* clock_;
  asio::io_context& io_;
  SteadyTime when_{};
  std::function<void(bool)> handler_;
};

ManualClock::~ManualClock() {
  for (ManualTimer* t : timers_)
    t->forget_clock();
}

std::unique_ptr<Timer> ManualClock::timer(asio::io_context& io) const {
  return std::make_unique<ManualTimer>(*this, io);
}

void ManualClock::advance(Millis d) {
  wall_ += d;
  steady_ += d;
  // In deadline order, so handlers run in the order their times came.
  std::vector<ManualTimer*> due;
  for (ManualTimer* t : timers_) {
    if (t->armed() && t->when() <= steady_) due.push_back(t);
  }
  std::stable_sort(due.begin(), due.end(), [](const ManualTimer* a, const ManualTimer* b) {
    return a->when() < b->when();
  });
  for (ManualTimer* t : due)
    t->finish(false);
}

std::optional<SteadyTime> ManualClock::next_deadline() const {
  std::optional<SteadyTime> next;
  for (const ManualTimer* t : timers_) {
    if (t->armed() && (!next || t->when() < *next)) next = t->when();
  }
  return next;
}

}  // namespace bosun
