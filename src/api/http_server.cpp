// HttpServer: Beast sessions as coroutines on the daemon's one io_context.
#include "api/http_server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <unordered_map>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/websocket.h"
#include "util/unique_fd.h"

namespace bosun {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// The Beast request as a handler-facing Request.
Result<Request> to_request(const http::request<http::string_body>& in, const std::string& peer,
                           std::string request_id) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  auto target = parse_target(out.target);
  if (!target) return tl::unexpected(target.error());
  out.path = std::move(target->path);
  out.query = std::move(target->query);
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = in.body();
  out.peer = peer;
  out.request_id = std::move(request_id);
  return out;
}

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(r.status), version};
  out.set(http::field::server, "bosun");
  out.set(http::field::content_type, r.content_type);
  // API replies are never cached; a route may say otherwise (the dashboard's files).
  out.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : r.headers) {
    if (beast::iequals(name, "cache-control")) out.erase(http::field::cache_control);
    out.insert(name, value);
  }
  out.body() = r.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

}  // namespace

Result<std::pair<std::string, int>> split_host_port(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
    return bad_request("invalid_listen",
                       "listen address must be HOST:PORT, not '" + host_port + "'");
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const char* p = host_port.data() + colon + 1;
  const char* end = host_port.data() + host_port.size();
  auto [ptr, ec] = std::from_chars(p, end, port);
  if (ec != std::errc() || ptr != end || port < 0 || port > 65535) {
    return bad_request("invalid_listen", "bad port in '" + host_port + "'");
  }
  return std::pair<std::string, int>{host, port};
}

// The answer to a connection the server cannot take: written at once on the fresh socket
// (a few hundred bytes fit its send buffer), then the socket is closed.
std::string refusal(const std::string& code, const std::string& message) {
  std::string body = Json{{"error", {{"code", code}, {"message", message}}}}.dump();
  return fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{}",
      body.size(), body);
}

void write_and_close(int fd, const std::string& reply) {
  (void)!::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

size_t default_max_connections() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return 4096;
  return std::max<size_t>(16, static_cast<size_t>(files.rlim_cur) / 4 * 3);
}

struct HttpServer::Impl {
  Impl(asio::io_context& io_in, HttpHandler& handler_in, Log& log_in, Options options_in)
      : io(io_in),
        handler(handler_in),
        log(log_in),
        options(std::move(options_in)),
        stop_timer(io_in),
        backoff_timer(io_in) {
    if (options.max_connections == 0) options.max_connections = default_max_connections();
    reserve = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }

  // Out of descriptors: the reserve one is given up for a moment to take the waiting
  // connection and tell it why, so a client learns "503, try again" instead of hanging.
  void shed_waiting_connection();
  // One warning per interval for a storm of the same failure, with how many were folded in.
  void warn_limited(const char* event, const std::string& error);

  struct Session {
    beast::tcp_stream* stream = nullptr;
    bool busy = false;  // between reading a request and writing its response
    std::weak_ptr<WebSocketChannel> ws;
  };

