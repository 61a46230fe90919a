// Messages: POST/GET /api/v1/messages, GET …/{id}, POST …/{id}/read, the inboxes.
#include <fmt/format.h>

#include "agent/registry.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "crew/mailbox.h"
#include "store/store_runner.h"

namespace bosun {
namespace {

bool is_agent(const Request& request) {
  return request.principal.kind == Principal::Kind::kAgent;
}

// The caller's mailbox: "user" for the daemon token, the agent's name for an agent's token.
Result<std::string> caller_mailbox(AgentDirectory& agents, const Request& request) {
  if (!is_agent(request)) return std::string(kUserMailbox);
  auto agent = agents.find(request.principal.agent_id);
  if (!agent)
    return fail(ErrorKind::kForbidden, "unknown_agent", "this token's agent no longer exists");
  return agent->name;
}

// What the caller may do to a message it is not party to: agents see only their own mail.
Status check_party(const std::string& caller, const Request& request, const Message& m) {
  if (!is_agent(request) || m.sender == caller || m.recipient == caller) return {};
  return fail(
      ErrorKind::kForbidden, "not_your_message",
      fmt::format("message {} is between {} and {}, not {}", m.id, m.sender, m.recipient, caller));
}

// Agents may send mail and their own reports; heartbeats, resets and notices are bosun's.
bool agent_may_send(const std::string& type) {
  return type == "mail" || type == "task" || type == "status" || type == "done" ||
         type == "blocked";
}

Result<bool> query_flag(const Request& request, const std::string& name) {
  const std::string* v = request.query_param(name);
  if (!v || v->empty() || *v == "0" || *v == "false") return false;
  if (*v == "1" || *v == "true") return true;
  return bad_request("invalid_query", fmt::format("query parameter '{}' must be 1 or 0", name));
}

Json message_list(const std::vector<Message>& messages) {
  Json list = Json::array();
  for (const auto& m : messages)
    list.push_back(to_json(m, false));
  return list;
}

// The mailbox's work runs through the store runner, with the sender and the recipient looked up
// on the loop first (KnownAgents): the registry is the loop's.
Awaitable<Result<Response>> post_message(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  if (body->contains("from")) {
    co_return bad_request("invalid_field",
                          "field 'from' is not accepted: the sender is whoever holds the token");
  }
  MessageDraft draft;
  auto to = require_string(*body, "to");
  if (!to) co_return tl::unexpected(to.error());
  auto subject = require_string(*body, "subject");
  if (!subject) co_return tl::unexpected(subject.error());
  auto type = optional_string(*body, "type");
  if (!type) co_return tl::unexpected(type.error());
  auto text = optional_string(*body, "body");
  if (!text) co_return tl::unexpected(text.error());
  auto task = optional_string(*body, "task_id");
  if (!task) co_return tl::unexpected(task.error());
  auto urgent = optional_bool(*body, "urgent");
  if (!urgent) co_return tl::unexpected(urgent.error());
  draft.to = *to;
  draft.subject = *subject;
  draft.type = type->value_or("mail");
  draft.body = text->value_or("");
  draft.task_id = *task;
  draft.urgent = urgent->value_or(false);

  RegistryDirectory agents(s.agents);
  auto from = caller_mailbox(agents, request);
  if (!from) co_return tl::unexpected(from.error());
  draft.from = *from;
  if (is_agent(request) && valid_message_type(draft.type) && !agent_may_send(draft.type)) {
    co_return fail(
        ErrorKind::kForbidden, "type_not_allowed",
        "agents may send mail, task, status, done and blocked messages, not " + draft.type);
  }
  KnownAgents known(agents, {draft.to, draft.from});
  auto send = [&clock = s.clock, &known, &draft](Store& store, EventBus& bus) {
    return Mailbox(store, bus, clock, known).send(std::move(draft));
  };
  auto message = co_await s.runner.run(send);
  if (!message) co_return tl::unexpected(message.error());
  if (message->state == "bounced") {
    s.log.info("message.bounced", {{"message", message->id},
                                   {"to", message->recipient},
                                   {"why", message->error.value_or("")}});
  }
  co_return Response::json(to_json(*message), 201);
}

Result<Response> get_messages(Services& s, Request& request) {
  RegistryDirectory agents(s.agents);
  MessageQuery query;
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  query.limit = *limit;
  auto param = [&](const char* name) -> std::optional<std::string> {
    const std::string* v = request.query_param(name);
    if (!v || v->empty()) return std::nullopt;
    return *v;
  };
  // An agent's id names the same mailbox as its name.
  auto mailbox_name = [&](std::optional<std::string> who) -> std::optional<std::string> {
    if (!who) return who;
    auto agent = agents.find(*who);
    return agent ? agent->name : *who;
  };
  query.to = mailbox_name(param("to"));
  query.from = mailbox_name(param("from"));
  query.type = param("type");
  query.task_id = param("task");
  query.state = param("state");
  query.after = param("after");
  if (query.type && !valid_message_type(*query.type)) {
    return bad_request("invalid_query",
                       "type must be one of mail, task, status, done, blocked, "
                       "heartbeat, reset, system");
  }
  if (query.state && !valid_message_state(*query.state)) {
    return bad_request("invalid_query",
                       "state must be one of queued, delivered, acked, bounced, failed");
  }
  if (query.after) {
    auto known = s.store.messages().exists(*query.after);
    if (!known) return tl::unexpected(known.error());
    if (!*known) return bad_request("invalid_query", "after: no message " + *query.after);
  }
  if (is_agent(request)) {
    auto me = caller_mailbox(agents, request);
    if (!me) return tl::unexpected(me.error());
    query.party = *me;
  }
  auto messages = s.store.messages().list(query);
  if (!messages) return tl::unexpected(messages.error());
  return Response::json(Json{{"messages", message_list(*messages)}});
}

Result<Response> get_message(Services& s, Request& request) {
  RegistryDirectory agents(s.agents);
  auto message = s.store.messages().get(request.params["id"]);
  if (!message) return tl::unexpected(message.error());
  auto me = caller_mailbox(agents, request);
  if (!me) return tl::unexpected(me.error());
  if (auto st = check_party(*me, request, *message); !st) return tl::unexpected(st.error());
  return Response::json(to_json(*message));
}

Result<Response> inbox_of(Services& s, Request& request, const std::string& owner) {
  auto unread = query_flag(request, "unread");
  if (!unread) return tl::unexpected(unread.error());
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return tl::unexpected(limit.error());
  auto messages = s.store.messages().inbox(owner, *unread, *limit);
  if (!messages) return tl::unexpected(messages.error());
  auto count = s.store.messages().count_unread(owner);
  if (!count) return tl::unexpected(count.error());
  return Response::json(
      Json{{"owner", owner}, {"unread", *count}, {"messages", message_list(*messages)}});
}

Result<Response> get_agent_inbox(Services& s, Request& request) {
  RegistryDirectory agents(s.agents);
  auto agent = agents.find(request.params["id"]);
  if (!agent) return tl::unexpected(agent.error());
  auto me = caller_mailbox(agents, request);
  if (!me) return tl::unexpected(me.error());
  if (is_agent(request) && agent->name != *me) {
    return fail(ErrorKind::kForbidden, "not_your_inbox",
                fmt::format("agent {} may read only its own inbox, not {}'s", *me, agent->name));
  }
  return inbox_of(s, request, agent->name);
}

Result<Response> get_own_inbox(Services& s, Request& request) {
  RegistryDirectory agents(s.agents);
  auto me = caller_mailbox(agents, request);
  if (!me) return tl::unexpected(me.error());
  return inbox_of(s, request, *me);
}

// The recipient has read the message. The user reads for the user and the supervisor mailboxes.
Awaitable<Result<Response>> post_read(Services& s, Request& request) {
  auto body = parse_json_object(request.body);
  if (!body) co_return tl::unexpected(body.error());
  RegistryDirectory agents(s.agents);
  auto message = s.store.messages().get(request.params["id"]);
  if (!message) co_return tl::unexpected(message.error());
  auto me = caller_mailbox(agents, request);
  if (!me) co_return tl::unexpected(me.error());
  bool recipient = is_agent(request) ? message->recipient == *me
                                     : message->recipient == kUserMailbox ||
                                           message->recipient == kSupervisorMailbox;
  if (!recipient) {
    if (auto st = check_party(*me, request, *message); !st) co_return tl::unexpected(st.error());
    co_return fail(ErrorKind::kForbidden, "not_recipient",
                   fmt::format("message {} is for {}; only its recipient marks it read",
                               message->id, message->recipient));
  }
  auto mark = [&s, id = message->id](Store& store, EventBus& bus) {
    KnownAgents nobody;  // marking read looks nobody up
    return Mailbox(store, bus, s.clock, nobody).mark_read(id);
  };
  CO_TRY(read, co_await s.runner.run(mark));
  co_return Response::json(to_json(*read));
}

}  // namespace

std::vector<Route> message_routes() {
  return {
      {"POST", "/api/v1/messages", Access::kAny, nullptr, post_message},
      {"GET", "/api/v1/messages", Access::kAny, get_messages},
      {"GET", "/api/v1/messages/{id}", Access::kAny, get_message},
      {"POST", "/api/v1/messages/{id}/read", Access::kAny, nullptr, post_read},
      {"GET", "/api/v1/agents/{id}/inbox", Access::kSelf, get_agent_inbox},
      {"GET", "/api/v1/inbox", Access::kAny, get_own_inbox},
  };
}

}  // namespace bosun
