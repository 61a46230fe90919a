// Event fan-out: one publisher, N WebSocket subscribers on loopback. Measures events/s
// delivered to every subscriber and publish → receive latency (p50/p99), flat out and paced.
#include <algorithm>
#include <cstdio>
#include <memory>

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

struct Bench {
  asio::io_context io{1};
  bosun::bench::BenchDaemon& daemon;
  int subscribers;
  Phase* phase = nullptr;
  int connected = 0;
  explicit Bench(bosun::bench::BenchDaemon& d, int n) : daemon(d), subscribers(n) {}

  asio::awaitable<void> subscriber() {
    websocket::stream<beast::tcp_stream> ws(io);
    tcp::resolver resolver(io);
    auto [rec, results] = co_await resolver.async_resolve(daemon.host(), daemon.port(), kNoThrow);
    auto [cec, ep] = co_await beast::get_lowest_layer(ws).async_connect(results, kNoThrow);
    if (cec) {
      std::fprintf(stderr, "connect failed: %s\n", cec.message().c_str());
      co_return;
    }
    auto [hec] = co_await ws.async_handshake(daemon.address(),
                                             "/api/v1/events?token=" + daemon.token(), kNoThrow);
    if (hec) {
      std::fprintf(stderr, "handshake failed: %s\n", hec.message().c_str());
      co_return;
    }
    beast::flat_buffer buffer;
    bool greeted = false;
    for (;;) {
      auto [ec, n] = co_await ws.async_read(buffer, kNoThrow);
      if (ec) co_return;
      int64_t at = now_ns();
      auto text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (!greeted) {
        greeted = true;
        ++connected;
        continue;
      }
      // The journal text is "<send ns>"; parse it cheaply.
      auto pos = text.find("\"text\":\"");
      if (pos == std::string::npos || !phase) continue;
      int64_t sent = std::strtoll(text.c_str() + pos + 8, nullptr, 10);
      if (sent <= 0) continue;
      phase->latencies_us.push_back(static_cast<double>(at - sent) / 1000.0);
      ++phase->deliveries;
      phase->last_receive_ns = at;
    }
  }

  // Publishes `count` events over one keep-alive connection, `gap_us` apart (0 = flat out).
  asio::awaitable<void> publisher(int count, int gap_us) {
    beast::tcp_stream stream(io);
    tcp::resolver resolver(io);
    auto [rec, results] = co_await resolver.async_resolve(daemon.host(), daemon.port(), kNoThrow);
    co_await stream.async_connect(results, kNoThrow);
    stream.socket().set_option(tcp::no_delay(true));
    asio::steady_timer timer(io);
    beast::flat_buffer buffer;
    for (int i = 0; i < count; ++i) {
      int64_t sent = now_ns();
      if (i == 0) phase->first_send_ns = sent;
      http::request<http::string_body> req{http::verb::post, "/api/v1/journal", 11};
      req.set(http::field::host, daemon.address());
      req.set(http::field::authorization, "Bearer " + daemon.token());
      req.set(http::field::content_type, "application/json");
      req.body() = "{\"text\":\"" + std::to_string(sent) + "\"}";
      req.prepare_payload();
      co_await http::async_write(stream, req, kNoThrow);
      http::response<http::string_body> res;
      co_await http::async_read(stream, buffer, res, kNoThrow);
      if (gap_us > 0) {
        timer.expires_after(std::chrono::microseconds(gap_us));
        co_await timer.async_wait(kNoThrow);
      }
    }
  }

  void run_phase(Phase& p, int events, int gap_us) {
    p.events = events;
    p.expected_deliveries = static_cast<int64_t>(events) * subscribers;
    p.latencies_us.reserve(static_cast<size_t>(p.expected_deliveries));
    phase = &p;
    asio::co_spawn(io, publisher(events, gap_us), asio::detached);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (p.deliveries < p.expected_deliveries && std::chrono::steady_clock::now() < deadline) {
      io.run_one_for(std::chrono::milliseconds(100));
    }
    phase = nullptr;
  }
};

void print_phase(const char* name, Phase& p, int subscribers) {
  double secs = static_cast<double>(p.last_receive_ns - p.first_send_ns) / 1e9;
  std::printf(
      "%-8s events=%d subscribers=%d delivered=%lld/%lld  events/s=%.0f  deliveries/s=%.0f"
      "  latency p50=%.2f ms p99=%.2f ms\n",
      name, p.events, subscribers, static_cast<long long>(p.deliveries),
      static_cast<long long>(p.expected_deliveries), p.events / secs,
      static_cast<double>(p.deliveries) / secs,
      bosun::bench::percentile(p.latencies_us, 0.5) / 1000,
      bosun::bench::percentile(p.latencies_us, 0.99) / 1000);
}

}  // namespace

int main(int argc, char** argv) {
  int subscribers = argc > 1 ? std::atoi(argv[1]) : 1000;
  int events = argc > 2 ? std::atoi(argv[2]) : 2000;
  bosun::bench::BenchDaemon daemon;
  Bench bench(daemon, subscribers);
  for (int i = 0; i < subscribers; ++i)
    asio::co_spawn(bench.io, bench.subscriber(), asio::detached);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (bench.connected < subscribers && std::chrono::steady_clock::now() < deadline) {
    bench.io.run_one_for(std::chrono::milliseconds(100));
  }
  if (bench.connected < subscribers) {
    std::fprintf(stderr, "only %d of %d subscribers connected\n", bench.connected, subscribers);
    return 1;
  }
  Phase flat, paced;
  bench.run_phase(flat, events, 0);
  print_phase("flat-out", flat, subscribers);
  bench.run_phase(paced, std::max(1, events / 4), 10000);  // 100 events/s
  print_phase("paced", paced, subscribers);
  return 0;
}
