// HostRelay: a person's request for an agent on another host, carried to that host's daemon.
// On a store several daemons share, every daemon lists the whole crew, but an agent's terminal,
// screen, log and process live on its own host. A request for one of those routes that names
// another host's agent is sent on to that host's daemon, over HTTP (or a WebSocket for the
// terminal), with the crew's cluster credential and this host's name — never the person's
// token, which is this daemon's alone — and its answer comes back as it was.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "api/http.h"
#include "api/router.h"
#include "store/hosts.h"
#include "util/log.h"

namespace bosun {

struct Services;

class HostRelay {
 public:
  HostRelay(boost::asio::io_context& io, Log& log) : io_(io), log_(log) {}

  // This host's name and the crew's cluster credential; until then nothing is relayed.
  void set_cluster(std::string self, std::string secret) {
    self_ = std::move(self);
    secret_ = std::move(secret);
  }
  bool enabled() const { return !secret_.empty(); }

  // The host whose daemon should answer `request` on `route`: set for a person's request (not
  // already relayed) on an agent's route naming an agent of another host. 503
  // `host_unreachable` when that host was declared lost.
  Result<std::optional<HostRecord>> owner(Services& services, const Route& route,
                                          const Request& request) const;

  // The answer to `request` when another host's daemon owes it: that daemon's (the agent
  // itself marked `"remote": true`), or 503 `host_unreachable`. None when this daemon answers:
  // its own agents, a request relayed already, and the agent itself when its host can't
  // answer (the row the crew shares says what it can).
  Awaitable<std::optional<Result<Response>>> answer(Services& services, const Route& route,
                                                    const Request& request) const;

  // The terminal WebSocket of an agent on `host`: once the client's socket is open, one to
  // `host`'s daemon, and every frame passed on both ways as it came. When `host` can't be
  // reached the client gets an error frame and a close with the reason.
  WsOpen forward_websocket(const HostRecord& host, const Request& request) const;

  // Routes whose answer belongs to the agent's own host: every agents/{id}/… route, removing
  // an agent, and the agent itself (its run and context are its host's to tell).
  static bool belongs_to_agents_host(const Route& route);

 private:
  // Sends `request` to `host`'s daemon and returns its answer; 503 `host_unreachable` when
  // it can't be reached or doesn't answer in time.
  Awaitable<Result<Response>> forward(const HostRecord& host, const Request& request) const;

  boost::asio::io_context& io_;
  Log& log_;
  std::string self_;
  std::string secret_;
};

}  // namespace bosun
