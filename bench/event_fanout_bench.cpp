// Event fan-out: one publisher, N WebSocket subscribers on loopback. Measures events/s
// delivered to every subscriber and publish → receive latency (p50/p99), flat out and paced,
// for the daemon and for a baseline hub measured in the same run: a separate process that
// does only the fan-out (Beast WebSocket, one shared frame per event, no auth, store or
// JSON), which is the floor this machine, Beast and this client allow.
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "support/bench_daemon.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using bosun::bench::now_ns;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Phase {
  int events = 0;
  int64_t expected_deliveries = 0;
  int64_t deliveries = 0;
  int64_t first_send_ns = 0;
  int64_t last_receive_ns = 0;
  std::vector<double> latencies_us;
};

// Where the subscribers and the publisher connect.
struct Target {
  std::string host;
  std::string port;
  std::string token;
  std::string address() const { return host + ":" + port; }
};

// The baseline: accepts WebSocket subscribers (sends each a hello) and, for every POST,
// writes one frame carrying the body's text to every subscriber, then replies 204.
class BaselineHub {
 public:
  explicit BaselineHub(asio::io_context& io)
      : io_(io), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {}
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(io_, serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

 private:
  struct Subscriber {
    websocket::stream<beast::tcp_stream> ws;
    std::deque<std::shared_ptr<const std::string>> queue;
    bool writing = false;
    explicit Subscriber(beast::tcp_stream s) : ws(std::move(s)) {}
  };

  static void pump(const std::shared_ptr<Subscriber>& s) {
    if (s->writing || s->queue.empty()) return;
    s->writing = true;
    auto frame = s->queue.front();
    s->ws.async_write(asio::buffer(*frame), [s, frame](beast::error_code ec, size_t) {
      s->queue.pop_front();
      s->writing = false;
      if (!ec) pump(s);
    });
  }

  void publish(const std::shared_ptr<const std::string>& frame) {
    for (auto& s : subscribers_) {
      s->queue.push_back(frame);
      pump(s);
    }
  }

  asio::awaitable<void> serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, kNoThrow);
      if (ec) co_return;
      if (websocket::is_upgrade(req)) {
        auto s = std::make_shared<Subscriber>(std::move(stream));
        s->ws.text(true);
        auto [aec] = co_await s->ws.async_accept(req, kNoThrow);
        if (aec) co_return;
        subscribers_.push_back(s);
        s->queue.push_back(std::make_shared<const std::string>("{\"type\":\"hello\",\"seq\":0}"));
        pump(s);
        beast::flat_buffer in;
        for (;;) {
          auto [rec, rn] = co_await s->ws.async_read(in, kNoThrow);
          if (rec) break;
          in.consume(in.size());
        }
        std::erase(subscribers_, s);
        co_return;
      }
      publish(std::make_shared<const std::string>(
          R"({"seq":0,"type":"journal.created","data":{"text":")" +
          nlohmann::json::parse(req.body()).value("text", "") + "\"}}"));
      http::response<http::empty_body> res{http::status::no_content, req.version()};
      res.keep_alive(req.keep_alive());
      auto [wec, wn] = co_await http::async_write(stream, res, kNoThrow);
      if (wec) co_return;
    }
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

// The client side. Subscribers are connected with Beast, then read through one epoll set
// with a minimal frame parser (server frames are unmasked), so that the client's own cost
// per delivery — which sits inside every latency measured — is one read().
struct Bench {
  struct Sub {
    int fd = -1;
    std::string buffer;
  };