  // Whether the request's path is one that may send a whole file (options.file_body_paths).
  bool takes_file(std::string_view target) const {
    std::string_view path = target.substr(0, target.find('?'));
    return std::find(options.file_body_paths.begin(), options.file_body_paths.end(), path) !=
           options.file_body_paths.end();
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(tcp::socket socket, uint64_t id);
  asio::awaitable<void> serve_websocket(beast::tcp_stream& stream,
                                        http::request<http::string_body> request,
                                        const std::string& peer, uint64_t id);
  void end_session(uint64_t id);
  void finish_stop();

  asio::io_context& io;
  HttpHandler& handler;
  Log& log;
  Options options;
  std::optional<tcp::acceptor> acceptor;
  std::unordered_map<uint64_t, Session> sessions;
  uint64_t next_id = 1;
  uint64_t next_request = 1;
  bool stopping = false;
  std::function<void()> on_stopped;
  asio::steady_timer stop_timer;
  asio::steady_timer backoff_timer;
  UniqueFd reserve;  // /dev/null, closed to make room when descriptors run out
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point last_warning{};
  uint64_t folded = 0;  // warnings not written since the last one
};

void HttpServer::Impl::warn_limited(const char* event, const std::string& error) {
  constexpr std::chrono::seconds kInterval{10};
  auto now = std::chrono::steady_clock::now();
  if (last_warning != std::chrono::steady_clock::time_point{} && now - last_warning < kInterval) {
    ++folded;
    return;
  }
  log.warn(event, {{"error", error}, {"folded", folded}, {"every_s", kInterval.count()}});
  last_warning = now;
  folded = 0;
}

void HttpServer::Impl::shed_waiting_connection() {
  reserve.reset();
  // Every connection waiting in the backlog: each one takes the freed slot and gives it back.
  std::string reply =
      refusal("overloaded", "the daemon is out of file descriptors; try again shortly");
  for (int n = 0; n < 4096; ++n) {
    int fd = ::accept4(acceptor->native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) break;
    write_and_close(fd, reply);
  }
  reserve = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  while (acceptor && acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping) break;
      // EMFILE and friends: answer the waiting client 503, then wait before trying again
      // (doubling up to a second) instead of spinning on a connection that cannot be taken.
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) shed_waiting_connection();
      warn_limited("http.accept_failed", ec.message());
      backoff =
          std::clamp(backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
      backoff_timer.expires_after(backoff);
      co_await backoff_timer.async_wait(kNoThrow);
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (sessions.size() >= options.max_connections) {
      warn_limited("http.connection_limit",
                   fmt::format("{} connections open, the limit", sessions.size()));
      write_and_close(socket.release(),
                      refusal("connection_limit",
                              fmt::format("the daemon has {} connections open, its limit; try "
                                          "again shortly",
                                          sessions.size())));
      continue;
    }
    uint64_t id = next_id++;
    // Terminal echo and small JSON replies must not wait for Nagle's algorithm.
    beast::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec);
    asio::co_spawn(io, serve(std::move(socket), id), [this, id](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log.error("http.session_exception", {{"conn", id}, {"what", ex.what()}});
      }
      end_session(id);
    });
  }
}

asio::awaitable<void> HttpServer::Impl::serve(tcp::socket socket, uint64_t id) {
  beast::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  beast::tcp_stream stream(std::move(socket));
  sessions[id] = Session{&stream, false, {}};
  std::string conn = fmt::format("c{}", id);
  log.debug("http.connect", {{"conn", conn}, {"peer", peer}});
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header));
    // The header says which limit applies: Beast checks a Content-Length against the limit
    // while it reads the header, so the larger one is set first and the path's own after.
    parser.body_limit(std::max(options.max_body, options.max_file_body));
    stream.expires_after(options.idle_timeout);
    sessions[id].busy = false;
    auto [rec, n] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    sessions[id].busy = true;
    size_t body_limit = options.max_body;
    if (!rec) {
      if (takes_file(parser.get().target())) body_limit = options.max_file_body;
      parser.body_limit(body_limit);
      auto length = parser.content_length();
      if (length && *length > body_limit) {
        rec = http::error::body_limit;
      } else {
        std::tie(rec, n) = co_await http::async_read(stream, buffer, parser, kNoThrow);
      }
    }
    if (rec) {
      std::optional<Error> reply;
      if (rec == http::error::body_limit) {
        reply = Error{ErrorKind::kTooLarge, "body_too_large",
                      fmt::format("request body is larger than {} bytes", body_limit)};
      } else if (rec == http::error::header_limit) {
        reply = Error{
            ErrorKind::kTooLarge, "header_too_large",
            fmt::format("request line and headers are larger than {} bytes", options.max_header)};
      } else if (rec != http::error::end_of_stream && rec != http::error::partial_message &&
                 rec.category() == beast::error_code(http::error::bad_method).category()) {
        reply =
            Error{ErrorKind::kInvalid, "bad_request", "malformed HTTP request: " + rec.message()};
      }
      log.debug("http.read_end", {{"conn", conn}, {"error", rec.message()}});
      if (reply) {
        auto res = to_beast(Response::error(*reply), 11, false);
        stream.expires_after(std::chrono::seconds(5));
        co_await http::async_write(stream, res, kNoThrow);
      }
      break;
    }
    auto request = parser.release();
    std::string request_id = fmt::format("r{}", next_request++);
    if (beast::websocket::is_upgrade(request)) {
      if (stopping) break;
      co_await serve_websocket(stream, std::move(request), peer, id);
      break;
    }
    auto converted = to_request(request, peer, request_id);
    Response response;
    if (stopping) {
      response = Response::error(
          Error{ErrorKind::kUnavailable, "shutting_down", "the daemon is shutting down"});
    } else if (!converted) {
      response = Response::error(converted.error());
    } else {
      response = co_await handler.handle(*converted);
    }
    bool keep_alive = request.keep_alive() && !stopping;
    auto res = to_beast(response, request.version(), keep_alive);
    auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
    if (wec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  end_session(id);
}

