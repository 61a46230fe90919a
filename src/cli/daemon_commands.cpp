// `bosun version`, `bosun serve`, `bosun status`.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "api/daemon.h"
#include "api/http_server.h"
#include "cli/client.h"
#include "cli/daemon_commands.h"
#include "cli/family.h"
#include "store/database.h"

namespace bosun::cli {
namespace {

void setup_version(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print it as JSON");
  app.callback([&ctx, json] {
    if (*json) {
      print_json(Json{{"version", BOSUN_VERSION}});
    } else {
      std::printf("bosun %s\n", BOSUN_VERSION);
    }
    ctx.exit_code = 0;
  });
}

struct ServeFlags {
  std::string listen = "127.0.0.1:7777";
  size_t max_body = 1 << 20;
  size_t ws_queue_limit = 8 << 20;
  bool quiet = false;
  std::vector<std::string> allow_hosts;
  size_t max_connections = 0;
  std::string store;
  std::string host_name;
  std::string advertise;
  int64_t host_lease_ms = 15'000;
};

// A host's name: what `bosun hosts` and every agent's host column show.
bool valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

void setup_serve(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<ServeFlags>();  // shared with the callback, which outlives setup
  app.add_option("--listen", flags->listen, "address to listen on (port 0 picks a free port)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  app.add_option("--max-body", flags->max_body, "largest request body in bytes")
      ->capture_default_str();
  app.add_option("--ws-queue-limit", flags->ws_queue_limit,
                 "bytes queued for one WebSocket client before it is dropped")
      ->capture_default_str();
  app.add_flag("--quiet", flags->quiet, "log warnings and errors only to stderr");
  app.add_option("--allow-host", flags->allow_hosts,
                 "a name the daemon answers to besides its addresses and localhost "
                 "(for a browser reaching it by that name; repeatable)")
      ->type_name("NAME");
  app.add_option("--max-connections", flags->max_connections,
                 "open connections beyond this get 503 (default: 3/4 of the descriptor limit)");
  app.add_option("--store", flags->store,
                 "a shared PostgreSQL store (postgres://…) instead of the state directory's "
                 "SQLite file; default $BOSUN_STORE")
      ->type_name("URL");
  app.add_option("--host-name", flags->host_name,
                 "this daemon's host among those sharing a --store (default $BOSUN_HOST_NAME, "
                 "else the machine's name)")
      ->type_name("NAME");
  app.add_option("--advertise", flags->advertise,
                 "with a --store: where other hosts' daemons reach this one, to open its agents' "
                 "terminals (default: the --listen address; on 0.0.0.0 or ::, the machine's "
                 "name)")
      ->type_name("HOST:PORT");
  app.add_option("--host-lease-ms", flags->host_lease_ms,
                 "with a --store: how long this host's lease on its agents lasts unrenewed "
                 "before another host declares it lost and hands its tasks back (renewed every "
                 "third of it)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{300}, int64_t{3'600'000}));
  app.callback([&ctx, flags] {
    Log log("serve");
    if (flags->quiet) log.set_stderr_level(Log::Level::kWarn);
    DaemonOptions options;
    options.state = resolve_state_dir(ctx.state);
    options.listen = flags->listen;
    options.max_body = flags->max_body;
    options.ws_queue_limit = flags->ws_queue_limit;
    options.allowed_hosts = flags->allow_hosts;
    options.max_connections = flags->max_connections;
    options.store = flags->store;
    if (const char* store = std::getenv("BOSUN_STORE"); store && options.store.empty()) {
      options.store = store;
    }
    if (!options.store.empty() && !Database::is_postgres(options.store)) {
      std::fprintf(stderr, "bosun: --store takes a postgres:// or postgresql:// URL\n");
      ctx.exit_code = 2;
      return;
    }
    options.host_name = flags->host_name;
    if (const char* host = std::getenv("BOSUN_HOST_NAME"); host && options.host_name.empty()) {
      options.host_name = host;
    }
    if (!options.host_name.empty() && !valid_host_name(options.host_name)) {
      std::fprintf(stderr, "bosun: a host name is 1-64 letters, digits, '.', '-' or '_'\n");
      ctx.exit_code = 2;
      return;
    }
    options.host_lease = std::chrono::milliseconds(flags->host_lease_ms);
    options.advertise = flags->advertise;
    if (!options.advertise.empty() && !split_host_port(options.advertise)) {
      std::fprintf(stderr, "bosun: --advertise takes HOST:PORT\n");
      ctx.exit_code = 2;
      return;
    }
    if (const char* worker = std::getenv("BOSUN_STORE_WORKER")) {
      const std::string_view text(worker);
      int64_t ms = -1;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
      if (ec != std::errc() || end != text.data() + text.size() || ms < 0 || ms > 60'000) {
        std::fprintf(stderr, "bosun: BOSUN_STORE_WORKER must be 0 to 60000 (milliseconds)\n");
        ctx.exit_code = 2;
        return;
      }
      options.store_worker = std::chrono::milliseconds(ms);
    }
    ctx.exit_code = run_daemon(options, log);
  });
}

std::string format_duration(int64_t seconds) {
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m {}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h {}m", seconds / 3600, (seconds % 3600) / 60);
  return fmt::format("{}d {}h", seconds / 86400, (seconds % 86400) / 3600);
}

void setup_status(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the daemon's status as JSON");
  app.callback([&ctx, json] {
    auto client = Client::connect(ctx);
    if (!client) {
      ctx.exit_code = report_error(client.error());
      return;
    }
    auto status = client->get("/api/v1/status");
    if (!status) {
      ctx.exit_code = report_error(status.error());
      return;
    }
    if (*json) {
      std::printf("%s\n", status->dump(2).c_str());
      return;
    }
    const Json& s = *status;
    std::printf("bosun %s running at http://%s (pid %d, up %s)\n", s.value("version", "?").c_str(),
                s.value("address", "?").c_str(), s.value("pid", 0),
                format_duration(s.value("uptime_s", int64_t{0})).c_str());
    std::printf("state: %s\n", s.value("state_dir", "?").c_str());
    // A link that logs a browser in: the token rides in the fragment, which the browser never
    // sends; the page exchanges it for the login cookie. Only the daemon token can log in.
    const char* agent_token = std::getenv("BOSUN_TOKEN");
    if (ctx.state || !agent_token || !*agent_token) {
      std::printf("dashboard: http://%s/#token=%s\n", s.value("address", "?").c_str(),
                  client->endpoint().token.c_str());
    }
    if (s.contains("counts") && s["counts"].is_object()) {
      for (const auto& [name, value] : s["counts"].items()) {
        std::printf("%-18s %s\n", (name + ":").c_str(), value.dump().c_str());
      }
    }
    std::printf("%-18s %lld\n", "latest event:", static_cast<long long>(s.value("latest_seq", 0)));
  });
}

// `bosun hosts`: the daemons sharing the store, each with its lease, version, load and agents.
void setup_hosts(CLI::App& app, CommandContext& ctx) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print the hosts as JSON");
  app.callback([&ctx, json] {
    auto client = Client::connect(ctx);
    if (!client) {
      ctx.exit_code = report_error(client.error());
      return;
    }
    auto hosts = client->get("/api/v1/hosts");
    if (!hosts) {
      ctx.exit_code = report_error(hosts.error());
      return;
    }
    if (*json) {
      std::printf("%s\n", hosts->dump(2).c_str());
      return;
    }
    if (!hosts->value("shared", false)) {
      std::printf(
          "this daemon's store is its own (SQLite): one host. Hosts share a PostgreSQL "
          "store (bosun serve --store; docs/scale.md).\n");
      return;
    }
    std::printf("%-20s %-5s %-10s %-22s %-5s %s\n", "HOST", "STATE", "VERSION", "LEASE", "LOAD",
                "AGENTS");
    for (const auto& h : (*hosts)["hosts"]) {
      std::string name = h.value("name", "?") + (h.value("this", false) ? " *" : "");
      std::string state = h.value("state", "?");
      std::string lease;
      if (state == "lost") {
        lease = "unreachable since " + h.value("renewed_at", "?").substr(11, 8);
      } else if (h.value("expired", false)) {
        lease = "expired";
      } else {
        lease =
            fmt::format("{:.1f}s left", static_cast<double>(h.value("lease_left_ms", 0)) / 1000);
      }
      const Json& agents = h["agents"];
      std::string counts;
      for (const auto& [s, n] : agents["states"].items()) {
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n.get<int64_t>(), s);
      }
      std::string shown =
          fmt::format("{}{}", agents.value("count", 0), counts.empty() ? "" : " (" + counts + ")");
      std::printf("%-20s %-5s %-10s %-22s %-5.2f %s\n", name.c_str(), state.c_str(),
                  h.value("version", "?").c_str(), lease.c_str(), h.value("load", 0.0),
                  shown.c_str());
    }
  });
}

}  // namespace

const Command kVersionCommand{"version", "print the version", setup_version};
const Command kServeCommand{"serve", "run the daemon", setup_serve};
const Command kStatusCommand{"status", "show whether the daemon runs, its uptime and counts",
                             setup_status};
const Command kHostsCommand{
    "hosts", "list the hosts sharing the store: lease, version, load, agents", setup_hosts};

}  // namespace bosun::cli
