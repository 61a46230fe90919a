// EventWait: a subscriber that cancels a timer when its event arrives.
#include "api/event_wait.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bosun {

namespace asio = boost::asio;

namespace {

class Waiter final : public EventSubscriber {
 public:
  Waiter(const asio::any_io_executor& executor, std::function<bool(const Event&)> match)
      : timer_(executor), match_(std::move(match)) {}

  void on_event(const Event& event) override {
    if (found_ || !match_(event)) return;
    found_ = event;
    timer_.cancel();
  }

  asio::steady_timer timer_;
  std::function<bool(const Event&)> match_;
  std::optional<Event> found_;
};

}  // namespace

asio::awaitable<std::optional<Event>> wait_event(EventBus& bus,
                                                 std::function<bool(const Event&)> match,
                                                 std::chrono::milliseconds timeout) {
  Waiter waiter(co_await asio::this_coro::executor, std::move(match));
  waiter.timer_.expires_after(timeout);
  bus.subscribe(&waiter);
  boost::system::error_code ec;
  co_await waiter.timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  bus.unsubscribe(&waiter);
  co_return waiter.found_;
}

}  // namespace bosun
