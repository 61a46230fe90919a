// Messages: rows of the messages table — the mailbox between agents, the user and the supervisor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "util/json.h"

namespace bosun {

// A message's life: queued → delivered → acked, or bounced (the recipient was not there) or
// failed (typing it into the recipient's terminal never succeeded).
//   queued     waiting in the recipient's queue for the delivery engine
//   delivered  typed into the recipient's terminal (or, for `user`/`supervisor`, in the inbox)
//   acked      the recipient has seen it (read it, or the engine saw it act on it)
//   bounced    not deliverable: returned to the sender, `error` says why
//   failed     delivery was tried `attempts` times and never verified, `error` says why
inline constexpr const char* kMessageStates[] = {"queued", "delivered", "acked", "bounced",
                                                 "failed"};
// mail (free text), task (a task handed out), status / done / blocked (an agent's reports to
// the supervisor), heartbeat / reset (the supervisor's nudges), system (bosun's own notices).
inline constexpr const char* kMessageTypes[] = {"mail",    "task",      "status", "done",
                                                "blocked", "heartbeat", "reset",  "system"};

bool valid_message_state(std::string_view state);
bool valid_message_type(std::string_view type);

struct Message {
  std::string id;         // "m_…"
  std::string sender;     // "user", "supervisor", "system" or an agent's name
  std::string recipient;  // "user", "supervisor" or an agent's name
  std::string type = "mail";
  std::string subject;  // one line
  std::string body;
  std::optional<std::string> task_id;
  bool urgent = false;
  std::string state = "queued";
  int64_t attempts = 0;              // delivery attempts so far
  std::optional<std::string> error;  // why it bounced or failed, or the last attempt's trouble
  int64_t created_at_ms = 0;
  std::optional<int64_t> delivered_at_ms;
  std::optional<int64_t> acked_at_ms;
  std::optional<int64_t> read_at_ms;
};

// The API form: {id, from, to, type, subject, body?, body_bytes, task_id, urgent, state,
// attempts, error, created_at, delivered_at, acked_at, read_at, read}. Lists leave the body out.
Json to_json(const Message& message, bool with_body = true);

struct MessageQuery {
  std::optional<std::string> to;
  std::optional<std::string> from;
  std::optional<std::string> type;
  std::optional<std::string> task_id;
  std::optional<std::string> state;
  std::optional<std::string> party;  // sender or recipient (what an agent may see)
  std::optional<std::string> after;  // a message id: only messages created after it
  int64_t limit = 100;
};

class MessageStore {
 public:
  explicit MessageStore(Database& db) : db_(db) {}

  Status insert(const Message& message);
  // 404 `message_not_found` when there is no such message.
  Result<Message> get(const std::string& id);
  Result<bool> exists(const std::string& id);
  // Matching messages in created order (oldest first), at most `limit`.
  Result<std::vector<Message>> list(const MessageQuery& query);
  // Messages to `recipient` that reached it (every state but bounced): unread first, then
  // newest first; `unread_only` leaves out what was read.
  Result<std::vector<Message>> inbox(const std::string& recipient, bool unread_only, int64_t limit);
  Result<int64_t> count_unread(const std::string& recipient);
  Result<int64_t> count();

  // The delivery queue of one recipient: queued messages in created order.
  Result<std::optional<Message>> next_queued(const std::string& recipient);
  Result<std::vector<Message>> queued(const std::string& recipient);
  // Recipients with at least one queued message (what the delivery engine has to serve).
  Result<std::vector<std::string>> recipients_with_queued();

  // State changes. Each returns false (and changes nothing) when the message is not in a state
  // the change starts from; a missing message is also false.
  // queued → delivered.
  Result<bool> mark_delivered(const std::string& id, int64_t at_ms);
  // delivered → acked.
  Result<bool> mark_acked(const std::string& id, int64_t at_ms);
  // queued → bounced, with the reason.
  Result<bool> mark_bounced(const std::string& id, const std::string& error);
  // queued → failed, with the reason.
  Result<bool> mark_failed(const std::string& id, const std::string& error);
  // Counts one delivery attempt of a queued message and keeps its trouble, if any.
  Result<bool> record_attempt(const std::string& id, const std::optional<std::string>& error);
  // Sets read_at (once); a queued or delivered message becomes acked as well.
  Result<bool> mark_read(const std::string& id, int64_t at_ms);

 private:
  Result<bool> changed(Result<Statement>& stmt);
  Database& db_;
};

}  // namespace bosun
