// TerminalSocket: a Beast WebSocket client with a write queue, for attach and logs --follow.
#include "cli/terminal_socket.h"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "api/http_status.h"

namespace bosun::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct TerminalSocket::Impl {
  Impl(asio::io_context& io, Endpoint ep) : endpoint(std::move(ep)), ws(io) {}
  Endpoint endpoint;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  struct Out {
    bool binary;
    std::string data;
  };
  std::deque<Out> queue;
  bool writing = false;
  bool open = false;
};

namespace {

asio::awaitable<void> drain(std::shared_ptr<TerminalSocket::Impl> impl) {
  impl->writing = true;
  while (!impl->queue.empty() && impl->open) {
    auto out = std::move(impl->queue.front());
    impl->queue.pop_front();
    impl->ws.binary(out.binary);
    beast::error_code ec;
    co_await impl->ws.async_write(asio::buffer(out.data),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // the reader sees the end of the connection and reports it
  }
  impl->writing = false;
}

void enqueue(const std::shared_ptr<TerminalSocket::Impl>& impl, bool binary, std::string data) {
  if (!impl->open) return;
  impl->queue.push_back({binary, std::move(data)});
  if (!impl->writing) {
    asio::co_spawn(impl->ws.get_executor(), drain(impl), asio::detached);
  }
}

uint64_t read_be64(const std::string& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

TerminalSocket::TerminalSocket(asio::io_context& io, Endpoint endpoint)
    : impl_(std::make_shared<Impl>(io, std::move(endpoint))) {}

TerminalSocket::~TerminalSocket() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

asio::awaitable<Status> TerminalSocket::connect(const std::string& agent, uint64_t from) {
  auto& ep = impl_->endpoint;
  beast::error_code ec;
  tcp::resolver resolver(impl_->ws.get_executor());
  auto results = co_await resolver.async_resolve(ep.host, ep.port,
                                                 asio::redirect_error(asio::use_awaitable, ec));
  auto& stream = beast::get_lowest_layer(impl_->ws);
  if (!ec) {
    stream.expires_after(std::chrono::seconds(10));
    co_await stream.async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    co_return fail(ErrorKind::kUnavailable, "no_daemon",
                   fmt::format("cannot reach the daemon ({}): {}", ep.origin, ec.message()));
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  impl_->ws.set_option(websocket::stream_base::decorator([token = ep.token](auto& req) {
    req.set(beast::http::field::authorization, "Bearer " + token);
    req.set(beast::http::field::user_agent, "bosun-cli");
  }));
  websocket::response_type response;
  std::string target = fmt::format("/api/v1/agents/{}/terminal?mode=binary&from={}", agent, from);
  co_await impl_->ws.async_handshake(response, ep.host + ":" + ep.port, target,
                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    int status = static_cast<int>(response.result_int());
    Json body = Json::parse(response.body(), nullptr, false);
    if (!body.is_discarded() && body.contains("error")) {
      co_return fail(error_kind(status), body["error"].value("code", "error"),
                     body["error"].value("message", response.body()));
    }
    co_return fail(ErrorKind::kUnavailable, "ws_handshake",
                   "terminal connection refused: " + ec.message());
  }
  stream.expires_never();
  websocket::stream_base::timeout timeouts{std::chrono::seconds(10), std::chrono::seconds(30),
                                           true};
  impl_->ws.set_option(timeouts);
  impl_->open = true;
  co_return Status{};
}

asio::awaitable<Result<TerminalFrame>> TerminalSocket::read() {
  beast::error_code ec;
  impl_->buffer.clear();
  co_await impl_->ws.async_read(impl_->buffer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    impl_->open = false;
    if (ec == websocket::error::closed) {
      const auto& reason = impl_->ws.reason();
      std::string why = reason.reason.empty() ? std::string("closed by the daemon")
                                              : std::string(reason.reason.c_str());
      co_return fail(ErrorKind::kUnavailable, "terminal_closed", why);
    }
    co_return fail(ErrorKind::kUnavailable, "terminal_closed",
                   "lost the connection to the daemon: " + ec.message());
  }
  std::string data = beast::buffers_to_string(impl_->buffer.data());
  TerminalFrame frame;
  if (impl_->ws.got_binary()) {
    if (data.size() < 8) co_return internal("bad_frame", "short output frame from the daemon");
    frame.output = true;
    frame.offset = read_be64(data);
    frame.bytes = data.substr(8);
    co_return frame;
  }
  frame.message = Json::parse(data, nullptr, false);
  if (!frame.message.is_object()) {
    co_return internal("bad_frame", "the daemon sent a frame that is not JSON");
  }
  co_return frame;
}

void TerminalSocket::send_input(std::string bytes) {
  enqueue(impl_, true, std::move(bytes));
}

void TerminalSocket::send_message(const Json& message) {
  enqueue(impl_, false, dump_json(message));
}

asio::awaitable<void> TerminalSocket::close() {
  if (!impl_->open) co_return;
  impl_->open = false;
  beast::error_code ec;
  if (impl_->writing) {  // a close frame may not overlap a write: end the connection instead
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
    co_return;
  }
  // Bounded by the handshake timeout set in connect().
  co_await impl_->ws.async_close(websocket::close_code::normal,
                                 asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace bosun::cli
