// Client: a small synchronous Beast HTTP client for the CLI.
#include "cli/client.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "api/http_status.h"
#include "crew/current_task.h"
#include "util/files.h"
#include "util/state_dir.h"

namespace bosun::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

Error no_daemon(const std::string& where) {
  return Error{
      ErrorKind::kUnavailable, "no_daemon",
      fmt::format("no bosun daemon is running for {} (start one with 'bosun serve')", where)};
}

}  // namespace

Result<Endpoint> find_daemon(const CommandContext& ctx) {
  const char* url = std::getenv("BOSUN_URL");
  const char* token = std::getenv("BOSUN_TOKEN");
  const char* state_env = std::getenv("BOSUN_STATE");
  if (!ctx.state && url && *url && token && *token) {
    // Inside an agent: its own token, and the daemon's current address when the state
    // directory says where it is now (a restarted daemon may listen on another port).
    if (state_env && *state_env) {
      StateDir state = resolve_state_dir(std::nullopt);
      if (auto address = read_file(state.address_file())) {
        std::string addr = trim(*address);
        auto colon = addr.rfind(':');
        if (colon != std::string::npos) {
          return Endpoint{addr.substr(0, colon), addr.substr(colon + 1), token,
                          "state directory " + state.root.string()};
        }
      }
    }
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
      return bad_request("invalid_url", fmt::format("BOSUN_URL '{}' is not http://HOST:PORT", url));
    }
    std::string port = parsed->has_port() ? std::string(parsed->port()) : "80";
    return Endpoint{std::string(parsed->host()), port, token, fmt::format("BOSUN_URL {}", url)};
  }
  StateDir state = resolve_state_dir(ctx.state);
  std::string where = "state directory " + state.root.string();
  auto address = read_file(state.address_file());
  if (!address) return tl::unexpected(no_daemon(where));
  auto tok = read_file(state.token());
  if (!tok) {
    return fail(ErrorKind::kUnauthorized, "no_token",
                fmt::format("cannot read the token in {}: {}", where, tok.error().message));
  }
  std::string addr = trim(*address);
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return tl::unexpected(no_daemon(where));
  std::string host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return Endpoint{host, addr.substr(colon + 1), trim(*tok), where};
}

struct Client::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  bool open = false;
};

Client::Client(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), conn_(std::make_unique<Connection>()) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;

Result<Client> Client::connect(const CommandContext& ctx) {
  auto endpoint = find_daemon(ctx);
  if (!endpoint) return tl::unexpected(endpoint.error());
  return Client(std::move(*endpoint));
}

Result<HttpReply> Client::request(std::string_view method, const std::string& target,
                                  const std::optional<std::string>& body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    bool fresh = false;
    if (!conn_->open) {
      tcp::resolver resolver(conn_->io);
      auto results = resolver.resolve(endpoint_.host, endpoint_.port, ec);
      if (!ec) {
        conn_->stream.expires_after(std::chrono::seconds(10));
        conn_->stream.connect(results, ec);
      }
      if (ec) return tl::unexpected(no_daemon(endpoint_.origin));
      conn_->open = true;
      fresh = true;
    }
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, endpoint_.host + ":" + endpoint_.port);
    req.set(http::field::authorization, "Bearer " + endpoint_.token);
    req.set(http::field::user_agent, "bosun-cli");
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = *body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    conn_->stream.expires_after(std::chrono::seconds(60));
    http::write(conn_->stream, req, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    if (!ec) http::read(conn_->stream, buffer, parser, ec);
    if (ec) {
      conn_->stream.close();
      conn_->open = false;
      if (!fresh) continue;  // a kept-alive connection the server closed: retry once
      return fail(ErrorKind::kUnavailable, "daemon_unreachable",
                  fmt::format("lost the connection to the daemon ({}): {}", endpoint_.origin,
                              ec.message()));
    }
    auto res = parser.release();
    if (!res.keep_alive()) {
      conn_->stream.close();
      conn_->open = false;
    }
    HttpReply reply{static_cast<int>(res.result_int()),
                    res.body(),
                    std::string(res[http::field::content_type]),
                    {}};
    for (const auto& field : res) {
      reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return reply;
  }
  return tl::unexpected(no_daemon(endpoint_.origin));
}

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (boost::beast::iequals(key, name)) return value;
  }
  return {};
}

Error reply_error(const HttpReply& reply) {
  Json value = Json::parse(reply.body, nullptr, false);
  if (!value.is_discarded() && value.is_object() && value.contains("error")) {
    return Error{error_kind(reply.status), value["error"].value("code", "error"),
                 value["error"].value("message", reply.body)};
  }
  return Error{error_kind(reply.status), "http_error",
               fmt::format("HTTP {}: {}", reply.status, reply.body)};
}

Result<Json> Client::json_call(std::string_view method, const std::string& target,
                               const std::optional<std::string>& body) {
  auto reply = request(method, target, body);
  if (!reply) return tl::unexpected(reply.error());
  if (reply->status >= 400) return tl::unexpected(reply_error(*reply));
  Json value = Json::parse(reply->body, nullptr, false);
  if (value.is_discarded()) {
    return internal("bad_reply", "the daemon sent a reply that is not JSON");
  }
  return value;
}

Result<Json> Client::get(const std::string& target) {
  return json_call("GET", target, {});
}
Result<Json> Client::post(const std::string& target, const Json& body) {
  return json_call("POST", target, dump_json(body));
}
Result<Json> Client::patch(const std::string& target, const Json& body) {
  return json_call("PATCH", target, dump_json(body));
}
Result<Json> Client::put(const std::string& target, const Json& body) {
  return json_call("PUT", target, dump_json(body));
}
Result<Json> Client::del(const std::string& target) {
  return json_call("DELETE", target, {});
}

std::string current_task(Client& client, const std::string& given, bool finished_too) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("BOSUN_TASK"); env && *env) return env;
  const char* me = std::getenv("BOSUN_AGENT_ID");
  if (!me || !*me) return {};
  auto tasks = client.get(std::string("/api/v1/tasks?limit=1000&assignee=") + me);
  if (!tasks || !tasks->contains("tasks")) return {};
  return choose_current_task((*tasks)["tasks"], finished_too);
}

}  // namespace bosun::cli
