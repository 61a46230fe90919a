// HolderClient: the daemon's asynchronous connection to one `bosun hold` socket.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "term/holder_protocol.h"
#include "util/log.h"
#include "util/result.h"

namespace bosun::term {

class HolderClient : public std::enable_shared_from_this<HolderClient> {
 public:
  struct Handlers {
    std::function<void(uint64_t offset, std::string_view bytes)> on_output;
    std::function<void(uint64_t from, uint64_t to)> on_gap;
    std::function<void(const HolderStatus&)> on_status;
    std::function<void(const HolderStatus&)> on_exited;
    std::function<void(const std::string& message)> on_error;
    // The connection ended (holder exited, socket closed, protocol error).
    std::function<void(const std::string& reason)> on_disconnect;
  };

  // Shared: the read and write coroutines keep the client alive while they run.
  static std::shared_ptr<HolderClient> create(boost::asio::io_context& io, std::string socket_path,
                                              std::string agent_id, Log& log);

  // Connects to the socket; fails with 404 `holder_gone` when nobody answers there.
  boost::asio::awaitable<Status> connect();
  // Starts reading frames into the handlers (after connect()).
  void start(Handlers handlers);

  void attach(uint64_t from) { send(encode_attach(from)); }
  void input(std::string_view bytes);
  void resize(int cols, int rows) {
    send(encode_resize(static_cast<uint16_t>(cols), static_cast<uint16_t>(rows)));
  }
  void signal(int signo, SignalTarget target) { send(encode_signal(signo, target)); }
  void request_status() { send(encode_status_request()); }
  void stop(uint32_t grace_ms) { send(encode_stop(grace_ms)); }
  void collect() { send(encode_collect()); }

  // Closes the socket; no handler runs afterwards.
  void close();
  bool connected() const { return connected_; }
  size_t queued_bytes() const { return queued_; }

 private:
  HolderClient(boost::asio::io_context& io, std::string socket_path, std::string agent_id,
               Log& log);
  void send(std::string frame);
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void dispatch(const Frame& frame);
  void disconnect(const std::string& reason);

  boost::asio::io_context& io_;
  boost::asio::local::stream_protocol::socket socket_;
  std::string path_;
  std::string agent_id_;
  Log& log_;
  Handlers handlers_;
  FrameDecoder decoder_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  bool writing_ = false;
  bool connected_ = false;
  bool closed_ = false;
  bool silenced_ = false;  // close() was called: no handler runs any more
};

}  // namespace bosun::term