  Target target;
  int subscribers;
  std::vector<Sub> subs;
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  Phase* phase = nullptr;
  explicit Bench(Target t, int n) : target(std::move(t)), subscribers(n) {}
  ~Bench() {
    for (auto& s : subs)
      ::close(s.fd);
    ::close(epoll_fd);
  }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  bool connect_all() {
    asio::io_context io{1};
    tcp::resolver resolver(io);
    auto results = resolver.resolve(target.host, target.port);
    subs.resize(static_cast<size_t>(subscribers));
    for (auto& sub : subs) {
      websocket::stream<beast::tcp_stream> ws(io);
      beast::error_code ec;
      beast::get_lowest_layer(ws).connect(results, ec);
      if (!ec) ws.handshake(target.address(), "/api/v1/events?token=" + target.token, ec);
      // The hello through Beast, which may have read it with the handshake's reply; nothing
      // else is sent before the first event, so nothing is left in Beast's buffer after it.
      beast::flat_buffer hello;
      if (!ec) ws.read(hello, ec);
      if (ec) {
        std::fprintf(stderr, "subscriber: %s\n", ec.message().c_str());
        return false;
      }
      sub.fd = beast::get_lowest_layer(ws).release_socket().release();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &sub;
      ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sub.fd, &ev);
    }
    return true;
  }

  // Reads what is ready; each complete frame is a hello or a delivery.
  void poll(int timeout_ms) {
    epoll_event events[256];
    int n = ::epoll_wait(epoll_fd, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      auto& sub = *static_cast<Sub*>(events[i].data.ptr);
      char chunk[65536];
      ssize_t got = ::read(sub.fd, chunk, sizeof chunk);
      int64_t at = now_ns();
      if (got <= 0) {
        ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, sub.fd, nullptr);
        continue;
      }
      sub.buffer.append(chunk, static_cast<size_t>(got));
      frames(sub, at);
    }
  }

  void frames(Sub& sub, int64_t at) {
    size_t pos = 0;
    auto& b = sub.buffer;
    for (;;) {
      if (b.size() - pos < 2) break;
      auto len = static_cast<size_t>(static_cast<unsigned char>(b[pos + 1]) & 0x7f);
      size_t header = 2;
      if (len == 126) {
        if (b.size() - pos < 4) break;
        len = (static_cast<size_t>(static_cast<unsigned char>(b[pos + 2])) << 8) |
              static_cast<unsigned char>(b[pos + 3]);
        header = 4;
      } else if (len == 127) {
        if (b.size() - pos < 10) break;
        len = 0;
        for (int k = 0; k < 8; ++k)
          len = (len << 8) | static_cast<unsigned char>(b[pos + 2 + static_cast<size_t>(k)]);
        header = 10;
      }
      if (b.size() - pos < header + len) break;
      std::string_view payload(b.data() + pos + header, len);
      pos += header + len;
      // The journal text is "<send ns>".
      auto t = payload.find("\"text\":\"");
      if (t == std::string_view::npos || !phase) continue;
      int64_t sent = std::strtoll(payload.data() + t + 8, nullptr, 10);
      if (sent <= 0) continue;
      phase->latencies_us.push_back(static_cast<double>(at - sent) / 1000.0);
      ++phase->deliveries;
      phase->last_receive_ns = at;
    }
    b.erase(0, pos);
  }

  // Publishes `count` events over one keep-alive connection, `gap_us` apart (0 = flat out),
  // each waiting for its reply; on its own thread.
  static void publish(const Target& target, Phase* p, int count, int gap_us) {
    asio::io_context io{1};
    beast::tcp_stream stream(io);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(target.host, target.port));
    stream.socket().set_option(tcp::no_delay(true));
    beast::flat_buffer buffer;
    for (int i = 0; i < count; ++i) {
      int64_t sent = now_ns();
      if (i == 0) p->first_send_ns = sent;
      http::request<http::string_body> req{http::verb::post, "/api/v1/journal", 11};
      req.set(http::field::host, target.address());
      req.set(http::field::authorization, "Bearer " + target.token);
      req.set(http::field::content_type, "application/json");
      req.body() = "{\"text\":\"" + std::to_string(sent) + "\"}";
      req.prepare_payload();
      http::write(stream, req);
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      if (gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(gap_us));
    }
  }

  void run_phase(Phase& p, int events, int gap_us) {
    p.events = events;
    p.expected_deliveries = static_cast<int64_t>(events) * subscribers;
    p.latencies_us.reserve(static_cast<size_t>(p.expected_deliveries));
    phase = &p;
    std::thread publisher([this, &p, events, gap_us] { publish(target, &p, events, gap_us); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (p.deliveries < p.expected_deliveries && std::chrono::steady_clock::now() < deadline)
      poll(100);
    publisher.join();
    phase = nullptr;
  }
};

void print_phase(const char* who, const char* name, Phase& p, int subscribers) {
  double secs = static_cast<double>(p.last_receive_ns - p.first_send_ns) / 1e9;
  std::printf(
      "%-8s %-8s events=%d subscribers=%d delivered=%lld/%lld  events/s=%.0f  deliveries/s=%.0f"
      "  latency p50=%.2f ms p99=%.2f ms\n",
      who, name, p.events, subscribers, static_cast<long long>(p.deliveries),
      static_cast<long long>(p.expected_deliveries), p.events / secs,
      static_cast<double>(p.deliveries) / secs,
      bosun::bench::percentile(p.latencies_us, 0.5) / 1000,
      bosun::bench::percentile(p.latencies_us, 0.99) / 1000);
}

struct Result {
  double flat_p99_ms = 0;
  double paced_p50_ms = 0;
  double paced_p99_ms = 0;
  double flat_events_per_s = 0;
};

// Connects the subscribers to `target`, runs both phases, prints them.
bool run(const char* who, Target target, int subscribers, int events, Result& out) {
  Bench bench(std::move(target), subscribers);
  if (!bench.connect_all()) {
    std::fprintf(stderr, "%s: the subscribers did not all connect\n", who);
    return false;
  }
  Phase flat, paced;
  bench.run_phase(flat, events, 0);
  print_phase(who, "flat-out", flat, subscribers);
  bench.run_phase(paced, std::max(1, events / 4), 10000);  // 100 events/s
  print_phase(who, "paced", paced, subscribers);
  out.flat_events_per_s =
      flat.events / (static_cast<double>(flat.last_receive_ns - flat.first_send_ns) / 1e9);
  out.flat_p99_ms = bosun::bench::percentile(flat.latencies_us, 0.99) / 1000;
  out.paced_p50_ms = bosun::bench::percentile(paced.latencies_us, 0.5) / 1000;
  out.paced_p99_ms = bosun::bench::percentile(paced.latencies_us, 0.99) / 1000;
  return flat.deliveries == flat.expected_deliveries &&
         paced.deliveries == paced.expected_deliveries;
}

}  // namespace

