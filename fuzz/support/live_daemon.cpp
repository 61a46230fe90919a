#include "support/live_daemon.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/daemon.h"
#include "api/http.h"
#include "store/store.h"
#include "util/log.h"
#include "util/state_dir.h"

namespace bosun::fuzz {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "live daemon: %s (%s)\n", what, std::strerror(errno));
  std::abort();
}

// Connections come from 127.0.0.2-127.0.0.251 in turn: a connection the daemon closes first
// leaves its port pair in TIME_WAIT for a minute, and at hundreds of connections a second one
// source address would run out of ports.
void bind_next_source(int fd) {
  static uint32_t next = 0;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7f000002u + (next++ % 250));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) die("bind failed");
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

LiveDaemon start() {
  char dir[] = "/tmp/bosun-fuzz-XXXXXX";
  if (::mkdtemp(dir) == nullptr) die("mkdtemp failed");
  StateDir state{std::filesystem::path(dir)};
  if (!create_state_dirs(state)) die("cannot create the state directory");

  LiveDaemon d;
  d.agent_id = "ag_fuzz";
  d.agent_token = "fuzzagent0123456789abcdef0123456789abcdef0123456789abcdef01234567";
  {
    // An agent that exists and is not running: its terminal and input routes answer.
    auto store = Store::open(state.db().string());
    if (!store) die("cannot open the store");
    AgentRecord agent;
    agent.id = d.agent_id;
    agent.name = "fuzz";
    agent.profile = "shell";
    agent.state = "exited";
    agent.argv = {"true"};
    agent.cwd = dir;
    agent.token = d.agent_token;
    if (!(*store)->agents().insert(agent)) die("cannot add the agent");
    // Tasks the seeds name: one on the board, one assigned to the agent.
    NewTask open{.id = "t_fuzz", .title = "an open task"};
    NewTask mine{.id = "t_fuzz2", .title = "the agent's task", .assignee = d.agent_id};
    for (const auto& task : {open, mine}) {
      if (!(*store)->tasks().create(task, "user", 0)) die("cannot add a task");
    }
  }

  std::thread([state] {
    static Log log("serve");
    log.set_stderr_level(Log::Level::kError);
    log.set_file_level(Log::Level::kWarn);  // a line per request would fill the disk
    DaemonOptions options;
    options.state = state;
    options.listen = "127.0.0.1:0";
    run_daemon(options, log);
    die("the daemon stopped");
  }).detach();

  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(state.address_file())) {
    if (Clock::now() > deadline) die("the daemon did not start within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  d.address = read_text(state.address_file());
  d.token = read_text(state.token());
  if (d.address.empty() || d.token.empty()) die("no address or token");
  return d;
}

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

bool starts_with_any(std::string_view path, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (path == p || (path.starts_with(p) && path[p.size()] == '/')) return true;
  }
  return false;
}

// Whether one parsed request may be sent (see harmless()).
bool allowed(std::string_view method, std::string_view target) {
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return true;
  auto parsed = parse_target(target);
  if (!parsed) return true;  // the daemon answers 400 before any route runs
  std::string_view path = parsed->path;
  if (!path.starts_with("/api/")) return true;  // the dashboard's files: GET only, else 405
  if (starts_with_any(path, {"/api/v1/tasks", "/api/v1/messages", "/api/v1/journal",
                             "/api/v1/login", "/api/v1/supervisor", "/api/v1/hooks"})) {
    return true;
  }
  // /api/v1/projects/{id}/decisions[/…]: no project exists, but the bodies are read first.
  if (path.starts_with("/api/v1/projects/")) {
    auto rest = path.substr(std::string_view("/api/v1/projects/").size());
    auto slash = rest.find('/');
    return slash != std::string_view::npos && starts_with_any(rest.substr(slash), {"/decisions"});
  }
  // The non-running agent's input, resize, interrupt and stop; never spawn, restart, remove,
  // headless runs, merges or rebases.
  if (path.starts_with("/api/v1/agents/")) {
    auto rest = path.substr(std::string_view("/api/v1/agents/").size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return false;
    auto action = rest.substr(slash);
    return action == "/input" || action == "/resize" || action == "/interrupt" || action == "/stop";
  }
  return false;
}

}  // namespace

