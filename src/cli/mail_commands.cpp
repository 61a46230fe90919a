// `bosun mail send|inbox|read|list|done|status|blocked`: the mailbox from a shell or an agent.
#include "cli/mail_commands.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/client.h"
#include "cli/family.h"
#include "util/text.h"

namespace bosun::cli {

namespace {

constexpr size_t kSubjectBytes = 200;  // the daemon's limit on a subject

// Posts a message; prints "sent m_… to TO (state)" or the JSON. A bounce is a conflict (exit 4).
Status send_message(Client& client, const Json& body, bool json) {
  auto message = client.post("/api/v1/messages", body);
  if (!message) return tl::unexpected(message.error());
  if (json) {
    std::printf("%s\n", message->dump(2).c_str());
  } else if (text(*message, "state") != "bounced") {
    std::printf("sent %s to %s (%s)\n", text(*message, "id").c_str(), text(*message, "to").c_str(),
                text(*message, "state").c_str());
  }
  if (text(*message, "state") == "bounced") {
    return fail(ErrorKind::kConflict, "message_bounced",
                fmt::format("{} to {} bounced: {}", text(*message, "id"), text(*message, "to"),
                            text(*message, "error")));
  }
  return {};
}

struct SendFlags {
  std::string to;
  std::string subject;
  std::string body;
  std::string type;
  std::string task;
  bool urgent = false;
  bool json = false;
};

void setup_send(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<SendFlags>();
  app.add_option("to", f->to, "an agent's name or id, user, or supervisor")->required();
  app.add_option("subject", f->subject, "one line")->required();
  app.add_option("body", f->body, "the message body; - reads it from stdin");
  app.add_option("--type", f->type, "mail (default), task, status, done or blocked");
  app.add_option("--task", f->task, "the task the message is about");
  app.add_flag("--urgent", f->urgent,
               "deliver even if the agent is busy (when its profile allows)");
  app.add_flag("--json", f->json, "print the stored message as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      Json body{{"to", f->to}, {"subject", f->subject}};
      if (f->body == "-") {
        body["body"] = std::string(std::istreambuf_iterator<char>(std::cin), {});
      } else if (!f->body.empty()) {
        body["body"] = f->body;
      }
      if (!f->type.empty()) body["type"] = f->type;
      if (!f->task.empty()) body["task_id"] = f->task;
      if (f->urgent) body["urgent"] = true;
      return send_message(client, body, f->json);
    });
  });
}

// "2026-11-21T10:54:03.123Z" → "2026-11-21 10:54".
std::string short_time(const std::string& t) {
  if (t.size() < 16) return t;
  return t.substr(0, 10) + " " + t.substr(11, 5);
}

void print_list(const Json& messages, bool mark_unread) {
  std::printf("  %-10s %-19s %-12s %-12s %-9s %-9s %s\n", "ID", "SENT", "FROM", "TO", "TYPE",
              "STATE", "SUBJECT");
  for (const auto& m : messages) {
    char mark = mark_unread && !m.value("read", false) ? '*' : ' ';
    std::printf("%c %-10s %-19s %-12s %-12s %-9s %-9s %s\n", mark, text(m, "id").c_str(),
                short_time(text(m, "created_at")).c_str(), text(m, "from").c_str(),
                text(m, "to").c_str(), text(m, "type").c_str(), text(m, "state").c_str(),
                text(m, "subject").c_str());
  }
}

struct InboxFlags {
  bool unread = false;
  bool json = false;
  int limit = 50;
};

void setup_inbox(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<InboxFlags>();
  app.add_flag("--unread", f->unread, "only messages not read yet");
  app.add_option("--limit", f->limit, "at most this many")->capture_default_str();
  app.add_flag("--json", f->json, "print the inbox as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      auto inbox = client.get(
          fmt::format("/api/v1/inbox?limit={}{}", f->limit, f->unread ? "&unread=1" : ""));
      if (!inbox) return tl::unexpected(inbox.error());
      if (f->json) {
        std::printf("%s\n", inbox->dump(2).c_str());
        return {};
      }
      const Json& messages = (*inbox)["messages"];
      std::printf("inbox of %s: %s unread\n", text(*inbox, "owner").c_str(),
                  text(*inbox, "unread").c_str());
      if (messages.empty()) return {};
      print_list(messages, true);
      return {};
    });
  });
}

void print_message(const Json& m) {
  std::printf("id:      %s\n", text(m, "id").c_str());
  std::printf("from:    %s\n", text(m, "from").c_str());
  std::printf("to:      %s\n", text(m, "to").c_str());
  std::printf("type:    %s%s\n", text(m, "type").c_str(),
              m.value("urgent", false) ? " (urgent)" : "");
  if (!text(m, "task_id", "").empty()) std::printf("task:    %s\n", text(m, "task_id").c_str());
  std::printf("sent:    %s\n", text(m, "created_at").c_str());
  std::printf("state:   %s\n", text(m, "state").c_str());
  if (!text(m, "error", "").empty()) std::printf("error:   %s\n", text(m, "error").c_str());
  std::printf("subject: %s\n", text(m, "subject").c_str());
  std::string body = text(m, "body", "");
  if (!body.empty()) {
    std::printf("\n%s%s", body.c_str(), body.back() == '\n' ? "" : "\n");
  }
}

