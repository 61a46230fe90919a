// Notifier: tells a person when the crew needs them, and only then. It follows the event log
// (from its own cursor, so an edge that happened while it was down is told once it is back
// and none twice), keeps each condition as an edge that opens and closes, queues one message
// per edge for each channel that takes it, and sends them off the loop: batched, held in
// quiet hours, a digest when many fire at once, retried with backoff, each outcome recorded.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "notify/channels.h"
#include "notify/edges.h"
#include "notify/notify_config.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"
#include "util/process.h"

namespace bosun {

class AgentRegistry;

class Notifier final : public EventSubscriber {
 public:
  static constexpr const char* kConfigKey = "notify";
  static constexpr const char* kCursorKey = "notify.cursor";
  static constexpr Millis kMaxBackoff{5 * 60'000};

  Notifier(boost::asio::io_context& io, Store& store, EventBus& bus, StoreRunner& store_runner,
           const Clock& clock, Log& log, AgentRegistry& agents);
  ~Notifier() override;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Loads the saved settings, takes every event since the last one it took (on its first
  // start: none before it), then follows the bus and starts sending.
  Status start();
  // The dashboard's address ("http://127.0.0.1:7777/"), for the links in messages.
  void set_dashboard(std::string url) { dashboard_ = std::move(url); }

  // Saves and applies a configuration; what waits is looked at again at once.
  boost::asio::awaitable<Status> configure(NotifyConfig config);
  const NotifyConfig& config() const { return config_; }
  // The configuration, the open edges and how many deliveries are in each state.
  Result<Json> status_json();
  // Sends a sample message on `channel` now (quiet hours aside), recorded like any other;
  // one attempt. 404 for an unknown channel.
  boost::asio::awaitable<Result<Delivery>> test(std::string channel);

  void on_event(const Event& event) override;

 private:
  // Hands the event's edge moves to the store's runner (EdgeWriter), in the order taken.
  void take(const Event& event);
  // Writes the cursor down through the runner once kCursorEvery events went by unwritten.
  void save_cursor();

  void wake();
  boost::asio::awaitable<void> run();
  // Starts a send for each channel with something due; returns when to look again.
  boost::asio::awaitable<std::optional<int64_t>> dispatch_due();
  boost::asio::awaitable<void> deliver(NotifyChannel channel, std::vector<Delivery> due);
  boost::asio::awaitable<std::string> send(const NotifyChannel& channel,
                                           const NotifyMessage& message);
  // Writes how a send ended (sent, to retry, failed) through the runner.
  // (`delivery` lives in the awaiting frame.)
  boost::asio::awaitable<void> record(const Delivery& delivery, std::string failure,
                                      std::optional<int64_t> digest, bool retry);
  // How a send ended, as store work (notifier.cpp).
  struct SendOutcome;
  SendOutcome decide(Delivery delivery, std::string failure, std::optional<int64_t> digest,
                     bool retry) const;
  NotifyMessage message_of(const Delivery& delivery) const;
  int64_t now_ms() const { return to_unix_ms(clock_.now()); }

  boost::asio::io_context& io_;
  Store& store_;
  EventBus& bus_;
  StoreRunner& store_runner_;  // every write, and the reads the sender acts on
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  const std::string cursor_key_;  // the setting that keeps cursor_ (this host's, when shared)
  NotifyConfig config_;
  std::string dashboard_;
  int64_t cursor_ = 0;             // the last event taken
  int64_t cursor_saved_ = 0;       // the last one written down
  std::set<std::string> sending_;  // channels with a send under way
  bool dirty_ = false;             // something changed since the sender last looked
  Timer* waiting_ = nullptr;       // the sender's wait, while it waits
  bool started_ = false;
  ProcessRunner runner_;  // curl, commands, notify-send: a slow receiver never holds git
  TimerSet timers_;
  Lifetime lifetime_;
};

}  // namespace bosun
