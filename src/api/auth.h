// Auth: who holds a request's credentials, and whether a browser Origin is our own.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/registry.h"
#include "api/http.h"

namespace bosun {

inline constexpr const char* kAuthCookie = "bosun_token";

class Auth final : public AgentTokenSink {
 public:
  explicit Auth(std::string user_token) : user_token_(std::move(user_token)) {}

  // The principal for the request's token: `Authorization: Bearer …`, the login
  // cookie, or — for WebSocket upgrades only — `?token=`. kNone when absent or wrong.
  Principal identify(const Request& request, bool allow_query_token) const;

  // True when the request has no Origin (a non-browser client) or one of ours. `null` and
  // any other scheme, host or port are not ours.
  bool origin_allowed(const Request& request) const;
  // True when the request's Origin, or else its Referer, is one of ours: what a browser's
  // state-changing request authenticated by the cookie must show.
  bool same_origin(const Request& request) const;
  // True when the Host header (if any) names this daemon: an IP address, `localhost`, or a
  // configured name — never another DNS name (a rebinding page's).
  bool host_allowed(const Request& request) const;
  // Our own origins: http://127.0.0.1:PORT, http://localhost:PORT, … for the bound address,
  // plus http://NAME:PORT for each configured name.
  void set_listen_address(const std::string& host, int port);
  // Names (besides addresses and localhost) the daemon answers to, from `serve --allow-host`.
  void set_allowed_hosts(std::vector<std::string> names) { host_names_ = std::move(names); }

  // On a store several daemons share: the crew's cluster credential and this host's name. A
  // request with `Bosun-Cluster-Token: <secret>` and `Bosun-Via: <another host>` is a person's,
  // relayed by that host's daemon; the dispatcher limits it to agents' routes.
  void set_cluster(std::string secret, std::string self) {
    cluster_secret_ = std::move(secret);
    self_ = std::move(self);
  }

  // Constant-time check of the daemon token (login).
  bool is_user_token(std::string_view token) const;
  // Set-Cookie value for a successful login.
  std::string login_cookie() const;

  // Agent tokens: each agent speaks with its own, so it cannot speak as another.
  void add_agent_token(const std::string& token, const std::string& agent_id) override;
  void remove_agent_token(const std::string& token) override;

  const std::vector<std::string>& allowed_origins() const { return origins_; }

 private:
  Principal from_token(std::string_view token) const;
  Principal from_cluster(const Request& request) const;

  std::string user_token_;
  std::unordered_map<std::string, std::string> agent_tokens_;
  std::vector<std::string> origins_;
  std::vector<std::string> host_names_;
  std::string cluster_secret_;
  std::string self_;
};

}  // namespace bosun
