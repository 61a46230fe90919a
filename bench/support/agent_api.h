// Agents for benchmarks: a REST client, a terminal WebSocket viewer and an AgentFleet that
// stops and deletes every agent it spawned and checks that none of its processes is left.
// Every wait is bounded: an operation that takes longer than its timeout throws BenchError.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "bench_daemon.h"
#include "proc.h"

namespace bosun::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using Seconds = std::chrono::seconds;

// A failed or timed-out step: main() reports it after the fleet has cleaned up.
struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr auto kIoTimeout = Seconds(30);

// Starts an operation with a completion handler and runs `io` until it completes. The operation
// is bounded by the stream's expiry (set by the caller), so this never waits forever.
template <class Start>
beast::error_code run_op(asio::io_context& io, Start start) {
  beast::error_code result;
  bool done = false;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  if (!done) result = asio::error::operation_aborted;
  return result;
}

// One keep-alive HTTP connection to the daemon; reconnects once if the daemon closed it.
class RestClient {
 public:
  explicit RestClient(const BenchDaemon& daemon) : daemon_(daemon) {}

  // The reply's status and JSON body (null if the body is empty or not JSON).
  std::pair<int, Json> request(http::verb verb, const std::string& target,
                               const Json& body = nullptr) {
    return request_raw(verb, target, body.is_null() ? std::string() : body.dump(),
                       "application/json");
  }

  // The same with a body as it is (none when empty), of `content_type`.
  std::pair<int, Json> request_raw(http::verb verb, const std::string& target,
                                   const std::string& body, const std::string& content_type) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connected_) connect();
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, daemon_.address());
      req.set(http::field::authorization, "Bearer " + daemon_.token());
      if (!body.empty()) {
        req.set(http::field::content_type, content_type);
        req.body() = body;
      }
      req.prepare_payload();
      stream_.expires_after(kIoTimeout);
      auto ec = run_op(io_, [&](auto h) { http::async_write(stream_, req, h); });
      http::response<http::string_body> res;
      if (!ec) ec = run_op(io_, [&](auto h) { http::async_read(stream_, buffer_, res, h); });
      if (ec) {
        connected_ = false;
        beast::error_code ignored;
        stream_.socket().close(ignored);
        buffer_.clear();
        if (ec == beast::error::timeout) {
          throw BenchError(std::string(to_string(verb)) + " " + target + ": timed out");
        }
        continue;  // the daemon closed an idle keep-alive connection: try once more
      }
      Json reply = Json::parse(res.body(), nullptr, false);
      return {res.result_int(), reply.is_discarded() ? Json() : reply};
    }
    throw BenchError(std::string(to_string(verb)) + " " + target + ": connection failed");
  }

 private:
  void connect() {
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(daemon_.host(), daemon_.port());
    stream_.expires_after(kIoTimeout);
    if (auto ec = run_op(io_, [&](auto h) { stream_.async_connect(endpoints, h); })) {
      throw BenchError("connect to the daemon: " + ec.message());
    }
    stream_.socket().set_option(tcp::no_delay(true));
    connected_ = true;
  }

  const BenchDaemon& daemon_;
  asio::io_context io_{1};
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

// A viewer on /api/v1/agents/{id}/terminal?mode=binary: binary frames are an 8-byte big-endian
// offset and raw output bytes; text frames are JSON (status, gap, error). With `binary` false,
// mode=json: output comes as JSON text frames too ({"type":"output","data":…,"offset":…}).
class TerminalViewer {
 public:
  struct Frame {
    bool binary = false;
    uint64_t offset = 0;    // binary frames: the offset of data[0]
    std::string_view data;  // valid until the next read()
  };

  TerminalViewer(const BenchDaemon& daemon, const std::string& agent_id, uint64_t from,
                 bool binary = true) {
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(daemon.host(), daemon.port());
    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(kIoTimeout);
    if (auto ec = run_op(io_, [&](auto h) { stream.async_connect(endpoints, h); })) {
      throw BenchError("viewer connect: " + ec.message());
    }
    stream.socket().set_option(tcp::no_delay(true));
    std::string target = "/api/v1/agents/" + agent_id +
                         "/terminal?mode=" + (binary ? "binary" : "json") +
                         "&from=" + std::to_string(from) + "&token=" + daemon.token();
    stream.expires_after(kIoTimeout);
    if (auto ec = run_op(io_, [&](auto h) { ws_.async_handshake(daemon.address(), target, h); })) {
      throw BenchError("viewer handshake: " + ec.message());
    }
    ws_.read_message_max(size_t{64} << 20);
  }

