// DialogAnswers: the policy for dialogs that are safe to answer. An agent waiting for a person
// because its screen shows one of its profile's dialogs marked `auto_answer: true` (a trust
// prompt for a worktree bosun made, say) gets the dialog's keys typed for it; every other
// dialog and question stays a person's call.
#pragma once

#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "store/event_bus.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

class AgentRegistry;
struct Dialog;

class DialogAnswers final : public EventSubscriber {
 public:
  // A dialog takes keys only after its first moments (the CLIs drop earlier ones); a dialog
  // still shown this long after its keys were typed is answered once more, then left alone.
  static constexpr Millis kSettle{1000};
  static constexpr Millis kBetweenKeys{150};
  static constexpr int kAttempts = 2;

  DialogAnswers(boost::asio::io_context& io, EventBus& bus, const Clock& clock, Log& log,
                AgentRegistry& agents);
  ~DialogAnswers() override;
  DialogAnswers(const DialogAnswers&) = delete;
  DialogAnswers& operator=(const DialogAnswers&) = delete;

  void start();
  void on_event(const Event& event) override;

 private:
  // Whether agent `id` still shows dialog `name`.
  bool shows(const std::string& id, const std::string& name) const;
  boost::asio::awaitable<void> answer(std::string id, std::string name, Dialog dialog);

  boost::asio::io_context& io_;
  EventBus& bus_;
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  TimerSet timers_;                  // the answers' waits
  std::set<std::string> answering_;  // agent ids with an answer under way
  Lifetime lifetime_;
};

}  // namespace bosun
