// WebSocketChannel: a bounded send queue with one writer, a reader, and a close protocol.
#include "api/websocket.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace bosun {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How long a close may wait for the peer to take the frames already in flight.
constexpr auto kCloseGrace = std::chrono::seconds(30);
}  // namespace

WebSocketChannel::WebSocketChannel(beast::tcp_stream stream, std::string id, size_t queue_limit,
                                   size_t max_message, Log& log)
    : ws_(std::move(stream)),
      close_timer_(ws_.get_executor()),
      id_(std::move(id)),
      limit_(queue_limit),
      log_(log) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(max_message);
}

WebSocketChannel::~WebSocketChannel() = default;

asio::awaitable<bool> WebSocketChannel::accept(
    const beast::http::request<beast::http::string_body>& request) {
  auto [ec] = co_await ws_.async_accept(request, kNoThrow);
  if (ec) {
    log_.info("ws.handshake_failed", {{"ws", id_}, {"error", ec.message()}});
    closed_ = true;
    co_return false;
  }
  log_.debug("ws.open", {{"ws", id_}});
  co_return true;
}

asio::awaitable<void> WebSocketChannel::run() {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  while (!closed_) {
    auto [ec, n] = co_await ws_.async_read(buffer, kNoThrow);
    if (ec) {
      log_.debug("ws.read_end", {{"ws", id_}, {"error", ec.message()}});
      break;
    }
    if (on_message_ && !closing_) {
      auto data = buffer.data();
      std::string_view view(static_cast<const char*>(data.data()), data.size());
      // A handler that throws ends this connection (1011), never leaves it open unread.
      try {
        on_message_(view, ws_.got_binary());
      } catch (const std::exception& e) {
        log_.error("ws.handler_failed", {{"ws", id_}, {"what", e.what()}});
        close(kWsCloseInternalError, "internal error");
      }
    }
    buffer.consume(buffer.size());
  }
  teardown();
}

bool WebSocketChannel::send(WsPayload data, bool binary) {
  if (closing_ || closed_) return false;
  if (queued_ + data->size() > limit_) {
    std::string reason = slow_reason_ ? slow_reason_() : "slow consumer";
    log_.warn("ws.slow_consumer", {{"ws", id_}, {"queued", queued_}, {"limit", limit_}});
    close(kWsCloseSlowConsumer, std::move(reason));
    return false;
  }
  queued_ += data->size();
  queue_.push_back(Frame{std::move(data), binary});
  if (!writing_) pump();
  return true;
}

void WebSocketChannel::pump() {
  if (closed_) {
    writing_ = false;
    return;
  }
  if (!queue_.empty()) {
    writing_ = true;
    Frame frame = std::move(queue_.front());
    queue_.pop_front();
    queued_ -= frame.data->size();
    in_flight_ = std::move(frame.data);
    ws_.binary(frame.binary);
    ws_.async_write(asio::buffer(*in_flight_),
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->wrote(ec); });
    return;
  }
  if (closing_) {
    writing_ = true;
    // Reasons are limited to 123 bytes by the protocol.
    if (close_reason_.size() > 123) close_reason_.resize(123);
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_),
                                            beast::string_view(close_reason_)),
                    [self = shared_from_this()](beast::error_code) {
                      self->teardown();
                      self->writing_ = false;
                    });
    return;
  }
  writing_ = false;
  // The drain handler may queue more, which starts the next write.
  if (on_drain_) on_drain_();
}

void WebSocketChannel::wrote(beast::error_code ec) {
  in_flight_.reset();
  if (ec) {
    log_.debug("ws.write_failed", {{"ws", id_}, {"error", ec.message()}});
    teardown();
    writing_ = false;
    return;
  }
  pump();
}

void WebSocketChannel::close(uint16_t code, std::string reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  queued_ = 0;
  queue_.clear();
  log_.debug("ws.close", {{"ws", id_}, {"code", code}, {"reason", close_reason_}});
  // A peer that never reads never lets the frame in flight finish: cut it off.
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->teardown();
  });
  if (!writing_) pump();
}

void WebSocketChannel::teardown() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  queue_.clear();
  queued_ = 0;
  close_timer_.cancel();
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).socket().close(ec);
  // Handlers run from the loop, never from inside a caller that is iterating over channels.
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    auto handler = std::move(self->on_close_);
    self->on_message_ = nullptr;
    self->on_drain_ = nullptr;
    self->slow_reason_ = nullptr;
    if (handler) handler();
  });
}

}  // namespace bosun
