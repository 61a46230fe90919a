// EventStream: the /api/v1/events WebSocket hub: hello, replay from `since`, then live events.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "store/event_bus.h"

namespace bosun {

class WsChannel;

class EventStream final : public EventSubscriber {
 public:
  EventStream(EventBus& bus, Log& log);
  ~EventStream() override;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Sends `hello {seq}`, then (when since ≥ 0) every event after `since` in pages
  // paced by the channel's queue, then live events.
  void open(const std::shared_ptr<WsChannel>& channel, int64_t since);

  void on_event(const Event& event) override;

  size_t client_count() const { return clients_.size(); }
  // Closes every client with "going away" (daemon shutdown).
  void close_all();

 private:
  struct Client;
  // Replays the next page for a client still catching up; switches it to live when done.
  void replay(Client& client);
  void remove(const WsChannel* channel);

  EventBus& bus_;
  Log& log_;
  // Clients are owned here; the channel is shared with the transport, which owns the socket.
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace bosun
