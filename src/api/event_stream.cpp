// EventStream: per-client replay pacing and live fan-out.
#include "api/event_stream.h"

#include <algorithm>

#include <fmt/format.h>

#include "api/ws_channel.h"

namespace bosun {
namespace {

constexpr int64_t kReplayPage = 500;

}  // namespace

struct EventStream::Client {
  std::shared_ptr<WsChannel> channel;
  int64_t sent_seq = 0;  // highest seq queued to this client
  bool live = false;     // false while replaying from the store
};

EventStream::EventStream(EventBus& bus, Log& log) : bus_(bus), log_(log) {
  bus_.subscribe(this);
}

EventStream::~EventStream() {
  bus_.unsubscribe(this);
}

void EventStream::open(const std::shared_ptr<WsChannel>& channel, int64_t since) {
  auto latest = bus_.store().latest_seq();
  if (!latest) {
    channel->close(1011, "cannot read the event log");
    return;
  }
  auto client = std::make_unique<Client>();
  client->channel = channel;
  Client* c = client.get();
  clients_.push_back(std::move(client));
  const WsChannel* key = channel.get();
  channel->on_close([this, key] { remove(key); });
  channel->set_slow_close_reason(
      [c] { return fmt::format("slow consumer: reconnect with ?since={}", c->sent_seq); });
  channel->send_text(dump_json(Json{{"type", "hello"}, {"seq", *latest}}));
  log_.debug("events.open", {{"ws", channel->id()}, {"since", since}, {"latest", *latest}});
  if (since < 0 || since >= *latest) {
    c->sent_seq = *latest;
    c->live = true;
    return;
  }
  c->sent_seq = since;
  channel->on_drain([this, c] {
    if (!c->live) replay(*c);
  });
  replay(*c);
}

void EventStream::replay(Client& client) {
  // Single-threaded: when a page comes back short, every persisted event has
  // been queued, and any later one will arrive through on_event.
  auto page = bus_.store().list_since(client.sent_seq, kReplayPage);
  if (!page) {
    client.channel->close(1011, "cannot read the event log");
    return;
  }
  for (const auto& event : *page) {
    if (!client.channel->send_text(to_wire(event))) return;
    client.sent_seq = event.seq;
  }
  if (static_cast<int64_t>(page->size()) < kReplayPage) client.live = true;
}

void EventStream::on_event(const Event& event) {
  // Serialized once, on the first client that wants it; every client's queue shares it.
  WsPayload frame;
  for (auto& client : clients_) {
    if (!client->live || event.seq <= client->sent_seq) continue;
    if (!frame) frame = std::make_shared<const std::string>(to_wire(event));
    if (client->channel->send(frame, false)) client->sent_seq = event.seq;
  }
}

void EventStream::remove(const WsChannel* channel) {
  std::erase_if(clients_, [channel](const auto& c) { return c->channel.get() == channel; });
}

void EventStream::close_all() {
  // Copy: close() may call back into remove().
  std::vector<std::shared_ptr<WsChannel>> channels;
  for (auto& c : clients_)
    channels.push_back(c->channel);
  for (auto& ch : channels)
    ch->close(kWsCloseGoingAway, "daemon shutting down");
}

}  // namespace bosun
