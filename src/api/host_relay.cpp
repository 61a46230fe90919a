// HostRelay: requests and terminal sockets for another host's agents, sent on to its daemon.
#include "api/host_relay.h"

#include <chrono>
#include <deque>
#include <memory>
#include <string_view>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "agent/registry.h"
#include "api/http_server.h"
#include "api/services.h"
#include "api/ws_channel.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/json.h"

namespace bosun {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);
constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr uint64_t kMaxReplyBytes = 256ULL << 20;  // an agent's whole log, exported

constexpr auto kRedirect = [](beast::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
};

// The request's target without a `token` query parameter: a browser's WebSocket may carry the
// person's token there, and it is not for another daemon.
std::string relayed_target(const std::string& target) {
  size_t q = target.find('?');
  if (q == std::string::npos) return target;
  std::string out = target.substr(0, q);
  std::string_view query = std::string_view(target).substr(q + 1);
  char sep = '?';
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    std::string_view name = part.substr(0, part.find('='));
    if (name != "token" && !part.empty()) {
      out += sep;
      out += part;
      sep = '&';
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Error unreachable(const HostRecord& host, const std::string& why) {
  return Error{ErrorKind::kUnavailable, "host_unreachable",
               fmt::format("host {} ({}) did not answer: {}", host.name, host.address, why)};
}

// Hop-by-hop and framing headers are the relay's own; the rest come back as they were.
bool passes_back(std::string_view name) {
  for (std::string_view own : {"server", "content-type", "content-length", "transfer-encoding",
                               "connection", "keep-alive", "date", "cache-control"}) {
    if (beast::iequals(name, own)) return false;
  }
  return true;
}

// Routes this daemon can still answer when the agent's host can't: the agent itself, from
// the row the crew shares.
bool answered_here_without_host(const Route& route) {
  return std::string_view(route.method) == "GET" &&
         std::string_view(route.pattern) == "/api/v1/agents/{id}";
}

// An agent as its own host's daemon told it: another host's, seen from here.
void mark_remote(Response& response) {
  if (response.status != 200) return;
  Json agent = Json::parse(response.body, nullptr, false);
  if (!agent.is_object()) return;
  agent["remote"] = true;
  response.body = dump_json(agent);
}

// Connects `stream` to `host`'s daemon.
asio::awaitable<beast::error_code> connect_to(beast::tcp_stream& stream, const HostRecord& host) {
  beast::error_code ec;
  auto hp = split_host_port(host.address);
  if (!hp) co_return asio::error::make_error_code(asio::error::invalid_argument);
  tcp::resolver resolver(stream.get_executor());
  stream.expires_after(kConnectTimeout);
  auto found =
      co_await resolver.async_resolve(hp->first, std::to_string(hp->second), kRedirect(ec));
  if (ec) co_return ec;
  co_await stream.async_connect(found, kRedirect(ec));
  if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
  co_return ec;
}

// One terminal socket relayed: the client's channel on this daemon, and one to the agent's.
struct Link : std::enable_shared_from_this<Link> {
  Link(asio::io_context& io, std::shared_ptr<WsChannel> c)
      : client(std::move(c)), ws(io), drained(io) {}

  std::shared_ptr<WsChannel> client;
  websocket::stream<beast::tcp_stream> ws;
  asio::steady_timer drained;  // cancelled when the client's queue empties
  struct Out {
    bool binary;
    std::string data;
  };
  std::deque<Out> queue;  // the client's frames, until the other daemon takes them
  bool open = false;
  bool writing = false;
  bool ended = false;

  void end() {
    ended = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
    drained.cancel();
  }

  void send(bool binary, std::string_view data) {
    if (ended) return;
    queue.push_back({binary, std::string(data)});
    if (open && !writing)
      asio::co_spawn(ws.get_executor(), drain(shared_from_this()), asio::detached);
  }

  static asio::awaitable<void> drain(std::shared_ptr<Link> self) {
    self->writing = true;
    while (!self->queue.empty() && !self->ended) {
      Out out = std::move(self->queue.front());
      self->queue.pop_front();
      self->ws.binary(out.binary);
      beast::error_code ec;
      co_await self->ws.async_write(asio::buffer(out.data), kRedirect(ec));
      if (ec) break;  // the reader sees the end and closes the client
    }
    self->writing = false;
  }
};

asio::awaitable<void> relay_terminal(std::shared_ptr<Link> link, HostRecord host,
                                     std::string target, std::string self, std::string secret,
                                     Log* log) {
  auto& client = *link->client;
  beast::error_code ec = co_await connect_to(beast::get_lowest_layer(link->ws), host);
  websocket::response_type refusal;
  if (!ec) {
    link->ws.set_option(websocket::stream_base::decorator([self, secret](auto& req) {
      req.set("Bosun-Cluster-Token", secret);
      req.set("Bosun-Via", self);
      req.set(http::field::user_agent, "bosun-relay");
    }));
    co_await link->ws.async_handshake(refusal, host.address, target, kRedirect(ec));
  }
  if (link->ended) co_return;
  if (ec) {
    // The other daemon's refusal (an agent gone meanwhile: 404) as it gave it, else the failure.
    Json body = Json::parse(refusal.body(), nullptr, false);
    Error error = unreachable(host, ec.message());
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
      error.code = body["error"].value("code", "error");
      error.message = body["error"].value("message", refusal.body());
    }
    log->info("relay.ws_failed",
              {{"host", host.name}, {"target", target}, {"error", error.message}});
    client.send_text(
        dump_json(Json{{"type", "error"}, {"code", error.code}, {"message", error.message}}));
    client.close(kWsCloseInternalError, error.message.substr(0, 120));
    link->end();
    co_return;
  }
  beast::get_lowest_layer(link->ws).expires_never();
  link->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  link->open = true;
  if (!link->queue.empty())
    asio::co_spawn(link->ws.get_executor(), Link::drain(link), asio::detached);

  beast::flat_buffer buffer;
  while (!link->ended) {
    // A slow client: wait for its queue to empty before reading on, so the other daemon's
    // socket holds the backlog rather than this daemon's memory.
    if (client.queued_bytes() > client.queue_limit() / 2) {
      link->drained.expires_after(std::chrono::seconds(30));
      co_await link->drained.async_wait(kRedirect(ec));
      if (link->ended) break;
      if (client.queued_bytes() > client.queue_limit() / 2) continue;
    }
    buffer.clear();
    co_await link->ws.async_read(buffer, kRedirect(ec));
    if (ec) break;
    if (!client.send(std::make_shared<const std::string>(beast::buffers_to_string(buffer.data())),
                     link->ws.got_binary())) {
      break;  // the client fell behind or left: the channel closed itself
    }
  }
  if (link->ended) co_return;
  std::string reason = fmt::format("the connection to host {} ended", host.name);
  uint16_t code = kWsCloseInternalError;
  if (ec == websocket::error::closed) {
    code = link->ws.reason().code;
    if (!link->ws.reason().reason.empty()) reason = std::string(link->ws.reason().reason.c_str());
  }
  client.close(code, reason);
  link->end();
}

}  // namespace

