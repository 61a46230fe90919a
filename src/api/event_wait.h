// EventWait: a coroutine's bounded wait for the next event that matches — how a call that
// started work (a report's check) answers with its outcome when it comes quickly.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "store/event_bus.h"

namespace bosun {

// The first event published from now on for which `match` is true, or nullopt after `timeout`.
boost::asio::awaitable<std::optional<Event>> wait_event(EventBus& bus,
                                                        std::function<bool(const Event&)> match,
                                                        std::chrono::milliseconds timeout);

}  // namespace bosun
