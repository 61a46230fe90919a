// Mailbox: sending, reading and the delivery state changes of messages, each with its event.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/event_bus.h"
#include "store/messages.h"
#include "store/store.h"
#include "util/clock.h"

namespace bosun {

class AgentRegistry;

// The names that are not agents: the person at the dashboard / CLI, the supervisor (crew/),
// and bosun itself as the sender of bounce and failure notices.
inline constexpr const char* kUserMailbox = "user";
inline constexpr const char* kSupervisorMailbox = "supervisor";
inline constexpr const char* kSystemSender = "system";

inline constexpr size_t kMaxSubjectBytes = 200;
inline constexpr size_t kMaxBodyBytes = size_t{256} * 1024;

// An agent as the mailbox needs it: its name, and whether a message to it can be delivered.
struct AgentPresence {
  std::string id;
  std::string name;
  bool alive = false;   // has a starting or running run and is not stopping
  std::string why_not;  // when not alive: "agent kai has exited (code 3)"
  std::string host;     // another host's agent (a shared store): its daemon delivers to it
};

// Where the mailbox finds agents; the daemon's AgentRegistry, or a fake in tests.
class AgentDirectory {
 public:
  virtual ~AgentDirectory() = default;
  // By id or name; 404 `agent_not_found` when there is none.
  virtual Result<AgentPresence> find(const std::string& id_or_name) = 0;
};

// AgentDirectory over the daemon's AgentRegistry.
class RegistryDirectory final : public AgentDirectory {
 public:
  explicit RegistryDirectory(AgentRegistry& agents) : agents_(agents) {}
  Result<AgentPresence> find(const std::string& id_or_name) override;

 private:
  AgentRegistry& agents_;
};

// The agents a mailbox change needs, looked up beforehand where the registry lives (the loop),
// for a Mailbox whose work runs where the registry can't be reached (a StoreWorker's thread).
// One not looked up is 404 `agent_not_found`, as an unknown agent is.
class KnownAgents final : public AgentDirectory {
 public:
  KnownAgents() = default;  // nobody
  KnownAgents(AgentDirectory& from, const std::vector<std::string>& ids_or_names);
  Result<AgentPresence> find(const std::string& id_or_name) override;

 private:
  std::vector<std::pair<std::string, Result<AgentPresence>>> found_;
};

struct MessageDraft {
  std::string from;  // who is speaking, already established by the caller (never a request field)
  std::string to;    // "user", "supervisor", or an agent's name or id
  std::string type = "mail";
  std::string subject;
  std::string body;
  std::optional<std::string> task_id;
  bool urgent = false;
};

// Stateless: construct one where it is needed (a route, the delivery engine) over the shared
// store, bus, clock and directory. Every change is one transaction with its events, which are
// broadcast after the commit. Wrong-state changes are 409 `message_state`, unknown ids 404.
class Mailbox {
 public:
  Mailbox(Store& store, EventBus& bus, const Clock& clock, AgentDirectory& agents)
      : store_(store), bus_(bus), clock_(clock), agents_(agents) {}

  // Validates the draft (400 `invalid_field`: type, subject of 1-200 bytes on one line, body up
  // to 256 KiB, task id), resolves the recipient (404 `recipient_not_found`) and stores the
  // message: `queued` for a live agent, `delivered` for the user and the supervisor (their
  // inbox is the delivery), `bounced` for an agent that is not running — then an agent sender
  // also gets a `system` notice "bounced: …". Events: message.created (+ message.bounced).
  Result<Message> send(MessageDraft draft);

  // "user", "supervisor", or the agent's name for an agent name or id.
  Result<std::string> resolve_recipient(const std::string& to);

  // The recipient has read it: read_at is set and a queued or delivered message becomes acked.
  // Event message.read when anything changed (reading twice changes nothing).
  Result<Message> mark_read(const std::string& id);

  // For the delivery engine.
  // One more typing attempt of a queued message, with its trouble if any (message.attempt).
  Result<Message> record_attempt(const std::string& id, const std::optional<std::string>& error);
  // queued → delivered: typed and the turn was seen to start (message.delivered).
  Result<Message> mark_delivered(const std::string& id);
  // delivered → acked: the recipient acted on it (message.acked).
  Result<Message> mark_acked(const std::string& id);
  // queued → failed after the last attempt; the sender (unless bosun itself) gets a `system`
  // notice "failed: …" (message.failed).
  Result<Message> mark_failed(const std::string& id, const std::string& why);
  // queued → bounced: the recipient went away while it waited; an agent sender is told.
  Result<Message> bounce(const std::string& id, const std::string& why);
  // Bounces everything queued for `recipient` (an agent that exited for good); returns how many.
  Result<int64_t> bounce_queued(const std::string& recipient, const std::string& why);

 private:
  Result<Message> insert(EventBus::Transaction& tx, Message message);
  // Inserts the notice "<verb>: …" about `about` for its sender, if that sender has an inbox.
  Status notify_sender(EventBus::Transaction& tx, const Message& about, const std::string& verb,
                       bool agents_only);
  // Runs `change` in a transaction and publishes `event` with the changed message; a message not
  // in `from_states` is 409. With `notice_verb`, the sender is told ("failed: …").
  Result<Message> transition(const std::string& id, const char* event, const char* from_states,
                             const std::function<Result<bool>()>& change, const char* notice_verb);
  int64_t now_ms() const;

  Store& store_;
  EventBus& bus_;
  const Clock& clock_;
  AgentDirectory& agents_;
};

// Subject text cut to at most `max` bytes without splitting a UTF-8 sequence, with control
// characters (newlines, escapes) turned into spaces: safe to type into a terminal on one line.
std::string one_line(std::string_view text, size_t max = kMaxSubjectBytes);

}  // namespace bosun