int main(int argc, char** argv) {
  int subscribers = argc > 1 ? std::atoi(argv[1]) : 1000;
  int events = argc > 2 ? std::atoi(argv[2]) : 2000;

  // The baseline hub in its own process, as the daemon is; forked before any thread exists.
  int ports[2];
  if (::pipe(ports) != 0) return 1;
  pid_t hub_pid = ::fork();
  if (hub_pid == 0) {
    ::close(ports[0]);
    asio::io_context io{1};
    BaselineHub hub(io);
    unsigned short port = hub.port();
    if (::write(ports[1], &port, sizeof port) != sizeof port) ::_exit(1);
    ::close(ports[1]);
    asio::co_spawn(io, hub.accept_loop(), asio::detached);
    io.run();
    ::_exit(0);
  }
  ::close(ports[1]);
  unsigned short hub_port = 0;
  if (::read(ports[0], &hub_port, sizeof hub_port) != sizeof hub_port) return 1;
  ::close(ports[0]);

  Result base, ours;
  bool ok =
      run("baseline", Target{"127.0.0.1", std::to_string(hub_port), ""}, subscribers, events, base);
  ::kill(hub_pid, SIGTERM);
  ::waitpid(hub_pid, nullptr, 0);
  {
    bosun::bench::BenchDaemon daemon;
    ok = run("bosun", Target{daemon.host(), daemon.port(), daemon.token()}, subscribers, events,
             ours) &&
         ok;
  }
  std::printf(
      "ratio to the baseline (bosun / baseline): paced p50 %.2f, paced p99 %.2f, flat-out p99 "
      "%.2f, flat-out events/s %.2f\n",
      ours.paced_p50_ms / base.paced_p50_ms, ours.paced_p99_ms / base.paced_p99_ms,
      ours.flat_p99_ms / base.flat_p99_ms, ours.flat_events_per_s / base.flat_events_per_s);
  return ok ? 0 : 1;
}
