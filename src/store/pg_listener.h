// PgListener: wakes this daemon when another daemon on the same PostgreSQL database appended
// events. It LISTENs on a connection of its own that never opens a transaction, read on the
// loop through an Asio descriptor (libpq's asynchronous API: no thread, no wait). A
// notification carries nothing but the hint: whoever is woken reads the log, which stays the
// truth. A lost connection is opened again after a second, and being connected again wakes too
// (a notification may have gone by meanwhile); a poll every `poll` wakes as well, whatever
// happens to notifications.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

class PgListener {
 public:
  PgListener(boost::asio::io_context& io, std::string url, std::chrono::milliseconds poll,
             std::function<void()> wake, Log& log);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  void start();

 private:
  boost::asio::awaitable<void> listen();
  boost::asio::awaitable<void> poll();

  boost::asio::io_context& io_;
  std::string url_;
  std::chrono::milliseconds poll_;
  std::function<void()> wake_;
  Log& log_;
  Lifetime lifetime_;
};

}  // namespace bosun
