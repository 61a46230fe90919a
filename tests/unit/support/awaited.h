// awaited: runs a coroutine to its end on a test's io_context and returns what it returned —
// for the calls that are coroutines because their store work may leave the loop (the tests'
// runner is inline, so they finish once what is ready has run).
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace bosun::testing {

template <typename T>
std::optional<T> awaited(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr failed;
  boost::asio::co_spawn(io, std::move(work), [&](const std::exception_ptr& e, T r) {
    failed = e;
    if (!e) out = std::move(r);
  });
  for (int i = 0; i < 1000 && !out && !failed; ++i) {
    io.restart();
    io.poll();
  }
  if (failed) std::rethrow_exception(failed);
  EXPECT_TRUE(out.has_value()) << "the coroutine did not finish with what was ready";
  return out;
}

}  // namespace bosun::testing