const LiveDaemon& live_daemon() {
  static const LiveDaemon daemon = start();
  return daemon;
}

std::string fill_placeholders(std::string_view bytes) {
  const auto& d = live_daemon();
  std::string text(bytes);
  replace_all(text, "@TOKEN@", d.token);
  replace_all(text, "@AGENT_ID@", d.agent_id);
  replace_all(text, "@AGENT@", d.agent_token);
  replace_all(text, "@HOST@", d.address);
  return text;
}

bool harmless(std::string_view bytes) {
  // The daemon's parser with larger limits: anything the daemon could read, this reads too.
  while (!bytes.empty()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(1u << 24);
    parser.body_limit(1u << 30);
    parser.eager(true);
    size_t used = 0;
    boost::system::error_code ec;
    while (!parser.is_done()) {
      size_t n = used < bytes.size()
                     ? parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec)
                     : 0;
      used += n;
      if (used >= bytes.size() || n == 0) {
        if (ec && ec != http::error::need_more) return true;  // the daemon answers 400
        // The rest is an unfinished request: the daemon reads to EOF and answers nothing
        // but, with a complete header, may already have matched the route. Judge it.
        if (parser.is_header_done()) {
          const auto& m = parser.get();
          return allowed(m.method_string(), m.target());
        }
        return true;
      }
      if (ec == http::error::need_more) {
        ec = {};
        continue;
      }
      if (ec) return true;  // the daemon answers 400 and closes
    }
    const auto& m = parser.get();
    if (!allowed(m.method_string(), m.target())) return false;
    if (parser.upgrade()) return true;  // the rest are WebSocket frames
    bytes.remove_prefix(used);
  }
  return true;
}

void exchange(std::string_view bytes, size_t handshake) {
  const auto& d = live_daemon();
  auto colon = d.address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(d.address.substr(colon + 1))));
  ::inet_pton(AF_INET, d.address.substr(0, colon).c_str(), &addr.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket failed");
  // Closed with a reset, not left in TIME_WAIT: at ~1,000 connections a second the ephemeral
  // ports would run out within a minute.
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  bind_next_source(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    // libFuzzer's timers interrupt system calls: an interrupted connect goes on by itself.
    if (errno != EINTR) die("connect failed");
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    while (::poll(&p, 1, 8000) < 0 && errno == EINTR) {
    }
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 ||
        !(p.revents & POLLOUT)) {
      die("connect failed after an interruption");
    }
  }

  auto deadline = Clock::now() + std::chrono::seconds(8);
  size_t sent = 0;
  size_t may_send = handshake > 0 ? std::min(handshake, bytes.size()) : bytes.size();
  std::string head;  // the reply's header, while waiting for it
  bool half_closed = false;
  char buf[65536];
  for (;;) {
    if (!half_closed && sent == bytes.size()) {
      ::shutdown(fd, SHUT_WR);
      half_closed = true;
    }
    bool want_out = !half_closed && sent < may_send;
    pollfd p{fd, static_cast<short>(POLLIN | (want_out ? POLLOUT : 0)), 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) die("the daemon neither answered nor closed within 8 s");
    if (::poll(&p, 1, static_cast<int>(left.count())) < 0) continue;
    if (p.revents & POLLIN || p.revents & (POLLHUP | POLLERR)) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // closed (or reset after refusing the rest)
      if (may_send < bytes.size()) {
        head.append(buf, static_cast<size_t>(n));
        if (head.find("\r\n\r\n") != std::string::npos) may_send = bytes.size();
      }
    }
    if (want_out && (p.revents & POLLOUT)) {
      ssize_t n = ::send(fd, bytes.data() + sent, may_send - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;  // the daemon closed early (an oversized or malformed request)
      sent += static_cast<size_t>(n);
    }
  }
  ::close(fd);
}

}  // namespace bosun::fuzz
