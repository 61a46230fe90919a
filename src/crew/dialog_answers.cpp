// DialogAnswers: wait for the dialog to take keys, type them, look again.
#include "crew/dialog_answers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "agent/profile.h"
#include "agent/registry.h"
#include "crew/dispatch_policy.h"

namespace bosun {

namespace asio = boost::asio;

DialogAnswers::DialogAnswers(asio::io_context& io, EventBus& bus, const Clock& clock, Log& log,
                             AgentRegistry& agents)
    : io_(io), bus_(bus), clock_(clock), log_(log), agents_(agents), timers_(clock, io) {}

DialogAnswers::~DialogAnswers() {
  lifetime_.end();
  bus_.unsubscribe(this);
  timers_.cancel_all();
}

void DialogAnswers::start() {
  bus_.subscribe(this);
}

void DialogAnswers::on_event(const Event& event) {
  if (event.type != "agent.state" || answering_.contains(event.subject)) return;
  Json data = event_data(event);
  if (!data.is_object() || data.value("state", "") != "waiting_input") return;
  std::string name = data.contains("dialog") && data["dialog"].is_string()
                         ? data["dialog"].get<std::string>()
                         : "";
  if (name.empty()) return;
  auto agent = agents_.view(event.subject);
  // Keys go only into an agent CLI, never a shell (dispatch_policy), whatever a profile says.
  if (!agent || !may_type_into(*agent)) return;
  auto profile = agents_.profile(agent->profile());
  if (!profile) return;
  const Dialog* dialog = profile->dialog(name);
  if (!dialog || !dialog->auto_answer || dialog->keys.empty()) return;
  answering_.insert(event.subject);
  asio::co_spawn(io_, answer(event.subject, name, *dialog), asio::detached);
}

bool DialogAnswers::shows(const std::string& id, const std::string& name) const {
  auto agent = agents_.view(id);
  return agent && may_type_into(*agent) && agent->state == AgentState::kWaitingInput &&
         agent->reading.dialog == name;
}

asio::awaitable<void> DialogAnswers::answer(std::string id, std::string name, Dialog dialog) {
  auto life = lifetime_.guard();
  auto timer = timers_.make();
  std::string agent_name = agents_.view(id) ? agents_.view(id)->name() : id;
  bool gone = false;
  for (int attempt = 1; attempt <= kAttempts && !gone; ++attempt) {
    co_await timer->wait(clock_.steady_now() + kSettle);
    if (!life.alive()) co_return;
    gone = !shows(id, name);  // answered, by a person or an earlier attempt
    if (gone) break;
    for (size_t i = 0; i < dialog.keys.size(); ++i) {
      if (i > 0) {
        co_await timer->wait(clock_.steady_now() + kBetweenKeys);
        if (!life.alive()) co_return;
      }
      if (auto st = agents_.input(id, dialog.keys[i], false); !st) {
        log_.warn("dialog.answer_failed",
                  {{"agent", agent_name}, {"dialog", name}, {"error", st.error().message}});
        answering_.erase(id);
        co_return;
      }
    }
    log_.info("dialog.answered", {{"agent", agent_name}, {"dialog", name}, {"attempt", attempt}});
    (void)bus_.publish("agent.dialog_answered", id,
                       Json{{"name", agent_name}, {"dialog", name}, {"attempt", attempt}});
  }
  if (!gone) {
    co_await timer->wait(clock_.steady_now() + kSettle);
    if (!life.alive()) co_return;
    // Its keys did not get past it: a person's call after all (the agent stays waiting).
    if (shows(id, name)) log_.warn("dialog.still_shown", {{"agent", agent_name}, {"dialog", name}});
  }
  answering_.erase(id);
}

}  // namespace bosun
