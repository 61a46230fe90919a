// Mailbox: validation, recipients, bounces and notices; persist then broadcast, in one place.
#include "crew/mailbox.h"

#include <algorithm>

#include <fmt/format.h>

#include "agent/registry.h"
#include "util/ids.h"

namespace bosun {
namespace {

// Control characters, C0, DEL and C1 (U+0080–U+009F), would act on a terminal, not be shown.
bool has_control(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

bool valid_task_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status validate(const MessageDraft& d) {
  if (!valid_message_type(d.type)) {
    return bad_request("invalid_field",
                       "type must be one of mail, task, status, done, blocked, heartbeat, reset, "
                       "system; not '" +
                           one_line(d.type, 40) + "'");
  }
  if (d.subject.empty() || d.subject.size() > kMaxSubjectBytes) {
    return bad_request("invalid_field",
                       fmt::format("subject must be 1 to {} bytes", kMaxSubjectBytes));
  }
  if (has_control(d.subject)) {
    return bad_request("invalid_field",
                       "subject must be one line without control characters (put the rest in "
                       "the body)");
  }
  if (d.body.size() > kMaxBodyBytes) {
    return fail(
        ErrorKind::kTooLarge, "message_too_large",
        fmt::format("body is {} bytes; the limit is {} bytes", d.body.size(), kMaxBodyBytes));
  }
  if (d.task_id && !valid_task_id(*d.task_id)) {
    return bad_request("invalid_field", "task_id must be 1-64 characters of [A-Za-z0-9_-]");
  }
  return {};
}

bool is_mailbox_only(const std::string& name) {
  return name == kUserMailbox || name == kSupervisorMailbox;
}

}  // namespace

std::string one_line(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      out += ' ';
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += ' ';
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() <= max) return out;
  static constexpr std::string_view kEllipsis = "…";
  size_t cut = max >= kEllipsis.size() ? max - kEllipsis.size() : 0;
  // Back up to the first byte of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80)
    --cut;
  out.resize(cut);
  if (max >= kEllipsis.size()) out += kEllipsis;
  return out;
}

Result<AgentPresence> RegistryDirectory::find(const std::string& id_or_name) {
  auto agent = agents_.view(id_or_name);
  if (!agent) {
    auto remote = agents_.elsewhere(id_or_name);
    if (!remote) return tl::unexpected(agent.error());
    AgentPresence p{remote->id, remote->name, true, "", remote->host};
    if (remote->state == "exited" || remote->state == "lost" || remote->state == "stopping") {
      p.alive = false;
      p.why_not = fmt::format("agent {} on host {} is {}", p.name, p.host, remote->state);
    }
    return p;
  }
  AgentPresence p;
  p.id = agent->id();
  p.name = agent->name();
  std::string why = why_not_running(*agent);
  p.alive = why.empty();
  if (!p.alive) p.why_not = "agent " + p.name + " " + why;
  return p;
}

KnownAgents::KnownAgents(AgentDirectory& from, const std::vector<std::string>& ids_or_names) {
  for (const auto& key : ids_or_names) {
    if (!is_mailbox_only(key)) found_.emplace_back(key, from.find(key));
  }
}

Result<AgentPresence> KnownAgents::find(const std::string& id_or_name) {
  for (const auto& [key, presence] : found_) {
    if (key == id_or_name ||
        (presence && (presence->id == id_or_name || presence->name == id_or_name))) {
      return presence;
    }
  }
  return not_found("agent_not_found", "no agent '" + one_line(id_or_name, 64) + "'");
}

int64_t Mailbox::now_ms() const {
  return to_unix_ms(clock_.now());
}

Result<std::string> Mailbox::resolve_recipient(const std::string& to) {
  if (is_mailbox_only(to)) return to;
  auto agent = agents_.find(to);
  if (!agent) {
    if (agent.error().kind != ErrorKind::kNotFound) return tl::unexpected(agent.error());
    return not_found("recipient_not_found",
                     "no recipient '" + one_line(to, 64) + "': name an agent, user or supervisor");
  }
  return agent->name;
}

Result<Message> Mailbox::insert(EventBus::Transaction& tx, Message m) {
  if (auto st = store_.messages().insert(m); !st) return tl::unexpected(st.error());
  if (auto ev = tx.publish("message.created", m.id, to_json(m, false)); !ev) {
    return tl::unexpected(ev.error());
  }
  if (m.state == "bounced") {
    if (auto ev = tx.publish("message.bounced", m.id, to_json(m, false)); !ev) {
      return tl::unexpected(ev.error());
    }
  }
  return m;
}

Status Mailbox::notify_sender(EventBus::Transaction& tx, const Message& about,
                              const std::string& verb, bool agents_only) {
  if (about.sender == kSystemSender) return {};  // never a notice about a notice
  if (agents_only && is_mailbox_only(about.sender)) return {};
  Message notice;
  notice.id = new_id("m_");
  notice.sender = kSystemSender;
  notice.recipient = about.sender;
  notice.type = "system";
  std::string why = about.error.value_or("");
  notice.subject =
      one_line(fmt::format("{}: {} (to {}: {})", verb, about.subject, about.recipient, why));
  notice.body = fmt::format(
      "Your message {} to {} was {}: {}.\nSubject: {}\nRun `bosun mail read {}` to see it.\n",
      about.id, about.recipient, verb, why, about.subject, about.id);
  notice.task_id = about.task_id;
  notice.created_at_ms = now_ms();
  if (is_mailbox_only(about.sender)) {
    notice.state = "delivered";
    notice.delivered_at_ms = notice.created_at_ms;
  } else {
    auto sender = agents_.find(about.sender);
    if (!sender) return {};  // the sender is gone: nobody to tell
    if (!sender->alive) {
      notice.state = "bounced";
      notice.error = sender->why_not;
    }
  }
  auto inserted = insert(tx, std::move(notice));
  if (!inserted) return tl::unexpected(inserted.error());
  return {};
}

Result<Message> Mailbox::send(MessageDraft d) {
  if (auto st = validate(d); !st) return tl::unexpected(st.error());
  Message m;
  m.id = new_id("m_");
  m.sender = std::move(d.from);
  m.type = std::move(d.type);
  m.subject = std::move(d.subject);
  m.body = std::move(d.body);
  m.task_id = std::move(d.task_id);
  m.urgent = d.urgent;
  m.created_at_ms = now_ms();
  if (is_mailbox_only(d.to)) {
    m.recipient = d.to;
    m.state = "delivered";  // the inbox is where the user and the supervisor receive mail
    m.delivered_at_ms = m.created_at_ms;
  } else {
    auto agent = agents_.find(d.to);
    if (!agent) {
      if (agent.error().kind != ErrorKind::kNotFound) return tl::unexpected(agent.error());
      return not_found("recipient_not_found", "no recipient '" + one_line(d.to, 64) +
                                                  "': name an agent, user or supervisor");
    }
    m.recipient = agent->name;
    if (!agent->alive) {
      m.state = "bounced";
      m.error = agent->why_not;
    }
  }
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto inserted = insert(tx, m);
  if (!inserted) return tl::unexpected(inserted.error());
  if (m.state == "bounced") {
    if (auto st = notify_sender(tx, m, "bounced", true); !st) return tl::unexpected(st.error());
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return m;
}

Result<Message> Mailbox::mark_read(const std::string& id) {
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto changed = store_.messages().mark_read(id, now_ms());
  if (!changed) return tl::unexpected(changed.error());
  auto m = store_.messages().get(id);
  if (!m) return tl::unexpected(m.error());
  if (*changed) {
    if (auto ev = tx.publish("message.read", id, to_json(*m, false)); !ev) {
      return tl::unexpected(ev.error());
    }
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return m;
}

Result<Message> Mailbox::transition(const std::string& id, const char* event,
                                    const char* from_states,
                                    const std::function<Result<bool>()>& change,
                                    const char* notice_verb) {
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto before = store_.messages().get(id);
  if (!before) return tl::unexpected(before.error());
  auto changed = change();
  if (!changed) return tl::unexpected(changed.error());
  if (!*changed) {
    return conflict("message_state",
                    fmt::format("message {} is {}, not {}", id, before->state, from_states));
  }
  auto after = store_.messages().get(id);
  if (!after) return tl::unexpected(after.error());
  if (auto ev = tx.publish(event, id, to_json(*after, false)); !ev) {
    return tl::unexpected(ev.error());
  }
  if (notice_verb) {
    bool agents_only = std::string_view(notice_verb) == "bounced";
    if (auto st = notify_sender(tx, *after, notice_verb, agents_only); !st) {
      return tl::unexpected(st.error());
    }
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return after;
}

Result<Message> Mailbox::record_attempt(const std::string& id,
                                        const std::optional<std::string>& error) {
  return transition(
      id, "message.attempt", "queued", [&] { return store_.messages().record_attempt(id, error); },
      nullptr);
}

Result<Message> Mailbox::mark_delivered(const std::string& id) {
  int64_t at = now_ms();
  return transition(
      id, "message.delivered", "queued", [&] { return store_.messages().mark_delivered(id, at); },
      nullptr);
}

Result<Message> Mailbox::mark_acked(const std::string& id) {
  int64_t at = now_ms();
  return transition(
      id, "message.acked", "delivered", [&] { return store_.messages().mark_acked(id, at); },
      nullptr);
}

Result<Message> Mailbox::mark_failed(const std::string& id, const std::string& why) {
  return transition(
      id, "message.failed", "queued", [&] { return store_.messages().mark_failed(id, why); },
      "failed");
}

Result<Message> Mailbox::bounce(const std::string& id, const std::string& why) {
  return transition(
      id, "message.bounced", "queued", [&] { return store_.messages().mark_bounced(id, why); },
      "bounced");
}

Result<int64_t> Mailbox::bounce_queued(const std::string& recipient, const std::string& why) {
  EventBus::Transaction tx(bus_, store_);
  if (auto st = tx.begin(); !st) return tl::unexpected(st.error());
  auto queued = store_.messages().queued(recipient);
  if (!queued) return tl::unexpected(queued.error());
  int64_t n = 0;
  for (auto& m : *queued) {
    auto changed = store_.messages().mark_bounced(m.id, why);
    if (!changed) return tl::unexpected(changed.error());
    if (!*changed) continue;
    m.state = "bounced";
    m.error = why;
    if (auto ev = tx.publish("message.bounced", m.id, to_json(m, false)); !ev) {
      return tl::unexpected(ev.error());
    }
    if (auto st = notify_sender(tx, m, "bounced", true); !st) return tl::unexpected(st.error());
    ++n;
  }
  if (auto st = tx.commit(); !st) return tl::unexpected(st.error());
  return n;
}

}  // namespace bosun
