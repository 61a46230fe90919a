// Notifications from the command line: the channels and rules (show, set from a file), the
// deliveries (list), and a sample message on one channel (test).
#include "cli/notify_commands.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/family.h"
#include "crew/team.h"

namespace bosun::cli {

namespace {

// Where a channel sends: its URL's scheme and host, or its command.
std::string target_of(const Json& c) {
  if (c.contains("url")) {
    std::string url = text(c, "url");
    size_t host = url.find("//");
    size_t path = host == std::string::npos ? std::string::npos : url.find('/', host + 2);
    return path == std::string::npos ? url : url.substr(0, path) + "/…";
  }
  if (c.contains("run")) {
    std::string out;
    for (const auto& a : c["run"])
      out += (out.empty() ? "" : " ") + a.get<std::string>();
    return shorten(out, 60);
  }
  return "the desktop";
}

std::string joined(const Json& list) {
  std::string out;
  for (const auto& i : list)
    out += (out.empty() ? "" : ",") + i.get<std::string>();
  return out;
}

void print_status(const Json& s) {
  const Json& c = s["config"];
  if (c["channels"].empty()) {
    std::printf("no channels: only the dashboard notifies (bosun notify set FILE adds some)\n");
  }
  for (const auto& ch : c["channels"]) {
    std::string rules = ch.contains("on") ? "on " + joined(ch["on"]) : "every kind";
    if (ch.contains("projects")) rules += ", projects " + joined(ch["projects"]);
    if (ch.contains("roles")) rules += ", roles " + joined(ch["roles"]);
    if (ch.contains("quiet_hours")) rules += ", quiet " + text(ch, "quiet_hours");
    std::printf("%-14s %-8s %-40s %s\n", text(ch, "name").c_str(), text(ch, "type").c_str(),
                target_of(ch).c_str(), rules.c_str());
  }
  std::printf("quiet hours: %s; debounce %s, batch %s, digest after %s, %s attempts from %s\n",
              text(c, "quiet_hours", "none").c_str(), text(c, "debounce").c_str(),
              text(c, "batch").c_str(), text(c, "digest_after").c_str(),
              text(c, "attempts").c_str(), text(c, "retry_backoff").c_str());
  const Json& d = s["deliveries"];
  std::printf("deliveries: %s sent, %s queued, %s held, %s failed\n", text(d, "sent").c_str(),
              text(d, "queued").c_str(), text(d, "held").c_str(), text(d, "failed").c_str());
  for (const auto& e : s["open"]) {
    std::printf("open: %-8s %s since %s\n", text(e, "kind").c_str(), text(e, "key").c_str(),
                text(e, "since").c_str());
  }
}

void print_delivery(const Json& n) {
  std::string outcome = text(n, "status");
  if (outcome == "failed" || (outcome == "queued" && !n["last_error"].is_null())) {
    outcome += " (" + text(n, "last_error") + ")";
  } else if (outcome == "held" || outcome == "queued") {
    outcome += " until " + text(n, "next_at");
  }
  std::printf("%-5s %-10s %-13s %-24s %s — %s\n", text(n, "id").c_str(), text(n, "channel").c_str(),
              text(n, "kind").c_str(), text(n, "created_at").c_str(), text(n, "title").c_str(),
              outcome.c_str());
}

void setup_show(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, json] {
    with_client(ctx, [&](Client& client) -> Status {
      TRY(s, client.get("/api/v1/notify"));
      if (*json) {
        std::printf("%s\n", s->dump(2).c_str());
      } else {
        print_status(*s);
      }
      return {};
    });
  });
}

void setup_set(CLI::App& app, CommandContext& ctx) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("file", *file,
                 "a YAML or JSON file of notify: settings (or a team file); - reads stdin")
      ->required();
  app.add_flag("--json", *json, "print the result as JSON");
  app.callback([&ctx, file, json] {
    std::stringstream text;
    if (*file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(*file);
      if (!in) {
        ctx.exit_code =
            report_error(Error{ErrorKind::kNotFound, "file_not_found", "cannot read " + *file});
        return;
      }
      text << in.rdbuf();
    }
    auto notify = parse_notify_file(text.str(), *file == "-" ? "stdin" : *file);
    if (!notify) {
      ctx.exit_code = report_error(notify.error());
      return;
    }
    with_client(ctx, [&](Client& client) -> Status {
      TRY(s, client.put("/api/v1/notify", *notify));
      if (*json) {
        std::printf("%s\n", s->dump(2).c_str());
      } else {
        print_status(*s);
      }
      return {};
    });
  });
}

void setup_list(CLI::App& app, CommandContext& ctx) {
  auto status = std::make_shared<std::string>();
  auto channel = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(20);
  auto json = std::make_shared<bool>(false);
  app.add_option("--status", *status, "only queued, held, sent or failed ones");
  app.add_option("--channel", *channel, "only this channel's");
  app.add_option("--limit", *limit, "at most this many, newest first (20)");
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, status, channel, limit, json] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = fmt::format("/api/v1/notifications?limit={}", *limit);
      if (!status->empty()) target += "&status=" + path_segment(*status);
      if (!channel->empty()) target += "&channel=" + path_segment(*channel);
      TRY(r, client.get(target));
      if (*json) {
        std::printf("%s\n", r->dump(2).c_str());
        return {};
      }
      if ((*r)["notifications"].empty()) std::printf("no notifications\n");
      for (const auto& n : (*r)["notifications"])
        print_delivery(n);
      return {};
    });
  });
}

void setup_test(CLI::App& app, CommandContext& ctx) {
  auto channel = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app.add_option("channel", *channel, "the channel's name")->required();
  app.add_flag("--json", *json, "print as JSON");
  app.callback([&ctx, channel, json] {
    with_client(ctx, [&](Client& client) -> Status {
      TRY(n, client.post("/api/v1/notify/test", Json{{"channel", *channel}}));
      if (*json) {
        std::printf("%s\n", n->dump(2).c_str());
      } else if (text(*n, "status") == "sent") {
        std::printf("sent a test notification on %s\n", channel->c_str());
      } else {
        std::printf("the test notification on %s failed: %s\n", channel->c_str(),
                    text(*n, "last_error").c_str());
      }
      if (text(*n, "status") != "sent") ctx.exit_code = 1;
      return {};
    });
  });
}

const Verb kNotifyVerbs[] = {
    {"show", "the channels, their rules, what is open and how deliveries went", setup_show},
    {"set", "replace the notify settings with a file's (YAML or JSON)", setup_set},
    {"list", "deliveries, newest first: sent, queued, held for quiet hours, failed", setup_list},
    {"test", "send a sample notification on one channel now", setup_test},
};

}  // namespace

const Command kNotifyCommand{
    "notify",
    "notifications: where they go (webhook, Slack, Discord, ntfy, a command, the desktop)",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kNotifyVerbs); }};

}  // namespace bosun::cli
