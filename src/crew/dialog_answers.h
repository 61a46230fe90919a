// DialogAnswers: the policy for dialogs that are safe to answer. An agent waiting for a person
// because its screen shows one of its profile's dialogs marked `auto_answer: true`, or a trust
// dialog (`trusted_when`) in a worktree bosun made of a project the person trusted in that
// CLI's own config, gets the dialog's keys typed for it; every other dialog and question stays
// a person's call.
#pragma once

#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/agent_view.h"
#include "agent/profile.h"
#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "util/clock.h"
#include "util/lifetime.h"
#include "util/log.h"

namespace bosun {

class AgentRegistry;

// Whether the CLI's config under `home` says the person trusted `project_path` (`when`); the
// reason when it does ("/p is trusted in ~/.claude.json"), "" when not (or unreadable).
std::string trusted_in_cli_config(const Dialog::TrustedWhen& when, const std::string& home,
                                  const std::string& project_path);

class DialogAnswers final : public EventSubscriber {
 public:
  // A dialog takes keys only after its first moments (the CLIs drop earlier ones); a dialog
  // still shown this long after its keys were typed is answered once more, then left alone.
  static constexpr Millis kSettle{1000};
  static constexpr Millis kBetweenKeys{150};
  static constexpr int kAttempts = 2;

  DialogAnswers(boost::asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
                const Clock& clock, Log& log, AgentRegistry& agents);
  ~DialogAnswers() override;
  DialogAnswers(const DialogAnswers&) = delete;
  DialogAnswers& operator=(const DialogAnswers&) = delete;

  void start();
  void on_event(const Event& event) override;

 private:
  // Whether agent `id` printed anything at or after `since_ms` (unix ms).
  bool output_since(const std::string& id, int64_t since_ms) const;
  // Whether agent `id` still shows dialog `name`.
  bool shows(const std::string& id, const std::string& name) const;
  boost::asio::awaitable<void> answer(std::string id, std::string name, Dialog dialog,
                                      std::string because);
  // Why a trust dialog of agent `agent` may be answered; "" when it may not.
  std::string trusted_project(const AgentView& agent, const Dialog& dialog) const;

  boost::asio::io_context& io_;
  Store& store_;
  EventBus& bus_;
  StoreRunner& runner_;  // where its events are written
  const Clock& clock_;
  Log& log_;
  AgentRegistry& agents_;
  TimerSet timers_;                  // the answers' waits
  std::set<std::string> answering_;  // agent ids with an answer under way
  Lifetime lifetime_;
};

}  // namespace bosun