bool HostRelay::belongs_to_agents_host(const Route& route) {
  std::string_view pattern = route.pattern;
  constexpr std::string_view kAgent = "/api/v1/agents/{id}";
  return pattern.substr(0, kAgent.size()) == kAgent &&
         (pattern.size() == kAgent.size() || pattern[kAgent.size()] == '/');
}

Result<std::optional<HostRecord>> HostRelay::owner(Services& services, const Route& route,
                                                   const Request& request) const {
  if (!enabled() || request.principal.kind != Principal::Kind::kUser ||
      !request.principal.via.empty() || !belongs_to_agents_host(route)) {
    return std::optional<HostRecord>();
  }
  auto id = request.params.find("id");
  if (id == request.params.end() || services.agents.view(id->second)) {
    return std::optional<HostRecord>();
  }
  auto remote = services.agents.elsewhere(id->second);
  if (!remote) return std::optional<HostRecord>();  // the route's own 404
  TRY(host, services.store.hosts().find(remote->host));
  if (host->state == "lost") {
    return fail(ErrorKind::kUnavailable, "host_unreachable",
                fmt::format("agent {} is on host {}, unreachable since {}", remote->name,
                            host->name, format_time(from_unix_ms(host->renewed_at_ms))));
  }
  return std::optional<HostRecord>(std::move(*host));
}

Awaitable<std::optional<Result<Response>>> HostRelay::answer(Services& services, const Route& route,
                                                             const Request& request) const {
  const bool here_too = answered_here_without_host(route);
  auto owner = this->owner(services, route, request);
  if (!owner) {
    if (here_too) co_return std::nullopt;
    co_return Result<Response>(tl::unexpected(owner.error()));
  }
  if (!*owner) co_return std::nullopt;
  Result<Response> reply = co_await forward(**owner, request);
  if (here_too) {
    if (!reply) co_return std::nullopt;
    mark_remote(*reply);
  }
  co_return reply;
}

Awaitable<Result<Response>> HostRelay::forward(const HostRecord& host,
                                               const Request& request) const {
  beast::tcp_stream stream(io_);
  beast::error_code ec = co_await connect_to(stream, host);
  if (ec) co_return tl::unexpected(unreachable(host, ec.message()));
  http::request<http::string_body> out{http::string_to_verb(request.method),
                                       relayed_target(request.target), 11};
  out.set(http::field::host, host.address);
  out.set(http::field::user_agent, "bosun-relay");
  out.set("Bosun-Cluster-Token", secret_);
  out.set("Bosun-Via", self_);
  if (const auto* type = request.header("content-type")) out.set(http::field::content_type, *type);
  out.body() = request.body;
  out.prepare_payload();
  stream.expires_after(kRequestTimeout);
  co_await http::async_write(stream, out, kRedirect(ec));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  if (!ec) {
    co_await http::async_read(stream, buffer, parser, kRedirect(ec));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (!parser.is_done()) {
    log_.info("relay.failed",
              {{"host", host.name}, {"path", request.path}, {"error", ec.message()}});
    co_return tl::unexpected(unreachable(host, ec ? ec.message() : "no answer"));
  }
  auto& reply = parser.get();
  Response r;
  r.status = static_cast<int>(reply.result_int());
  r.content_type = std::string(reply[http::field::content_type]);
  for (const auto& field : reply) {
    if (passes_back(field.name_string())) {
      r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  }
  r.body = std::move(reply.body());
  co_return r;
}

WsOpen HostRelay::forward_websocket(const HostRecord& host, const Request& request) const {
  return [this, host,
          target = relayed_target(request.target)](const std::shared_ptr<WsChannel>& client) {
    auto link = std::make_shared<Link>(io_, client);
    client->on_message([weak = std::weak_ptr<Link>(link)](std::string_view data, bool binary) {
      if (auto l = weak.lock()) l->send(binary, data);
    });
    client->on_close([weak = std::weak_ptr<Link>(link)] {
      if (auto l = weak.lock()) l->end();
    });
    client->on_drain([weak = std::weak_ptr<Link>(link)] {
      if (auto l = weak.lock()) l->drained.cancel();
    });
    asio::co_spawn(io_, relay_terminal(link, host, target, self_, secret_, &log_), asio::detached);
  };
}

}  // namespace bosun
