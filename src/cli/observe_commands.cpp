// `bosun events [--follow]` (the event log, then the live WebSocket), `bosun journal add|list`,
// `bosun supervisor show|set KEY=VALUE…`.
#include "cli/observe_commands.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "cli/family.h"

namespace bosun::cli {

namespace {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

// ---- events ----

struct EventsFlags {
  int64_t since = -1;  // -1: the last `limit` events
  int limit = 20;
  bool follow = false;
  std::vector<std::string> kinds;
  std::string subject;
  bool json = false;
};

// Whether an event is one asked for: its type is one of --kind (a trailing `*` matches a prefix:
// `task.*`), its subject --subject.
bool wanted(const Json& event, const EventsFlags& f) {
  if (!f.subject.empty() && event.value("subject", "") != f.subject) return false;
  if (f.kinds.empty()) return true;
  std::string type = event.value("type", "");
  for (const auto& k : f.kinds) {
    if (!k.empty() && k.back() == '*' ? type.starts_with(k.substr(0, k.size() - 1)) : type == k) {
      return true;
    }
  }
  return false;
}

void print_event(const Json& e, const EventsFlags& f) {
  if (!wanted(e, f)) return;
  if (f.json) {  // one event per line, as the daemon sends it
    std::printf("%s\n", e.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
  } else {
    std::string data =
        e.contains("data") ? e["data"].dump(-1, ' ', false, Json::error_handler_t::replace) : "{}";
    if (data.size() > 120) data = data.substr(0, 117) + "...";
    std::printf("%-7s %s  %-22s %-14s %s\n", text(e, "seq").c_str(), text(e, "at").c_str(),
                text(e, "type").c_str(), text(e, "subject").c_str(), data.c_str());
  }
  std::fflush(stdout);
}

// The live events after `after`, until the daemon closes the stream (it stops) or this process
// is interrupted.
Status follow_events(Client& client, int64_t after, const EventsFlags& f) {
  const Endpoint& ep = client.endpoint();
  boost::asio::io_context io;
  beast::websocket::stream<tcp::socket> ws(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto found = resolver.resolve(ep.host, ep.port, ec);
  if (!ec) boost::asio::connect(ws.next_layer(), found, ec);
  if (ec) {
    return fail(ErrorKind::kUnavailable, "daemon_unreachable",
                fmt::format("cannot reach the daemon ({}): {}", ep.origin, ec.message()));
  }
  ws.set_option(beast::websocket::stream_base::decorator([&ep](beast::websocket::request_type& r) {
    r.set(beast::http::field::authorization, "Bearer " + ep.token);
  }));
  ws.handshake(ep.host + ":" + ep.port, fmt::format("/api/v1/events?since={}", after), ec);
  if (ec) {
    return fail(ErrorKind::kUnavailable, "daemon_unreachable",
                fmt::format("the event stream was refused: {}", ec.message()));
  }
  for (;;) {
    beast::flat_buffer buffer;
    ws.read(buffer, ec);
    if (ec == beast::websocket::error::closed) return {};
    if (ec) {
      return fail(ErrorKind::kUnavailable, "daemon_unreachable",
                  fmt::format("lost the event stream: {}", ec.message()));
    }
    Json e = Json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
    if (e.is_discarded() || !e.contains("seq") || e.value("type", "") == "hello") continue;
    print_event(e, f);
  }
}

void setup_events(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<EventsFlags>();
  app.add_option("--since", f->since, "events after this sequence number (default: the last few)");
  app.add_option("--limit", f->limit, "how many of the past events (1-1000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_flag("-f,--follow", f->follow, "then keep printing events as they happen");
  app.add_option("--kind", f->kinds, "only events of this type; task.* for a family (repeatable)");
  app.add_option("--subject", f->subject, "only events about this agent, task or message id");
  app.add_flag("--json", f->json, "one event per line as JSON, as the daemon sends it");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      int64_t since = f->since;
      if (since < 0) {
        auto latest = client.get("/api/v1/events?limit=1&since=0");
        if (!latest) return tl::unexpected(latest.error());
        since = std::max<int64_t>(0, latest->value("latest_seq", 0) - f->limit);
      }
      // The past, page by page (with --since, all of it), then the live stream.
      int64_t at = since;
      for (;;) {
        auto page = client.get(
            fmt::format("/api/v1/events?since={}&limit={}", at, f->since < 0 ? f->limit : 1000));
        if (!page) return tl::unexpected(page.error());
        const Json& events = (*page)["events"];
        for (const auto& e : events) {
          print_event(e, *f);
          at = e.value("seq", at);
        }
        if (events.empty() || f->since < 0 || at >= page->value("latest_seq", at)) break;
      }
      if (!f->follow) return {};
      return follow_events(client, at, *f);
    });
  });
}

// ---- journal ----

void setup_journal_add(CLI::App& app, CommandContext& ctx) {
  auto text_arg = std::make_shared<std::string>();
  auto kind = std::make_shared<std::string>("note");
  auto json = std::make_shared<bool>(false);
  app.add_option("text", *text_arg, "what to note")->required();
  app.add_option("--kind", *kind, "note, decision, snapshot… ([a-z0-9_-])")->capture_default_str();
  app.add_flag("--json", *json, "print the entry as JSON");
  app.callback([&ctx, text_arg, kind, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto entry = client.post("/api/v1/journal", Json{{"text", *text_arg}, {"kind", *kind}});
      if (!entry) return tl::unexpected(entry.error());
      if (*json) {
        print_json(*entry);
      } else {
        std::printf("noted %s (%s)\n", text(*entry, "id").c_str(), text(*entry, "kind").c_str());
      }
      return {};
    });
  });
}