  // The next frame; throws if none arrives within `timeout` or the socket closes.
  Frame read(std::chrono::milliseconds timeout) {
    buffer_.clear();
    beast::get_lowest_layer(ws_).expires_after(timeout);
    if (auto ec = run_op(io_, [&](auto h) { ws_.async_read(buffer_, h); })) {
      throw BenchError("terminal socket read: " + ec.message());
    }
    auto bytes = buffer_.cdata();
    std::string_view all(static_cast<const char*>(bytes.data()), bytes.size());
    Frame f;
    f.binary = ws_.got_binary();
    if (!f.binary) {
      f.data = all;
      return f;
    }
    if (all.size() < 8) throw BenchError("binary terminal frame shorter than its offset");
    for (size_t i = 0; i < 8; ++i)
      f.offset = (f.offset << 8) | static_cast<uint8_t>(all[i]);
    f.data = all.substr(8);
    return f;
  }

  void send_text(const std::string& text) {
    ws_.text(true);
    beast::get_lowest_layer(ws_).expires_after(kIoTimeout);
    if (auto ec = run_op(io_, [&](auto h) { ws_.async_write(asio::buffer(text), h); })) {
      throw BenchError("terminal socket write: " + ec.message());
    }
  }

 private:
  asio::io_context io_{1};
  websocket::stream<beast::tcp_stream> ws_{io_};
  beast::flat_buffer buffer_;
};

// The agents a benchmark spawned. Its destructor (also on BenchError) deletes them all, waits
// a bounded time for their holders and sessions to end, SIGKILLs what is left and says so.
class AgentFleet {
 public:
  AgentFleet(const BenchDaemon& daemon, RestClient& rest) : daemon_(daemon), rest_(rest) {}
  ~AgentFleet() { clean_up(); }
  AgentFleet(const AgentFleet&) = delete;
  AgentFleet& operator=(const AgentFleet&) = delete;

  struct Agent {
    std::string id;
    pid_t pid = 0;         // the agent's process (its session leader)
    pid_t holder_pid = 0;  // its `bosun hold`
  };

  // `extra`: more fields of the spawn request (a profile, say).
  Agent spawn(const std::string& name, const std::vector<std::string>& argv, int cols = 120,
              int rows = 40, const Json& extra = Json::object()) {
    Json request{{"name", name}, {"argv", argv}, {"cols", cols}, {"rows", rows}};
    request.update(extra);
    auto [status, body] = rest_.request(http::verb::post, "/api/v1/agents", request);
    if (status != 201 || !body.is_object() || !body["id"].is_string()) {
      throw BenchError("spawn " + name + ": HTTP " + std::to_string(status) + " " + body.dump());
    }
    Agent a;
    a.id = body["id"].get<std::string>();
    ids_.push_back(a.id);
    if (body["pid"].is_number_integer()) a.pid = body["pid"].get<pid_t>();
    if (a.pid <= 0) throw BenchError("spawn " + name + ": no pid in " + body.dump());
    sessions_.insert(a.pid);
    // The holder is the agent's parent (its run record says so too).
    a.holder_pid = read_stat(a.pid).ppid;
    const Json& run = body["run"];
    if (run.is_object() && run["holder_pid"].is_number_integer()) {
      pid_t recorded = run["holder_pid"].get<pid_t>();
      if (a.holder_pid <= 1) a.holder_pid = recorded;
    }
    return a;
  }

  // The `bosun hold` processes of this daemon's state directory and every process of the
  // agents' sessions.
  std::vector<pid_t> processes() const {
    std::vector<pid_t> out;
    std::string marker = daemon_.dir() + "/state/";
    for (const auto& p : scan_processes()) {
      bool holder = p.cmdline.size() > 1 && p.cmdline[1] == "hold" &&
                    joined(p.cmdline).find(marker) != std::string::npos;
      if (holder || sessions_.count(p.sid) > 0) out.push_back(p.pid);
    }
    return out;
  }

  // Deletes every agent; returns how many processes had to be killed (0 is the goal).
  int clean_up() {
    if (cleaned_) return 0;
    cleaned_ = true;
    for (const auto& id : ids_) {
      try {
        rest_.request(http::verb::delete_, "/api/v1/agents/" + id);
      } catch (const BenchError& e) {
        std::fprintf(stderr, "clean-up: %s\n", e.what());
      }
    }
    auto deadline = std::chrono::steady_clock::now() + Seconds(20);
    std::vector<pid_t> left = processes();
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      left = processes();
    }
    for (pid_t pid : left)
      ::kill(pid, SIGKILL);
    if (!left.empty()) {
      std::fprintf(stderr, "clean-up: %zu processes were still running after 20 s: killed\n",
                   left.size());
    }
    std::printf("clean-up: %zu agents deleted, %zu processes left behind\n", ids_.size(),
                left.size());
    return static_cast<int>(left.size());
  }

 private:
  static std::string joined(const std::vector<std::string>& args) {
    std::string out;
    for (const auto& a : args)
      out += a + " ";
    return out;
  }

  const BenchDaemon& daemon_;
  RestClient& rest_;
  std::vector<std::string> ids_;
  std::set<pid_t> sessions_;
  bool cleaned_ = false;
};

}  // namespace bosun::bench
