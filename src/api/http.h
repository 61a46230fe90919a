// HTTP request/response values as route handlers see them (no Beast here).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "util/json.h"
#include "util/result.h"

namespace bosun {

template <typename T>
using Awaitable = boost::asio::awaitable<T>;

class WsChannel;

// Who is speaking: a person holding the daemon token, or an agent with its own token.
struct Principal {
  enum class Kind { kNone, kUser, kAgent };
  Kind kind = Kind::kNone;
  std::string agent_id;    // set for kAgent
  bool by_cookie = false;  // the credential came from the login cookie (a browser)
  // Set when another host's daemon relays a person's request with the cluster credential
  // (api/host_relay.h): that host's name.
  std::string via;
  std::string name() const {
    if (kind == Kind::kAgent) return agent_id;
    return via.empty() ? "user" : "user via " + via;
  }
};

struct Request {
  std::string method;                          // "GET"
  std::string target;                          // as received: "/api/v1/events?since=4"
  std::string path;                            // percent-decoded path
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // lower-case names
  std::map<std::string, std::string> params;   // captured by the route pattern
  std::string body;
  std::string peer;        // "127.0.0.1:51234"
  std::string request_id;  // "r12"; in every log line about this request
  Principal principal;

  const std::string* header(const std::string& name) const;
  const std::string* query_param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(const Json& value, int status = 200);
  // The API's error body: {"error": {"code", "message"}}.
  static Response error(const Error& error);
};

// Splits a request target into a decoded path and query; malformed escapes are 400.
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};
Result<Target> parse_target(std::string_view target);

// True when a Content-Type header value is application/json (any case, any parameters).
bool is_json_content(const std::string* content_type);

// Reads an integer query parameter within [min, max]; absent → fallback.
Result<int64_t> query_int(const Request& request, const std::string& name, int64_t fallback,
                          int64_t min, int64_t max);

// What a WebSocket route returns once the request is accepted: called with the open channel.
using WsOpen = std::function<void(std::shared_ptr<WsChannel>)>;

// The server's view of the application.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual Awaitable<Response> handle(Request& request) = 0;
  // Validates a WebSocket upgrade; an error is sent as a plain HTTP response.
  virtual Result<WsOpen> upgrade(Request& request) = 0;
};

}  // namespace bosun