void setup_journal_list(CLI::App& app, CommandContext& ctx) {
  struct Flags {
    std::string date, query;
    int limit = 50;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  app.add_option("--date", f->date, "only this day (YYYY-MM-DD, UTC)");
  app.add_option("-q,--query", f->query, "only entries containing this text");
  app.add_option("--limit", f->limit, "at most this many (1-1000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_flag("--json", f->json, "print the entries as JSON");
  app.callback([&ctx, f] {
    with_client(ctx, [&](Client& client) -> Status {
      std::string target = fmt::format("/api/v1/journal?limit={}", f->limit);
      if (!f->date.empty()) target += "&date=" + path_segment(f->date);
      if (!f->query.empty()) target += "&q=" + path_segment(f->query);
      auto r = client.get(target);
      if (!r) return tl::unexpected(r.error());
      if (f->json) {
        print_json((*r)["entries"]);
        return {};
      }
      if ((*r)["entries"].empty()) std::printf("no journal entries\n");
      for (const auto& e : (*r)["entries"]) {
        std::printf("%s  %-9s %-10s %s\n", text(e, "at").c_str(), text(e, "kind").c_str(),
                    text(e, "author").c_str(), text(e, "text").c_str());
      }
      return {};
    });
  });
}

const Verb kJournalVerbs[] = {
    {"add", "note something in the journal (bosun journal add TEXT [--kind K])", setup_journal_add},
    {"list", "the journal, newest first (--date, --query)", setup_journal_list},
};

// ---- supervisor ----

void setup_supervisor_show(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print its settings, watches and provider limits as JSON");
  app.callback([&ctx, json] {
    with_client(ctx, [&](Client& client) -> Status {
      auto s = client.get("/api/v1/supervisor");
      if (!s) return tl::unexpected(s.error());
      if (*json) {
        print_json(*s);
        return {};
      }
      for (const auto& [key, value] : (*s)["config"].items()) {
        std::printf("%-18s %s\n", key.c_str(),
                    value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
      }
      for (const auto& l : (*s)["provider_limits"]) {
        std::printf("limit: %s (%s) until %s — %s\n", text(l, "provider").c_str(),
                    text(l, "scope").c_str(), text(l, "until").c_str(), text(l, "text").c_str());
      }
      return {};
    });
  });
}

void setup_supervisor_set(CLI::App& app, CommandContext& ctx) {
  auto pairs = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  app.add_option("settings", *pairs, "KEY=VALUE… (heartbeat=10m, restart_limit=3, …)")->required();
  app.add_flag("--json", *json, "print the supervisor's settings after as JSON");
  app.callback([&ctx, pairs, json] {
    with_client(ctx, [&](Client& client) -> Status {
      // The daemon takes the whole set (a key left out is its default): the rest stay as they are.
      auto now = client.get("/api/v1/supervisor");
      if (!now) return tl::unexpected(now.error());
      Json config = (*now)["config"];
      for (const auto& pair : *pairs) {
        auto eq = pair.find('=');
        if (eq == std::string::npos || eq == 0) {
          return bad_request("invalid_setting",
                             fmt::format("'{}' is not KEY=VALUE (e.g. heartbeat=10m)", pair));
        }
        std::string key = pair.substr(0, eq);
        std::string value = pair.substr(eq + 1);
        if (!config.contains(key)) {
          std::vector<std::string> keys;
          for (const auto& [k, v] : config.items())
            keys.push_back(k);
          return bad_request("invalid_setting",
                             fmt::format("no supervisor setting '{}' ({})", key, join(keys, ", ")));
        }
        // Counts are numbers, durations text: as the team file gives them.
        Json parsed = Json::parse(value, nullptr, false);
        config[key] = config[key].is_number() && !parsed.is_discarded() ? parsed : Json(value);
      }
      auto after = client.put("/api/v1/supervisor", config);
      if (!after) return tl::unexpected(after.error());
      if (*json) {
        print_json(*after);
        return {};
      }
      for (const auto& pair : *pairs) {
        std::string key = pair.substr(0, pair.find('='));
        std::printf("%s = %s\n", key.c_str(), text((*after)["config"], key.c_str()).c_str());
      }
      return {};
    });
  });
}

const Verb kSupervisorVerbs[] = {
    {"show", "the supervisor's settings and any provider usage limits it waits out",
     setup_supervisor_show},
    {"set", "change supervisor settings: bosun supervisor set heartbeat=10m restart_limit=5",
     setup_supervisor_set},
};

}  // namespace

const Command kEventsCommand{"events", "the event log: what happened (--follow to keep watching)",
                             setup_events};
const Command kJournalCommand{
    "journal", "the journal: notes and snapshots, newest first",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kJournalVerbs); }};
const Command kSupervisorCommand{
    "supervisor", "the supervisor's settings: show and set them",
    [](CLI::App& app, CommandContext& ctx) { add_verbs(app, ctx, kSupervisorVerbs); }};

}  // namespace bosun::cli
