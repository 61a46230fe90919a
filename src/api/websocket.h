// WebSocketChannel: the Beast implementation of WsChannel (transport only; include from
// http_server.cpp and websocket.cpp, never from handlers).
#pragma once

#include <deque>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "api/ws_channel.h"
#include "util/log.h"

namespace bosun {

class WebSocketChannel final : public WsChannel,
                               public std::enable_shared_from_this<WebSocketChannel> {
 public:
  WebSocketChannel(boost::beast::tcp_stream stream, std::string id, size_t queue_limit,
                   size_t max_message, Log& log);
  ~WebSocketChannel() override;

  // Completes the handshake for `request`; false when it failed.
  boost::asio::awaitable<bool> accept(
      const boost::beast::http::request<boost::beast::http::string_body>& request);
  // Reads messages until the connection ends, then runs the close handler.
  boost::asio::awaitable<void> run();

  bool send(WsPayload data, bool binary) override;
  void close(uint16_t code, std::string reason) override;
  bool is_open() const override { return !closing_ && !closed_; }
  size_t queued_bytes() const override { return queued_; }
  size_t queue_limit() const override { return limit_; }
  const std::string& id() const override { return id_; }
  void on_message(std::function<void(std::string_view, bool)> handler) override {
    on_message_ = std::move(handler);
  }
  void on_close(std::function<void()> handler) override { on_close_ = std::move(handler); }
  void on_drain(std::function<void()> handler) override { on_drain_ = std::move(handler); }
  void set_slow_close_reason(std::function<std::string()> reason) override {
    slow_reason_ = std::move(reason);
  }

 private:
  struct Frame {
    WsPayload data;
    bool binary;
  };
  // Starts the next write (a frame, or the close frame once closing) unless one is in
  // flight; with nothing left to write, runs the drain handler. Completion handlers, not a
  // coroutine: an idle channel holds nothing on the write side.
  void pump();
  void wrote(boost::beast::error_code ec);
  // Ends the TCP connection and runs the close handler once (posted, never inline).
  void teardown();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::asio::steady_timer close_timer_;
  std::string id_;
  size_t limit_;
  Log& log_;
  std::deque<Frame> queue_;
  WsPayload in_flight_;  // the frame being written, kept alive until its write completes
  size_t queued_ = 0;
  bool writing_ = false;
  bool closing_ = false;  // close requested: nothing more is queued
  bool closed_ = false;   // the connection is gone
  uint16_t close_code_ = 1000;
  std::string close_reason_;
  std::function<void(std::string_view, bool)> on_message_;
  std::function<void()> on_close_;
  std::function<void()> on_drain_;
  std::function<std::string()> slow_reason_;
};

}  // namespace bosun
