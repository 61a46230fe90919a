// Router: the route table (method, path pattern, access, handler) and its matcher.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"

namespace bosun {

struct Services;

// Who may call a route.
enum class Access {
  kPublic,  // no token (GET /healthz, POST /api/v1/login)
  kUser,    // the daemon token (a person, the CLI, the dashboard)
  kSelf,    // the daemon token, or an agent's token for the agent the {id} names: itself
  kAny,     // the daemon token or an agent's own token (the handler limits what it may touch)
};

// One row of the route table. Exactly one of the three handlers is set.
struct Route {
  const char* method;
  const char* pattern;  // "/api/v1/tasks/{id}/claim": {name} captures one path segment
  Access access;
  Result<Response> (*handle)(Services& services, Request& request) = nullptr;
  Awaitable<Result<Response>> (*handle_async)(Services& services, Request& request) = nullptr;
  Result<WsOpen> (*websocket)(Services& services, Request& request) = nullptr;
};

class Router {
 public:
  explicit Router(std::vector<Route> routes);

  struct Match {
    const Route* route;
    std::map<std::string, std::string> params;
  };

  // The route for (method, path) of the given kind (plain HTTP or WebSocket upgrade):
  // 404 `route_not_found` when no pattern matches the path, 405 `method_not_allowed`
  // (naming the allowed methods) when only the method differs, 426 `upgrade_required`
  // or 400 `not_websocket` when only the kind differs.
  Result<Match> match(std::string_view method, std::string_view path, bool websocket) const;

  std::span<const Route> routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{id}" marks a capture
  };
  static bool match_segments(const Compiled& pattern, const std::vector<std::string_view>& path,
                             std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

}  // namespace bosun
