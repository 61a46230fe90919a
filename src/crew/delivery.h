// Delivery: types queued messages into agents' terminals, one at a time, when they are idle,
// and verifies that each one started a turn.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "crew/mailbox.h"
#include "store/event_bus.h"
#include "util/json.h"
#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

class AgentRegistry;

struct DeliveryOptions {
  std::chrono::milliseconds paste_settle{150};     // after the paste, before Enter
  std::chrono::milliseconds verify_timeout{3000};  // for the turn to start after Enter
  std::chrono::milliseconds retry_backoff{500};    // × attempt number
  int max_attempts = 3;
};

// The line an agent sees for a message (API.md "Message grammar"): one line, never the body.
std::string delivery_line(const Message& message);

// Whether `line` still sits in the agent's composer, not submitted: the cursor is right after
// its end (the CLIs keep the cursor at the end of what was typed; a long line wraps, so only
// its last bytes — the message's id — are looked for). `screen` is AgentRegistry::screen's JSON.
bool composer_holds(const Json& screen, const std::string& line);

class StoreRunner;

class DeliveryEngine final : public EventSubscriber {
 public:
  DeliveryEngine(boost::asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
                 const Clock& clock, Log& log, AgentRegistry& agents, DeliveryOptions options = {});
  ~DeliveryEngine() override;
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  const DeliveryOptions& options() const { return options_; }
  void set_options(const DeliveryOptions& options) { options_ = options; }

  // Subscribes to the bus and serves every agent with queued messages.
  void start();
  void on_event(const Event& event) override;

 private:
  struct Queue;
  void kick(const std::string& agent_name);
  boost::asio::awaitable<void> serve(std::string agent_name);
  // One typing attempt; true when the agent was seen to start a turn.
  boost::asio::awaitable<bool> attempt(Queue& q, const std::string& agent, const Message& m,
                                       int number);
  boost::asio::awaitable<void> wait(Queue& q, std::chrono::milliseconds d);

  boost::asio::io_context& io_;
  Store& store_;
  EventBus& bus_;
  StoreRunner& runner_;  // where the messages' changes are written
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  RegistryDirectory directory_;
  DeliveryOptions options_;
  std::map<std::string, std::shared_ptr<Queue>> queues_;  // by agent name
  Lifetime lifetime_;  // the delivery coroutines check it after every wait
};

}  // namespace bosun
