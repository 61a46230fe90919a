// Health and status: GET /healthz (open) and GET /api/v1/status (counts for `bosun status`).
#include <chrono>

#include "agent/registry.h"
#include "api/event_stream.h"
#include "api/routes/routes.h"
#include "api/services.h"
#include "api/terminal_stream.h"

namespace bosun {
namespace {

int64_t uptime_seconds(Services& s) {
  return std::chrono::duration_cast<std::chrono::seconds>(s.clock.now() - s.info.started_at)
      .count();
}

Result<Response> get_healthz(Services& s, Request&) {
  return Response::json(
      Json{{"ok", true}, {"version", s.info.version}, {"uptime_s", uptime_seconds(s)}});
}

Result<Response> get_status(Services& s, Request& request) {
  auto events = s.store.events().count();
  if (!events) return tl::unexpected(events.error());
  auto latest = s.store.events().latest_seq();
  if (!latest) return tl::unexpected(latest.error());
  auto journal = s.store.journal().count();
  if (!journal) return tl::unexpected(journal.error());
  int64_t agents = s.agents.count();
  Json status{{"ok", true},
              {"version", s.info.version},
              {"uptime_s", uptime_seconds(s)},
              {"started_at", format_time(s.info.started_at)},
              {"pid", s.info.pid},
              {"state_dir", s.info.state_dir},
              {"address", s.info.address},
              {"latest_seq", *latest},
              {"counts",
               {{"agents", agents},
                {"events", *events},
                {"journal", *journal},
                {"event_subscribers", s.event_stream.client_count()},
                {"terminal_viewers", s.terminals.viewer_count()}}}};
  // Where the person's token lives is the person's to know.
  if (request.principal.kind == Principal::Kind::kAgent) status.erase("state_dir");
  return Response::json(status);
}

}  // namespace

std::vector<Route> health_routes() {
  return {
      {"GET", "/healthz", Access::kPublic, get_healthz},
      {"GET", "/api/v1/status", Access::kAny, get_status},
  };
}

}  // namespace bosun