asio::awaitable<void> HttpServer::Impl::serve_websocket(beast::tcp_stream& stream,
                                                        http::request<http::string_body> request,
                                                        const std::string& peer, uint64_t id) {
  std::string ws_id = fmt::format("w{}", id);
  auto converted = to_request(request, peer, ws_id);
  Result<WsOpen> open =
      converted ? handler.upgrade(*converted) : Result<WsOpen>(tl::unexpected(converted.error()));
  if (!open) {
    auto res = to_beast(Response::error(open.error()), request.version(), false);
    co_await http::async_write(stream, res, kNoThrow);
    co_return;
  }
  auto channel = std::make_shared<WebSocketChannel>(
      std::move(stream), ws_id, options.ws_queue_limit, options.ws_max_message, log);
  sessions[id].stream = nullptr;
  sessions[id].ws = channel;
  if (!co_await channel->accept(request)) co_return;
  if (stopping) {
    channel->close(kWsCloseGoingAway, "daemon shutting down");
  } else {
    (*open)(channel);
  }
  co_await channel->run();
}

void HttpServer::Impl::end_session(uint64_t id) {
  sessions.erase(id);
  if (stopping && sessions.empty()) finish_stop();
}

void HttpServer::Impl::finish_stop() {
  stop_timer.cancel();
  if (auto done = std::move(on_stopped)) {
    on_stopped = nullptr;
    asio::post(io, std::move(done));
  }
}

HttpServer::HttpServer(asio::io_context& io, HttpHandler& handler, Log& log, Options options)
    : impl_(std::make_unique<Impl>(io, handler, log, std::move(options))) {}

HttpServer::~HttpServer() = default;

Result<std::string> HttpServer::listen(const std::string& host_port) {
  auto hp = split_host_port(host_port);
  if (!hp) return tl::unexpected(hp.error());
  beast::error_code ec;
  auto address = asio::ip::make_address(hp->first, ec);
  if (ec) {
    return bad_request("invalid_listen",
                       "listen host must be an IP address, not '" + hp->first + "'");
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(hp->second));
  tcp::acceptor acceptor(impl_->io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) acceptor.native_non_blocking(true, ec);  // shedding accepts only what waits
  if (ec) {
    return fail(ErrorKind::kConflict, "listen_failed",
                fmt::format("cannot listen on {}: {}", host_port, ec.message()));
  }
  auto bound = acceptor.local_endpoint();
  impl_->acceptor.emplace(std::move(acceptor));
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  std::string host = bound.address().to_string();
  if (bound.address().is_v6()) host = "[" + host + "]";
  return fmt::format("{}:{}", host, bound.port());
}

void HttpServer::stop(std::function<void()> done) {
  auto& s = *impl_;
  if (s.stopping) return;
  s.stopping = true;
  s.on_stopped = std::move(done);
  beast::error_code ec;
  if (s.acceptor) s.acceptor->close(ec);
  for (auto& [id, session] : s.sessions) {
    if (auto ws = session.ws.lock()) {
      ws->close(kWsCloseGoingAway, "daemon shutting down");
    } else if (session.stream && !session.busy) {
      // Idle keep-alive connection: end its pending read.
      session.stream->socket().cancel(ec);
    }
  }
  if (s.sessions.empty()) {
    s.finish_stop();
    return;
  }
  s.stop_timer.expires_after(s.options.stop_grace);
  s.stop_timer.async_wait([this](beast::error_code timer_ec) {
    if (timer_ec) return;
    impl_->log.warn("http.stop_timeout", {{"sessions", impl_->sessions.size()}});
    for (auto& [id, session] : impl_->sessions) {
      beast::error_code ignored;
      if (session.stream) session.stream->socket().close(ignored);
    }
    impl_->finish_stop();
  });
}

size_t HttpServer::connection_count() const {
  return impl_->sessions.size();
}

}  // namespace bosun
