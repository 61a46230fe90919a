// WsChannel: one open WebSocket as hubs see it: a bounded outgoing queue and callbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bosun {

// A frame's bytes, shared by every channel it is queued on: an event fanned out to a
// thousand clients is serialized and held once.
using WsPayload = std::shared_ptr<const std::string>;

class WsChannel {
 public:
  virtual ~WsChannel() = default;

  // Queues a frame. Returns false if the channel is closing or closed, or if the
  // frame would push the queue past its limit — then the channel closes itself
  // with code 4008 and a reason, and the caller should forget it.
  virtual bool send(WsPayload data, bool binary) = 0;
  bool send_text(std::string data) {
    return send(std::make_shared<const std::string>(std::move(data)), false);
  }
  bool send_binary(std::string data) {
    return send(std::make_shared<const std::string>(std::move(data)), true);
  }

  // Drops what is queued, sends a close frame and ends the connection.
  virtual void close(uint16_t code, std::string reason) = 0;

  virtual bool is_open() const = 0;
  virtual size_t queued_bytes() const = 0;
  virtual size_t queue_limit() const = 0;
  virtual const std::string& id() const = 0;

  // Handlers; each is called on the loop thread.
  virtual void on_message(std::function<void(std::string_view data, bool binary)> handler) = 0;
  virtual void on_close(std::function<void()> handler) = 0;
  // Called whenever the queue becomes empty.
  virtual void on_drain(std::function<void()> handler) = 0;

  // Set by the hub before the first slow-consumer close, e.g. "resume with ?since=42".
  virtual void set_slow_close_reason(std::function<std::string()> reason) = 0;
};

// Close code sent when a consumer falls behind its queue limit.
inline constexpr uint16_t kWsCloseSlowConsumer = 4008;
// Close code sent when the daemon shuts down ("going away").
inline constexpr uint16_t kWsCloseGoingAway = 1001;
// A message handler failed: the connection ends rather than staying open unread.
inline constexpr uint16_t kWsCloseInternalError = 1011;

}  // namespace bosun