void setup_read(CLI::App& app, CommandContext& ctx) {
  auto id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("id", *id, "the message id (m_…)")->required();
  app.add_flag("--json", *json, "print the message as JSON");
  app.callback([&ctx, id, json] {
    with_client(ctx, [&](Client& client) -> Status {
      // The recipient marks it read; anyone else who may see it (its sender, the user for
      // an agent's mail) just reads it.
      auto message = client.post("/api/v1/messages/" + path_segment(*id) + "/read", Json::object());
      if (!message && message.error().code == "not_recipient") {
        message = client.get("/api/v1/messages/" + path_segment(*id));
      }
      if (!message) return tl::unexpected(message.error());
      if (*json) {
        std::printf("%s\n", message->dump(2).c_str());
      } else {
        print_message(*message);
      }
      return {};
    });
  });
}

struct ListFlags {
  std::string to;
  std::string from;
  std::string type;
  std::string task;
  std::string state;
  int limit = 100;
  bool json = false;
};

void setup_list(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ListFlags>();
  app.add_option("--to", f->to, "recipient");
  app.add_option("--from", f->from, "sender");
  app.add_option("--type", f->type, "message type");
  app.add_option("--task", f->task, "task id");
  app.add_option("--state", f->state, "queued, delivered, acked, bounced or failed");
  app.add_option("--limit", f->limit, "at most this many")->capture_default_str();
  app.add_flag("--json", f->json, "print the messages as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = fmt::format("/api/v1/messages?limit={}", f->limit);
      for (auto [key, value] :
           {std::pair{"to", &f->to}, std::pair{"from", &f->from}, std::pair{"type", &f->type},
            std::pair{"task", &f->task}, std::pair{"state", &f->state}}) {
        if (!value->empty()) target += fmt::format("&{}={}", key, path_segment(*value));
      }
      auto list = client.get(target);
      if (!list) return tl::unexpected(list.error());
      if (f->json) {
        std::printf("%s\n", (*list)["messages"].dump(2).c_str());
      } else if ((*list)["messages"].empty()) {
        std::printf("no messages\n");
      } else {
        print_list((*list)["messages"], false);
      }
      return {};
    });
  });
}

// `mail done|status|blocked TEXT`: a report of `type` to the supervisor about the current task.
struct ReportFlags {
  std::string text;
  std::string task;
  bool json = false;
};

void setup_report(CLI::App& app, CommandContext& ctx, const char* type, const char* what) {
  auto f = std::make_shared<ReportFlags>();
  app.add_option("text", f->text, what)->required();
  app.add_option("--task", f->task, "the task (default: $BOSUN_TASK)");
  app.add_flag("--json", f->json, "print the stored message as JSON");
  app.callback([&ctx, f, type] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string subject = first_line(f->text, kSubjectBytes);
      if (subject.empty()) return bad_request("invalid_text", fmt::format("{} needs a text", type));
      Json body{{"to", "supervisor"}, {"type", type}, {"subject", subject}};
      if (subject != f->text) body["body"] = f->text;  // the whole text when it is longer
      std::string task = current_task(client, f->task, std::string_view(type) == "done");
      if (!task.empty()) body["task_id"] = task;
      return send_message(client, body, f->json);
    });
  });
}

void setup_done(CLI::App& app, CommandContext& ctx) {
  setup_report(app, ctx, "done", "what was done (a report should follow)");
}
void setup_status(CLI::App& app, CommandContext& ctx) {
  setup_report(app, ctx, "status", "where you are");
}
void setup_blocked(CLI::App& app, CommandContext& ctx) {
  setup_report(app, ctx, "blocked", "what blocks you");
}

const Verb kVerbs[] = {
    {"send", "send a message: bosun mail send TO SUBJECT [BODY|-]", setup_send},
    {"inbox", "your inbox, unread first (--unread: only those)", setup_inbox},
    {"read", "print a message in full and mark it read", setup_read},
    {"list", "list messages by recipient, sender, type, task or state", setup_list},
    {"done", "tell the supervisor the task is done: bosun mail done SUMMARY", setup_done},
    {"status", "tell the supervisor where you are: bosun mail status TEXT", setup_status},
    {"blocked", "tell the supervisor what blocks you: bosun mail blocked REASON", setup_blocked},
};

void setup_mail(CLI::App& app, CommandContext& ctx) {
  add_verbs(app, ctx, kVerbs);
}

}  // namespace

const Command kMailCommand{"mail", "messages between agents, the user and the supervisor",
                           setup_mail};

}  // namespace bosun::cli
