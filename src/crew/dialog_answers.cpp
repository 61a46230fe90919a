// DialogAnswers: wait for the dialog to take keys, type them, look again.
#include "crew/dialog_answers.h"

#include <cstdlib>
#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "agent/registry.h"
#include "crew/dispatch_policy.h"
#include "util/files.h"

namespace bosun {

namespace asio = boost::asio;

std::string trusted_in_cli_config(const Dialog::TrustedWhen& when, const std::string& home,
                                  const std::string& project_path) {
  if (home.empty() || project_path.empty()) return "";
  auto text = read_file(std::filesystem::path(home) / when.file);
  if (!text) return "";
  auto config = Json::parse(*text, nullptr, false);
  if (config.is_discarded()) return "";
  // RFC 6901: "~" is "~0" and "/" is "~1" inside a pointer's part.
  std::string part;
  for (char c : project_path) {
    if (c == '~') {
      part += "~0";
    } else if (c == '/') {
      part += "~1";
    } else {
      part += c;
    }
  }
  std::string pointer = when.pointer;
  pointer.replace(pointer.find("{project}"), 9, part);
  try {
    Json::json_pointer at(pointer);
    if (!config.contains(at) || config.at(at) != when.equals) return "";
  } catch (const Json::exception&) {
    return "";
  }
  return project_path + " is trusted in ~/" + when.file;
}

DialogAnswers::DialogAnswers(asio::io_context& io, Store& store, EventBus& bus, StoreRunner& runner,
                             const Clock& clock, Log& log, AgentRegistry& agents)
    : io_(io),
      store_(store),
      bus_(bus),
      runner_(runner),
      clock_(clock),
      log_(log),
      agents_(agents),
      timers_(clock, io) {}

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
  if (!dialog || dialog->keys.empty()) return;
  std::string because = dialog->auto_answer ? "the profile answers it" : "";
  if (because.empty() && dialog->trusted_when) because = trusted_project(*agent, *dialog);
  if (because.empty()) return;
  answering_.insert(event.subject);
  asio::co_spawn(io_, answer(event.subject, name, *dialog, std::move(because)), asio::detached);
}

std::string DialogAnswers::trusted_project(const AgentView& agent, const Dialog& dialog) const {
  const AgentRecord& a = agent.record;
  if (!a.project_id) return "";
  auto wt = store_.projects().active_worktree(a.name);
  if (!wt || !*wt || (*wt)->path != a.cwd) return "";  // only a worktree bosun made
  auto project = store_.projects().find(*a.project_id);
  if (!project) return "";
  std::string home = a.env.is_object() ? a.env.value("HOME", "") : "";
  if (home.empty()) {
    const char* inherited = std::getenv("HOME");
    home = inherited ? inherited : "";
  }
  return trusted_in_cli_config(*dialog.trusted_when, home, project->path);
}

bool DialogAnswers::output_since(const std::string& id, int64_t since_ms) const {
  auto agent = agents_.view(id);
  return agent && agent->record.last_output_ms && *agent->record.last_output_ms >= since_ms;
}

bool DialogAnswers::shows(const std::string& id, const std::string& name) const {
  auto agent = agents_.view(id);
  return agent && may_type_into(*agent) && agent->state == AgentState::kWaitingInput &&
         agent->reading.dialog == name;
}

asio::awaitable<void> DialogAnswers::answer(std::string id, std::string name, Dialog dialog,
                                            std::string because) {
  auto life = lifetime_.guard();
  auto timer = timers_.make();
  std::string agent_name = agents_.view(id) ? agents_.view(id)->name() : id;
  bool gone = false;
  int64_t typed_at_ms = -1;
  for (int attempt = 1; attempt <= kAttempts && !gone; ++attempt) {
    co_await timer->wait(clock_.steady_now() + kSettle);
    if (!life.alive()) co_return;
    gone = !shows(id, name);  // answered, by a person or an earlier attempt
    if (gone) break;
    // The CLI drew something after the last keys: it took them (Gemini CLI restarts itself on a
    // trust answer) and keys typed now would land wherever it is next.
    if (typed_at_ms >= 0 && output_since(id, typed_at_ms)) break;
    typed_at_ms = to_unix_ms(clock_.now());
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
    log_.info(
        "dialog.answered",
        {{"agent", agent_name}, {"dialog", name}, {"attempt", attempt}, {"because", because}});
    runner_.publish(
        "agent.dialog_answered", id,
        Json{{"name", agent_name}, {"dialog", name}, {"attempt", attempt}, {"because", because}});
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
