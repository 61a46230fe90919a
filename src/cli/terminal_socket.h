// TerminalSocket: the CLI's side of an agent's terminal WebSocket (binary mode).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/client.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun::cli {

// One frame from the daemon: output (binary: offset + bytes) or a JSON message
// (status, gap, error).
struct TerminalFrame {
  bool output = false;
  uint64_t offset = 0;
  std::string bytes;
  Json message;
};

class TerminalSocket {
 public:
  TerminalSocket(boost::asio::io_context& io, Endpoint endpoint);
  ~TerminalSocket();
  TerminalSocket(const TerminalSocket&) = delete;
  TerminalSocket& operator=(const TerminalSocket&) = delete;

  // Opens /api/v1/agents/{agent}/terminal?mode=binary&from=FROM.
  boost::asio::awaitable<Status> connect(const std::string& agent, uint64_t from);
  // The next frame; fails when the connection ends (a close reason is in the message).
  boost::asio::awaitable<Result<TerminalFrame>> read();
  // Queue frames to the daemon; they go out in order, one write at a time.
  void send_input(std::string bytes);      // raw key bytes (a binary frame)
  void send_message(const Json& message);  // resize, interrupt
  // Sends a normal close and waits (bounded) for the daemon's answer.
  boost::asio::awaitable<void> close();

  struct Impl;  // defined in the .cpp; shared with the queued writes that outlive a call

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bosun::cli
