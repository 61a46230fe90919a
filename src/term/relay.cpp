// Relay: an accept loop per listening socket, and a splice per connection: each direction
// copies until its reader ends, then ends the other side's writing, so a half-closed HTTP
// exchange still gets its answer; an error closes both.
#include "term/relay.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace bosun::term {

namespace asio = boost::asio;
using asio::ip::tcp;
using local = asio::local::stream_protocol;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

template <class From, class To>
asio::awaitable<void> pump(std::shared_ptr<From> from, std::shared_ptr<To> to) {
  std::array<char, 16384> buffer{};
  boost::system::error_code ignored;
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(asio::buffer(buffer), kTuple);
    if (ec) {
      if (ec == asio::error::eof) {
        (void)to->shutdown(asio::socket_base::shutdown_send, ignored);
      } else {
        (void)from->close(ignored);
        (void)to->close(ignored);
      }
      co_return;
    }
    auto [wec, written] = co_await asio::async_write(*to, asio::buffer(buffer.data(), n), kTuple);
    if (wec) {
      (void)from->close(ignored);
      (void)to->close(ignored);
      co_return;
    }
  }
}

template <class A, class B>
asio::awaitable<void> splice(std::shared_ptr<A> a, std::shared_ptr<B> b) {
  using namespace asio::experimental::awaitable_operators;
  co_await (pump(a, b) && pump(b, a));
}

template <class Acceptor, class Target, class Connect>
asio::awaitable<void> accept_loop(std::shared_ptr<Acceptor> acceptor, Target to, Connect connect) {
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(kTuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) continue;
    auto in = std::make_shared<typename Acceptor::protocol_type::socket>(std::move(socket));
    asio::co_spawn(acceptor->get_executor(), connect(in, to), asio::detached);
  }
}

asio::awaitable<void> to_tcp(std::shared_ptr<local::socket> in, tcp::endpoint to) {
  auto out = std::make_shared<tcp::socket>(in->get_executor());
  auto [ec] = co_await out->async_connect(to, kTuple);
  if (ec) co_return;  // `in` closes as it goes
  co_await splice(in, out);
}

asio::awaitable<void> to_unix(std::shared_ptr<tcp::socket> in, std::string to) {
  auto out = std::make_shared<local::socket>(in->get_executor());
  auto [ec] = co_await out->async_connect(local::endpoint(to), kTuple);
  if (ec) co_return;
  co_await splice(in, out);
}

}  // namespace

Status start_unix_to_tcp_relay(asio::io_context& io, const std::string& path,
                               const tcp::endpoint& to) {
  ::unlink(path.c_str());
  auto acceptor = std::make_shared<local::acceptor>(io);
  boost::system::error_code ec;
  (void)acceptor->open(local(), ec);
  if (!ec) (void)acceptor->bind(local::endpoint(path), ec);
  if (!ec) ::chmod(path.c_str(), 0600);
  if (!ec) (void)acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return internal("relay_failed", "cannot listen on " + path + ": " + ec.message());
  asio::co_spawn(io, accept_loop(acceptor, to, to_tcp), asio::detached);
  return {};
}

Status start_tcp_to_unix_relay(asio::io_context& io, int port, const std::string& to) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  boost::system::error_code ec;
  tcp::endpoint at(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port));
  (void)acceptor->open(at.protocol(), ec);
  if (!ec) (void)acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) (void)acceptor->bind(at, ec);
  if (!ec) (void)acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return internal("relay_failed",
                    "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  }
  asio::co_spawn(io, accept_loop(acceptor, to, to_unix), asio::detached);
  return {};
}

}  // namespace bosun::term
