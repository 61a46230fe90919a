// Client: how CLI commands reach the daemon (HTTP over loopback, with the token).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/report.h"
#include "util/json.h"
#include "util/result.h"

namespace bosun::cli {

// Where the daemon is and how to prove who we are.
struct Endpoint {
  std::string host;
  std::string port;
  std::string token;
  std::string origin;  // where this came from, for error messages
};

// BOSUN_URL + BOSUN_TOKEN when both are set (inside an agent), else the state
// directory (--state, BOSUN_STATE, ./.bosun): run/address and token.
// Fails with 503 `no_daemon` and a message saying how to start one.
Result<Endpoint> find_daemon(const CommandContext& ctx);

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  // The value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const;
};

class Client {
 public:
  explicit Client(Endpoint endpoint);
  ~Client();
  Client(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  static Result<Client> connect(const CommandContext& ctx);

  // One request on a kept-alive connection (reconnecting once if the server closed it).
  Result<HttpReply> request(std::string_view method, const std::string& target,
                            const std::optional<std::string>& body = std::nullopt);

  // JSON helpers: a 4xx/5xx reply becomes an Error with the server's code and message.
  Result<Json> get(const std::string& target);
  Result<Json> post(const std::string& target, const Json& body);
  Result<Json> patch(const std::string& target, const Json& body);
  Result<Json> put(const std::string& target, const Json& body);
  Result<Json> del(const std::string& target);

  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Result<Json> json_call(std::string_view method, const std::string& target,
                         const std::optional<std::string>& body);
  struct Connection;
  Endpoint endpoint_;
  std::unique_ptr<Connection> conn_;
};

// The task an agent means when it names none: --task (`given`), else $BOSUN_TASK, else — inside
// an agent — the one task assigned to it or in progress (or else the one it reported blocked or
// done and in review; with `finished_too`, else the one it finished last). Empty when that is
// not exactly one.
std::string current_task(Client& client, const std::string& given, bool finished_too = false);

// The daemon's {"error":{code,message}} of a 4xx/5xx reply as an Error.
Error reply_error(const HttpReply& reply);

}  // namespace bosun::cli
