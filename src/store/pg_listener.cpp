// PgListener: LISTEN bosun_events on the loop, with libpq's asynchronous API.
#include "store/pg_listener.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bosun {
namespace asio = boost::asio;
namespace {

using Wait = asio::posix::descriptor_base::wait_type;

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// Until libpq's socket (which may change while connecting) is ready for `what`.
asio::awaitable<bool> socket_ready(asio::io_context& io, PGconn* conn, Wait what) {
  int fd = ::dup(PQsocket(conn));
  if (fd < 0) co_return false;
  asio::posix::stream_descriptor socket(io, fd);
  boost::system::error_code ec;
  co_await socket.async_wait(what, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

// A connection, made without blocking, that has said LISTEN; null (and `error`) when it can't.
asio::awaitable<Conn> connect_listening(asio::io_context& io, const std::string& url,
                                        std::string& error) {
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {"5", url.c_str(), nullptr};
  Conn conn(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
    error = conn ? first_line(PQerrorMessage(conn.get())) : "out of memory";
    co_return Conn();
  }
  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING; st != PGRES_POLLING_OK;) {
    if (st == PGRES_POLLING_FAILED) {
      error = first_line(PQerrorMessage(conn.get()));
      co_return Conn();
    }
    bool ready = co_await socket_ready(
        io, conn.get(), st == PGRES_POLLING_READING ? Wait::wait_read : Wait::wait_write);
    if (!ready) {
      error = "the connection's socket failed";
      co_return Conn();
    }
    st = PQconnectPoll(conn.get());
  }
  PQsetnonblocking(conn.get(), 1);
  if (!PQsendQuery(conn.get(), "LISTEN bosun_events")) {
    error = first_line(PQerrorMessage(conn.get()));
    co_return Conn();
  }
  while (PQflush(conn.get()) == 1) {
    if (!co_await socket_ready(io, conn.get(), Wait::wait_write)) co_return Conn();
  }
  for (;;) {
    if (!PQconsumeInput(conn.get())) {
      error = first_line(PQerrorMessage(conn.get()));
      co_return Conn();
    }
    if (PQisBusy(conn.get())) {
      if (!co_await socket_ready(io, conn.get(), Wait::wait_read)) co_return Conn();
      continue;
    }
    PGresult* result = PQgetResult(conn.get());
    if (!result) break;
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) error = first_line(PQresultErrorMessage(result));
    PQclear(result);
    if (!ok) co_return Conn();
  }
  co_return conn;
}

}  // namespace

PgListener::PgListener(asio::io_context& io, std::string url, std::chrono::milliseconds poll,
                       std::function<void()> wake, Log& log)
    : io_(io), url_(std::move(url)), poll_(poll), wake_(std::move(wake)), log_(log) {}

PgListener::~PgListener() {
  lifetime_.end();
}

void PgListener::start() {
  asio::co_spawn(io_, listen(), asio::detached);
  asio::co_spawn(io_, poll(), asio::detached);
}

asio::awaitable<void> PgListener::poll() {
  auto life = lifetime_.guard();
  asio::steady_timer timer(io_);
  while (life.alive()) {
    timer.expires_after(poll_);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!life.alive()) co_return;
    wake_();
  }
}

asio::awaitable<void> PgListener::listen() {
  auto life = lifetime_.guard();
  asio::steady_timer backoff(io_);
  bool was_lost = false;
  while (life.alive()) {
    std::string error;
    Conn conn = co_await connect_listening(io_, url_, error);
    if (!life.alive()) co_return;
    if (conn) {
      if (was_lost) log_.info("store.listening_again", {});
      was_lost = false;
      wake_();  // what was appended while nobody listened
      int fd = ::dup(PQsocket(conn.get()));
      asio::posix::stream_descriptor socket(io_, fd);
      for (;;) {
        boost::system::error_code ec;
        co_await socket.async_wait(Wait::wait_read, asio::redirect_error(asio::use_awaitable, ec));
        if (!life.alive()) co_return;
        if (ec || !PQconsumeInput(conn.get())) {
          error = ec ? ec.message() : first_line(PQerrorMessage(conn.get()));
          break;
        }
        bool woken = false;
        while (PGnotify* n = PQnotifies(conn.get())) {
          PQfreemem(n);
          woken = true;
        }
        // Anything else the server says (a notice) is read and let go.
        while (!PQisBusy(conn.get())) {
          PGresult* result = PQgetResult(conn.get());
          if (!result) break;
          PQclear(result);
        }
        if (PQstatus(conn.get()) == CONNECTION_BAD) {
          error = first_line(PQerrorMessage(conn.get()));
          break;
        }
        if (woken) wake_();
      }
    }
    if (!was_lost) log_.warn("store.listen_lost", {{"error", error}});
    was_lost = true;
    backoff.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace bosun
