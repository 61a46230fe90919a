// Crew: the task board and the mailbox through a real daemon.
// 1. Task throughput: create + claim + report cycles on one keep-alive connection and on several
//    in parallel, against GET /healthz on the same connections (the bare-request baseline); then
//    `done` reports whose check runs off the loop, and the cycle with a backlog of ready tasks.
// 2. Message delivery: POST /api/v1/messages to an idle agent → the typed line in its PTY output
//    → message.delivered (or read), one at a time and in a burst; baseline: POST …/input → echo.
// 3. Every agent is deleted and none of the processes it started is left.
// With `postgres` last, the daemon's store is a PostgreSQL cluster the bench starts itself.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/pg_server.h"
#include "support/agent_api.h"
#include "util/ids.h"

namespace bench = bosun::bench;
using bench::BenchDaemon;
using bench::BenchError;
using bench::Json;
using bench::now_ns;
using bench::RestClient;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// The role no agent has: the supervisor never dispatches these tasks, the bench claims them.
constexpr const char* kTaskRole = "nobody";
constexpr const char* kAgentRole = "bench";
// A message goes through at most 3 attempts of 3 s plus 0.5 s + 1 s of backoff.
constexpr Millis kDeliveryTimeout{20'000};
constexpr Millis kIdleTimeout{10'000};
constexpr Millis kEchoTimeout{10'000};
constexpr std::chrono::seconds kPhaseLimit{600};

struct Options {
  int tasks = 2000;
  int connections = 4;
  int messages = 200;
  int backlog = 1000;
  std::string store = "sqlite";  // or postgres: a cluster of the bench's own
};

// ---- measuring ----------------------------------------------------------------------------

double ms(double ns) {
  return ns / 1e6;
}

double self_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

// Time the daemon's loop thread spent on a CPU and waiting in a run queue for one (ns), from
// /proc/PID/schedstat; {0, 0} if unreadable.
std::pair<int64_t, int64_t> sched_ns(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  int64_t on_cpu = 0, waiting = 0;
  in >> on_cpu >> waiting;
  return {on_cpu, waiting};
}

// Wall time, where the daemon's loop thread spent it, and this process's CPU time over one
// measured stretch. On CPU + waiting for a CPU near 100% means the loop was the bottleneck.
class Meter {
 public:
  explicit Meter(pid_t daemon) : daemon_(daemon) {
    start_ns_ = now_ns();
    sched_ = sched_ns(daemon_);
    self_cpu_ = self_cpu_seconds();
  }
  struct Reading {
    double wall_s = 0;
    double loop_cpu = 0;   // shares of the wall time
    double loop_wait = 0;  // runnable, but another process had the CPU
    double self_cpu = 0;
  };
  Reading read() const {
    Reading r;
    r.wall_s = static_cast<double>(now_ns() - start_ns_) / 1e9;
    auto [on_cpu, waiting] = sched_ns(daemon_);
    r.loop_cpu = static_cast<double>(on_cpu - sched_.first) / 1e9 / r.wall_s;
    r.loop_wait = static_cast<double>(waiting - sched_.second) / 1e9 / r.wall_s;
    r.self_cpu = (self_cpu_seconds() - self_cpu_) / r.wall_s;
    return r;
  }

 private:
  pid_t daemon_;
  int64_t start_ns_ = 0;
  std::pair<int64_t, int64_t> sched_;
  double self_cpu_ = 0;
};

// "p50 / p99" of a sample in milliseconds (sorts it).
std::string p50_p99(std::vector<double>& ns) {
  if (ns.empty()) return "—";
  char out[64];
  std::snprintf(out, sizeof out, "%.2f / %.2f", ms(bench::percentile(ns, 0.5)),
                ms(bench::percentile(ns, 0.99)));
  return out;
}

// ---- running coroutines -------------------------------------------------------------------

// Runs every coroutine to completion on `io` within kPhaseLimit; rethrows the first failure.
void run_all(asio::io_context& io, std::vector<asio::awaitable<void>> work, const char* what) {
  struct State {
    size_t left = 0;
    std::exception_ptr failure;
  };
  auto state = std::make_shared<State>();  // shared: a coroutine may outlive a timed-out wait
  state->left = work.size();
  for (auto& w : work) {
    asio::co_spawn(io, std::move(w), [state](const std::exception_ptr& e) {
      if (e && !state->failure) state->failure = e;
      --state->left;
    });
  }
  auto deadline = Clock::now() + kPhaseLimit;
  io.restart();
  while (state->left > 0 && !state->failure && Clock::now() < deadline) {
    io.run_one_for(Millis(100));
  }
  if (state->failure) std::rethrow_exception(state->failure);
  if (state->left > 0) throw BenchError(std::string(what) + ": not finished within the limit");
}

void run_one(asio::io_context& io, asio::awaitable<void> work, const char* what) {
  std::vector<asio::awaitable<void>> one;
  one.push_back(std::move(work));
  run_all(io, std::move(one), what);
}

// Wakes the one coroutine waiting for a condition that the socket readers make true.
class Signal {
 public:
  explicit Signal(asio::io_context& io) : timer_(io) {}
  void notify() { timer_.cancel(); }
  // Waits until `done()` holds or `timeout` passes; returns done().
  asio::awaitable<bool> wait_until(std::function<bool()> done, Millis timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done() && Clock::now() < deadline) {
      timer_.expires_at(deadline);
      co_await timer_.async_wait(kNoThrow);
    }
    co_return done();
  }

 private:
  asio::steady_timer timer_;
};

// ---- talking to the daemon ----------------------------------------------------------------

struct Reply {
  int status = 0;
  std::string body;
};

// One keep-alive HTTP/1.1 connection driven by coroutines; every step is bounded by kIoTimeout.
class HttpConnection {
 public:
  HttpConnection(asio::io_context& io, const BenchDaemon& daemon)
      : daemon_(daemon), bearer_("Bearer " + daemon.token()), stream_(io) {}

  asio::awaitable<void> connect() {
    tcp::resolver resolver(stream_.get_executor());
    auto [rec, endpoints] =
        co_await resolver.async_resolve(daemon_.host(), daemon_.port(), kNoThrow);
    if (rec) throw BenchError("resolve: " + rec.message());
    stream_.expires_after(bench::kIoTimeout);
    auto [cec, endpoint] = co_await stream_.async_connect(endpoints, kNoThrow);
    if (cec) throw BenchError("connect: " + cec.message());
    stream_.socket().set_option(tcp::no_delay(true));
  }

  // `authorized`: send the daemon token (GET /healthz goes without, as a bare request).
  asio::awaitable<Reply> request(http::verb verb, std::string target, std::string body,
                                 bool authorized = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, daemon_.address());
    if (authorized) req.set(http::field::authorization, bearer_);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.prepare_payload();
    stream_.expires_after(bench::kIoTimeout);
    auto [wec, written] = co_await http::async_write(stream_, req, kNoThrow);
    if (wec) throw BenchError(std::string(to_string(verb)) + " " + target + ": " + wec.message());
    http::response<http::string_body> res;
    auto [rec, read] = co_await http::async_read(stream_, buffer_, res, kNoThrow);
    if (rec) throw BenchError(std::string(to_string(verb)) + " " + target + ": " + rec.message());
    co_return Reply{static_cast<int>(res.result_int()), std::move(res.body())};
  }

 private:
  const BenchDaemon& daemon_;
  std::string bearer_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

void expect(const Reply& r, int status, const std::string& what) {
  if (r.status != status) {
    throw BenchError(what + ": HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 300));
  }
}

// A field of a JSON reply as text ("" when absent).
std::string field(const Reply& r, const char* key) {
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

// A WebSocket whose frames go to a handler as they arrive, stamped with their arrival time.
class WsFeed {
 public:
  using Handler = std::function<void(std::string_view data, bool binary, int64_t at_ns)>;
  WsFeed(asio::io_context& io, const BenchDaemon& daemon, Signal& signal, Handler handler)
      : daemon_(daemon), impl_(std::make_shared<Impl>(io, signal, std::move(handler))) {}
  ~WsFeed() { close(); }
  WsFeed(const WsFeed&) = delete;
  WsFeed& operator=(const WsFeed&) = delete;

  // Connects and upgrades to `target` (the token is added); bounded by kIoTimeout.
  asio::awaitable<void> open(std::string target) {
    auto& ws = impl_->ws;
    tcp::resolver resolver(ws.get_executor());
    auto [rec, endpoints] =
        co_await resolver.async_resolve(daemon_.host(), daemon_.port(), kNoThrow);
    if (rec) throw BenchError("resolve: " + rec.message());
    auto& stream = beast::get_lowest_layer(ws);
    stream.expires_after(bench::kIoTimeout);
    auto [cec, endpoint] = co_await stream.async_connect(endpoints, kNoThrow);
    if (cec) throw BenchError(target + ": connect: " + cec.message());
    stream.socket().set_option(tcp::no_delay(true));
    target += (target.find('?') == std::string::npos ? "?token=" : "&token=") + daemon_.token();
    auto [hec] = co_await ws.async_handshake(daemon_.address(), target, kNoThrow);
    if (hec) throw BenchError(target + ": handshake: " + hec.message());
    stream.expires_never();  // frames come when they come; the waits on them are bounded
    ws.read_message_max(size_t{64} << 20);
    impl_->open = true;
    asio::co_spawn(ws.get_executor(), read_loop(impl_), asio::detached);
  }

  bool is_open() const { return impl_->open; }

  // Stops the handler at once; the read loop ends on the loop's next turn.
  void close() {
    impl_->closed = true;
    beast::error_code ignored;
    beast::get_lowest_layer(impl_->ws).socket().close(ignored);
  }

 private:
  struct Impl {
    Impl(asio::io_context& io, Signal& s, Handler h) : ws(io), signal(s), handler(std::move(h)) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
    Signal& signal;
    Handler handler;
    bool open = false;
    bool closed = false;  // by close(): the handler and the signal may be gone
  };

  // Shares Impl with its feed: the loop's last completion may run after the feed is gone.
  static asio::awaitable<void> read_loop(std::shared_ptr<Impl> impl) {
    for (;;) {
      auto [ec, n] = co_await impl->ws.async_read(impl->buffer, kNoThrow);
      if (impl->closed) co_return;
      if (ec) break;
      int64_t at = now_ns();
      auto bytes = impl->buffer.cdata();
      impl->handler(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()),
                    impl->ws.got_binary(), at);
      impl->buffer.consume(impl->buffer.size());
      impl->signal.notify();
    }
    impl->open = false;
    impl->signal.notify();
  }

  const BenchDaemon& daemon_;
  std::shared_ptr<Impl> impl_;
};

// What the event stream said: agents' states, how each message was taken, the checks.
struct EventLog {
  struct Taken {
    std::string how;  // message.delivered, message.read, message.acked, message.failed, …
    int64_t at_ns = 0;
  };
  std::map<std::string, std::string> agent_state;  // by agent id
  std::map<std::string, Taken> taken;              // by message id, the first event only
  std::map<std::string, int64_t> checked;          // task id → report.checked arrival
  int checks_passed = 0;

  void on_frame(std::string_view text, int64_t at) {
    Json e = Json::parse(text, nullptr, false);
    if (!e.is_object()) return;
    std::string type = e.value("type", "");
    std::string subject = e.value("subject", "");
    const Json& data = e.contains("data") ? e["data"] : Json();
    if (type == "agent.state" && data.is_object()) {
      agent_state[subject] = data.value("state", "");
    } else if (type == "message.delivered" || type == "message.read" || type == "message.acked" ||
               type == "message.failed" || type == "message.bounced") {
      taken.emplace(subject, Taken{type, at});
    } else if (type == "report.checked" && data.is_object()) {
      checked.emplace(data.value("task_id", ""), at);
      if (data.value("verified", "") == "passed") ++checks_passed;
    }
  }
};

// Delivered, read or acked; not failed or bounced.
bool is_taken(const EventLog::Taken& t) {
  return t.how == "message.delivered" || t.how == "message.read" || t.how == "message.acked";
}

// Finds "[MAIL] <id>" and "PROBE-<n>" in a terminal's output and notes the arrival of the frame
// where each first began. A token ends at a byte outside [A-Za-z0-9_-]; one cut by a frame
// boundary is completed by the next frame.
class TokenScanner {
 public:
  void feed(std::string_view bytes, int64_t at) {
    size_t carried = carry_.size();
    std::string text = carry_ + std::string(bytes);
    carry_.clear();
    auto arrival = [&](size_t pos) { return pos < carried ? carry_at_ : at; };
    size_t pos = 0;
    for (;;) {
      size_t hit = std::string::npos;
      std::string_view prefix;
      for (std::string_view p : {std::string_view("[MAIL] "), std::string_view("PROBE-")}) {
        size_t h = text.find(p, pos);
        if (h < hit) {
          hit = h;
          prefix = p;
        }
      }
      if (hit == std::string::npos) {
        // Keep what could be the start of a prefix.
        size_t keep = std::min<size_t>(text.size() - pos, 6);
        carry_at_ = arrival(text.size() - keep);
        carry_ = text.substr(text.size() - keep);
        return;
      }
      size_t end = hit + prefix.size();
      while (end < text.size() && token_byte(text[end]))
        ++end;
      if (end == text.size()) {
        carry_at_ = arrival(hit);
        carry_ = text.substr(hit);
        return;
      }
      std::string token = text.substr(hit, end - hit);
      if (!seen_.emplace(token, arrival(hit)).second) again_.emplace(token, arrival(hit));
      pos = end;
    }
  }
  // When `token` ("[MAIL] m_…", "PROBE-12") was first seen; 0 if not yet.
  int64_t seen(const std::string& token) const { return lookup(seen_, token); }
  // When it was seen the second time (`cat` prints a line back after its Enter); 0 if not yet.
  int64_t seen_again(const std::string& token) const { return lookup(again_, token); }

 private:
  static bool token_byte(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  }
  static int64_t lookup(const std::map<std::string, int64_t>& m, const std::string& token) {
    auto it = m.find(token);
    return it == m.end() ? 0 : it->second;
  }
  std::string carry_;
  int64_t carry_at_ = 0;
  std::map<std::string, int64_t> seen_;
  std::map<std::string, int64_t> again_;
};

// ---- agents -------------------------------------------------------------------------------

struct Agent {
  std::string id;
  std::string name;
  pid_t pid = 0;
};

// The agents this bench spawned. clean_up() (also run by the destructor) deletes them, waits a
// bounded time for their holders and sessions to end, and SIGKILLs what is left.
class Fleet {
 public:
  Fleet(const BenchDaemon& daemon, RestClient& rest) : daemon_(daemon), rest_(rest) {}
  ~Fleet() { clean_up(); }
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  Agent spawn(const std::string& name, const std::vector<std::string>& argv,
              const std::string& profile) {
    Json body{{"name", name}, {"argv", argv}, {"role", kAgentRole}, {"cols", 120}, {"rows", 40}};
    if (!profile.empty()) body["profile"] = profile;
    auto [status, reply] = rest_.request(http::verb::post, "/api/v1/agents", body);
    if (status != 201 || !reply.is_object() || !reply["id"].is_string()) {
      throw BenchError("spawn " + name + ": HTTP " + std::to_string(status) + " " + reply.dump());
    }
    Agent a{reply["id"].get<std::string>(), name, 0};
    ids_.push_back(a.id);
    if (reply["pid"].is_number_integer()) a.pid = reply["pid"].get<pid_t>();
    if (a.pid <= 0) throw BenchError("spawn " + name + ": no pid in " + reply.dump());
    sessions_.insert(a.pid);
    return a;
  }

  // Deletes every agent; returns how many processes had to be killed (0 is the goal).
  int clean_up() {
    if (cleaned_) return 0;
    cleaned_ = true;
    for (const auto& id : ids_) {
      try {
        auto [status, reply] = rest_.request(http::verb::delete_, "/api/v1/agents/" + id);
        if (status != 200 && status != 202) {
          std::fprintf(stderr, "clean-up: DELETE %s: HTTP %d\n", id.c_str(), status);
        }
      } catch (const BenchError& e) {
        std::fprintf(stderr, "clean-up: %s\n", e.what());
      }
    }
    auto deadline = Clock::now() + std::chrono::seconds(20);
    std::vector<pid_t> left = processes();
    while (!left.empty() && Clock::now() < deadline) {
      std::this_thread::sleep_for(Millis(100));
      left = processes();
    }
    for (pid_t pid : left)
      ::kill(pid, SIGKILL);
    std::printf("clean-up: %zu agents deleted, %zu processes left behind%s\n", ids_.size(),
                left.size(), left.empty() ? "" : " (killed with SIGKILL)");
    return static_cast<int>(left.size());
  }

 private:
  // The `bosun hold` processes of this daemon's state directory and every process of the
  // agents' sessions.
  std::vector<pid_t> processes() const {
    std::vector<pid_t> out;
    std::string marker = daemon_.dir() + "/state";
    for (const auto& p : bench::scan_processes()) {
      bool holder = false;
      if (p.cmdline.size() > 1 && p.cmdline[1] == "hold") {
        for (const auto& arg : p.cmdline)
          holder = holder || arg.find(marker) != std::string::npos;
      }
      if (holder || sessions_.count(p.sid) > 0) out.push_back(p.pid);
    }
    return out;
  }

  const BenchDaemon& daemon_;
  RestClient& rest_;
  std::vector<std::string> ids_;
  std::set<pid_t> sessions_;
  bool cleaned_ = false;
};

// ---- request bodies (built outside coroutines: g++ 12 mishandles initializer lists there) --

std::string task_body(int n) {
  return Json{{"title", "bench task " + std::to_string(n)}, {"role", kTaskRole}}.dump();
}
std::string claim_body(const std::string& agent_id) {
  return Json{{"agent", agent_id}}.dump();
}

enum class ReportKind { kBlocked, kDone };

std::string report_body(ReportKind kind) {
  if (kind == ReportKind::kBlocked) {
    return Json{{"status", "blocked"}, {"blocked_reason", "bench: waiting for nothing"}}.dump();
  }
  return Json{{"status", "done"},
              {"summary", "bench"},
              {"proof",
               {{"what_was_done", "nothing, quickly"},
                {"how_verified", "by the bench"},
                {"verification_result", "fine"}}}}
      .dump();
}
std::string message_body(const std::string& to, int n) {
  return Json{{"to", to}, {"subject", "bench message " + std::to_string(n)}}.dump();
}
std::string input_body(const std::string& text) {
  return Json{{"data", text}, {"submit", true}}.dump();
}

// ---- 1. the task board --------------------------------------------------------------------

struct CycleSample {
  std::vector<double> create_ns, claim_ns, report_ns;
  std::vector<int64_t> done_at;             // when each cycle ended
  std::map<std::string, int64_t> reported;  // task id → report reply (kDone only)
};

struct Row {
  std::string label;
  int connections = 0;
  int tasks = 0;
  int requests = 0;
  int board_before = 0;  // tasks on the board when the run started
  Meter::Reading m;
  double healthz_rps = 0;
};

// The phases, in order, with every client socket on one io_context (the bench's one thread).
class Bench {
 public:
  Bench(BenchDaemon& daemon, RestClient& rest, Fleet& fleet, const Options& options)
      : daemon_(daemon), rest_(rest), fleet_(fleet), opt_(options) {}

  void run() {
    tasks();
    messages();
  }

 private:
  // -- the board --

  void tasks() {
    worker_ = fleet_.spawn("worker", {"sleep", "100000"}, "");
    std::vector<Row> rows;
    std::vector<CycleSample> samples;
    for (int conns : {1, opt_.connections}) {
      Row row;
      row.connections = conns;
      row.tasks = opt_.tasks;
      row.requests = 3 * opt_.tasks;
      row.board_before = next_task_;
      row.label = "create + claim + report blocked";
      row.healthz_rps = healthz(conns, row.requests);
      samples.emplace_back();
      row.m = cycles(conns, opt_.tasks, ReportKind::kBlocked, samples.back());
      rows.push_back(row);
    }
    // The same cycle while `backlog` ready tasks wait for a role no idle agent has.
    int backlog_tasks = opt_.tasks / 2;
    auto backlog = create_backlog(opt_.backlog);
    {
      Row row;
      row.connections = 1;
      row.tasks = backlog_tasks;
      row.requests = 3 * backlog_tasks;
      row.board_before = next_task_ + opt_.backlog;
      row.label = "same, " + std::to_string(opt_.backlog) + " ready tasks waiting";
      row.healthz_rps = rows[0].healthz_rps;
      samples.emplace_back();
      row.m = cycles(1, backlog_tasks, ReportKind::kBlocked, samples.back());
      rows.push_back(row);
    }
    delete_tasks(backlog);

    std::printf("\n== 1. Task throughput (client and daemon on the same cores) ==\n\n");
    std::printf(
        "| cycle | conns | tasks | board before | tasks/s | requests/s | /healthz req/s (same "
        "conns) | ratio to /healthz | daemon loop on CPU | loop waiting for a CPU | bench CPU "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (auto& r : rows) {
      double rps = r.requests / r.m.wall_s;
      std::printf("| %s | %d | %d | %d | %.0f | %.0f | %.0f | %.3f | %.0f%% | %.0f%% | %.0f%% |\n",
                  r.label.c_str(), r.connections, r.tasks, r.board_before, r.tasks / r.m.wall_s,
                  rps, r.healthz_rps, rps / r.healthz_rps, 100 * r.m.loop_cpu, 100 * r.m.loop_wait,
                  100 * r.m.self_cpu);
    }
    std::printf(
        "\n| cycle | conns | create p50 / p99 ms | claim p50 / p99 ms | report p50 / p99 "
        "ms | tasks/s first 10%% | tasks/s last 10%% |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < rows.size(); ++i) {
      auto& s = samples[i];
      std::printf("| %s | %d | %s | %s | %s | %.0f | %.0f |\n", rows[i].label.c_str(),
                  rows[i].connections, p50_p99(s.create_ns).c_str(), p50_p99(s.claim_ns).c_str(),
                  p50_p99(s.report_ns).c_str(), decile_rate(s.done_at, false),
                  decile_rate(s.done_at, true));
    }
    checked_cycles(std::max(1, opt_.tasks / 4));
  }

  // Requests/s of GET /healthz over `conns` connections, `requests` in all.
  double healthz(int conns, int requests) {
    auto connections = connect(conns);
    std::vector<asio::awaitable<void>> work;
    work.reserve(static_cast<size_t>(conns));
    for (int c = 0; c < conns; ++c) {
      work.push_back(healthz_loop(*connections[static_cast<size_t>(c)], share(requests, conns, c)));
    }
    Meter meter(daemon_.pid());
    run_all(io_, std::move(work), "healthz");
    return requests / meter.read().wall_s;
  }

  static asio::awaitable<void> healthz_loop(HttpConnection& c, int count) {
    for (int i = 0; i < count; ++i) {
      Reply r = co_await c.request(http::verb::get, "/healthz", "", false);
      expect(r, 200, "GET /healthz");
    }
  }

  Meter::Reading cycles(int conns, int tasks, ReportKind kind, CycleSample& sample) {
    auto connections = connect(conns);
    std::vector<asio::awaitable<void>> work;
    work.reserve(static_cast<size_t>(conns));
    int first = next_task_;
    for (int c = 0; c < conns; ++c) {
      int count = share(tasks, conns, c);
      work.push_back(cycle_loop(*connections[static_cast<size_t>(c)], first, count, kind, sample));
      first += count;
    }
    next_task_ = first;
    Meter meter(daemon_.pid());
    run_all(io_, std::move(work), "task cycles");
    return meter.read();
  }

  asio::awaitable<void> cycle_loop(HttpConnection& c, int first, int count, ReportKind kind,
                                   CycleSample& sample) {
    std::string claim = claim_body(worker_.id);
    std::string report = report_body(kind);
    for (int n = first; n < first + count; ++n) {
      int64_t t0 = now_ns();
      Reply created = co_await c.request(http::verb::post, "/api/v1/tasks", task_body(n));
      expect(created, 201, "POST /api/v1/tasks");
      std::string id = field(created, "id");
      int64_t t1 = now_ns();
      Reply claimed = co_await c.request(http::verb::post, "/api/v1/tasks/" + id + "/claim", claim);
      expect(claimed, 200, "claim " + id);
      int64_t t2 = now_ns();
      Reply r = co_await c.request(http::verb::post, "/api/v1/tasks/" + id + "/reports", report);
      expect(r, 201, "report on " + id);
      int64_t t3 = now_ns();
      sample.create_ns.push_back(static_cast<double>(t1 - t0));
      sample.claim_ns.push_back(static_cast<double>(t2 - t1));
      sample.report_ns.push_back(static_cast<double>(t3 - t2));
      sample.done_at.push_back(t3);
      if (kind == ReportKind::kDone) sample.reported[id] = t3;
    }
  }

  // `done` reports with full proof: each starts a check (git, off the loop) that moves the task
  // to done. Measures the API cycle and how fast the checks drain.
  void checked_cycles(int tasks) {
    EventLog events;
    Signal signal(io_);
    WsFeed feed(io_, daemon_, signal,
                [&events](std::string_view text, bool, int64_t at) { events.on_frame(text, at); });
    run_one(io_, feed.open("/api/v1/events"), "events socket");
    CycleSample sample;
    int board_before = next_task_;
    Meter meter(daemon_.pid());
    int64_t start = now_ns();
    Meter::Reading api = cycles(1, tasks, ReportKind::kDone, sample);
    run_one(io_, wait_checks(signal, events, feed, tasks), "checks");
    Meter::Reading all = meter.read();
    std::vector<double> lag_ns;
    int64_t last = start;
    for (const auto& [id, reported_at] : sample.reported) {
      auto it = events.checked.find(id);
      if (it == events.checked.end()) continue;
      lag_ns.push_back(static_cast<double>(it->second - reported_at));
      last = std::max(last, it->second);
    }
    std::printf(
        "\n| `done` reports with proof, 1 conn | tasks | board before | API tasks/s | checked "
        "tasks/s "
        "(to the last report.checked) | passed | report reply → report.checked p50 / p99 "
        "ms | daemon loop on CPU |\n|---|---|---|---|---|---|---|---|\n");
    std::printf("| create + claim + report done | %d | %d | %.0f | %.0f | %d | %s | %.0f%% |\n",
                tasks, board_before, tasks / api.wall_s,
                tasks / (static_cast<double>(last - start) / 1e9), events.checks_passed,
                p50_p99(lag_ns).c_str(), 100 * all.loop_cpu);
  }

  static asio::awaitable<void> wait_checks(Signal& signal, EventLog& events, WsFeed& feed,
                                           int tasks) {
    bool done = co_await signal.wait_until(
        [&] { return static_cast<int>(events.checked.size()) >= tasks || !feed.is_open(); },
        Millis(300'000));
    if (!done || static_cast<int>(events.checked.size()) < tasks) {
      throw BenchError("only " + std::to_string(events.checked.size()) + " of " +
                       std::to_string(tasks) + " checks arrived");
    }
  }

  std::vector<std::string> create_backlog(int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      auto [status, body] =
          rest_.request(http::verb::post, "/api/v1/tasks",
                        Json{{"title", "waiting " + std::to_string(i)}, {"role", kTaskRole}});
      if (status != 201) throw BenchError("backlog task: HTTP " + std::to_string(status));
      ids.push_back(body["id"].get<std::string>());
    }
    return ids;
  }

  void delete_tasks(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      auto [status, body] = rest_.request(http::verb::delete_, "/api/v1/tasks/" + id);
      if (status != 200) throw BenchError("DELETE " + id + ": HTTP " + std::to_string(status));
    }
  }

  std::vector<std::unique_ptr<HttpConnection>> connect(int conns) {
    std::vector<std::unique_ptr<HttpConnection>> out;
    std::vector<asio::awaitable<void>> work;
    out.reserve(static_cast<size_t>(conns));
    work.reserve(static_cast<size_t>(conns));
    for (int c = 0; c < conns; ++c) {
      out.push_back(std::make_unique<HttpConnection>(io_, daemon_));
      work.push_back(out.back()->connect());
    }
    run_all(io_, std::move(work), "connect");
    return out;
  }

  static int share(int total, int parts, int index) {
    return total / parts + (index < total % parts ? 1 : 0);
  }

  // Tasks/s over the first (or last) tenth of the cycles, from their end times.
  static double decile_rate(const std::vector<int64_t>& done_at, bool last) {
    std::vector<int64_t> t = done_at;
    std::sort(t.begin(), t.end());
    size_t n = t.size() / 10;
    if (n < 2) return 0;
    int64_t span = last ? t.back() - t[t.size() - 1 - n] : t[n] - t[0];
    return static_cast<double>(n) / (static_cast<double>(span) / 1e9);
  }

  // -- the mailbox --

  struct Delivery {
    std::string label;
    std::vector<double> probe_ns;   // POST …/input → the echo
    std::vector<double> paste_ns;   // POST /messages → the line in the PTY
    std::vector<double> taken_ns;   // POST /messages → delivered (or read)
    std::vector<double> settle_ns;  // the line in the PTY → delivered (or read)
    std::vector<double> enter_ns;   // the line in the PTY → printed back after Enter (`cat`)
    std::map<std::string, int> how;
    int burst = 0;
    double burst_s = 0;
  };

  void messages() {
    EventLog events;
    Signal signal(io_);
    WsFeed feed(io_, daemon_, signal,
                [&events](std::string_view text, bool, int64_t at) { events.on_frame(text, at); });
    run_one(io_, feed.open("/api/v1/events"), "events socket");
    std::vector<Delivery> results;
    results.push_back(deliver(events, signal, feed, fleet_.spawn("echo", {"cat"}, ""),
                              "`cat` (profile shell: idle after 500 ms quiet)"));
    results.push_back(deliver(events, signal, feed,
                              fleet_.spawn("sim", {BOSUN_BINARY, "sim-agent"}, "sim"),
                              "`bosun sim-agent` (profile sim: 250 ms quiet + prompt)"));

    std::printf(
        "\n== 2. Message delivery (%d messages one at a time, each to an idle agent) "
        "==\n\n",
        opt_.messages);
    std::printf(
        "| agent | baseline: POST …/input → echo p50 / p99 ms | POST /messages → line "
        "in PTY p50 / p99 ms | ratio to baseline (p50) | POST /messages → taken p50 / p99 "
        "ms | line in PTY → taken p50 / p99 ms | line in PTY → printed back after Enter "
        "p50 / p99 ms | taken by |\n"
        "|---|---|---|---|---|---|---|---|\n");
    for (auto& d : results) {
      std::string how;
      for (const auto& [event, count] : d.how)
        how += (how.empty() ? "" : ", ") + event + " ×" + std::to_string(count);
      double ratio = bench::percentile(d.paste_ns, 0.5) / bench::percentile(d.probe_ns, 0.5);
      std::printf("| %s | %s | %s | %.1f | %s | %s | %s | %s |\n", d.label.c_str(),
                  p50_p99(d.probe_ns).c_str(), p50_p99(d.paste_ns).c_str(), ratio,
                  p50_p99(d.taken_ns).c_str(), p50_p99(d.settle_ns).c_str(),
                  p50_p99(d.enter_ns).c_str(), how.c_str());
    }
    std::printf(
        "\nThe daemon's fixed delays: paste settle 150 ms (before Enter), verification poll "
        "25 ms (after Enter), idle debounce 500 ms (shell) / 250 ms (sim) before the next "
        "message.\n");
    std::printf(
        "\n| agent | burst: messages posted at once | until the last is taken s | "
        "messages/s | s per message |\n|---|---|---|---|---|\n");
    for (auto& d : results) {
      std::printf("| %s | %d | %.2f | %.2f | %.3f |\n", d.label.c_str(), d.burst, d.burst_s,
                  d.burst / d.burst_s, d.burst_s / d.burst);
    }
  }

  Delivery deliver(EventLog& events, Signal& signal, WsFeed& feed, const Agent& agent,
                   const std::string& label) {
    Delivery d;
    d.label = label;
    // The events socket is already open: every state change from here on is seen.
    auto [status, shown] = rest_.request(http::verb::get, "/api/v1/agents/" + agent.id);
    if (status != 200)
      throw BenchError("GET agent " + agent.id + ": HTTP " + std::to_string(status));
    events.agent_state.emplace(agent.id, shown.value("state", ""));
    TokenScanner tokens;
    WsFeed terminal(io_, daemon_, signal,
                    [&tokens](std::string_view data, bool binary, int64_t at) {
                      if (binary && data.size() >= 8) tokens.feed(data.substr(8), at);
                    });
    run_one(io_, terminal.open("/api/v1/agents/" + agent.id + "/terminal?mode=binary"),
            "terminal socket");
    HttpConnection conn(io_, daemon_);
    run_one(io_, conn.connect(), "connect");
    Feeds feeds{events, signal, feed, terminal, tokens};
    run_one(io_, wait_idle(feeds, agent), "first idle");
    run_one(io_, probe(conn, feeds, agent, d), "input probes");
    run_one(io_, one_at_a_time(conn, feeds, agent, d), "messages");
    d.burst = std::max(1, std::min(50, opt_.messages / 4));
    run_one(io_, burst(conn, feeds, agent, d), "burst");
    return d;
  }

  struct Feeds {
    EventLog& events;
    Signal& signal;
    WsFeed& event_feed;
    WsFeed& terminal_feed;
    TokenScanner& tokens;
    bool alive() const { return event_feed.is_open() && terminal_feed.is_open(); }
  };

  static asio::awaitable<void> wait_idle(Feeds& f, const Agent& agent) {
    bool idle = co_await f.signal.wait_until(
        [&] { return f.events.agent_state[agent.id] == "idle" || !f.alive(); }, kIdleTimeout);
    if (!idle || !f.alive()) {
      throw BenchError("agent " + agent.name + " did not go idle (state " +
                       f.events.agent_state[agent.id] + ")");
    }
  }

  // Baseline: text typed through POST …/input and its echo, back to back.
  asio::awaitable<void> probe(HttpConnection& c, Feeds& f, const Agent& agent, Delivery& d) {
    for (int i = 0; i < opt_.messages; ++i) {
      std::string token = "PROBE-" + std::to_string(next_probe_++);
      int64_t t0 = now_ns();
      Reply r = co_await c.request(http::verb::post, "/api/v1/agents/" + agent.id + "/input",
                                   input_body(token));
      expect(r, 200, "input to " + agent.name);
      bool seen = co_await f.signal.wait_until(
          [&] { return f.tokens.seen(token) != 0 || !f.alive(); }, kEchoTimeout);
      if (!seen || !f.alive()) throw BenchError(agent.name + " did not echo " + token);
      d.probe_ns.push_back(static_cast<double>(f.tokens.seen(token) - t0));
    }
  }

  // Posts a message to `agent`; returns its id and when the request went out.
  static asio::awaitable<std::pair<std::string, int64_t>> post_message(HttpConnection& c,
                                                                       const Agent& agent, int n) {
    int64_t t0 = now_ns();
    Reply r = co_await c.request(http::verb::post, "/api/v1/messages", message_body(agent.name, n));
    expect(r, 201, "POST /api/v1/messages");
    if (field(r, "state") != "queued") throw BenchError("message not queued: " + r.body);
    co_return std::pair{field(r, "id"), t0};
  }

  asio::awaitable<void> one_at_a_time(HttpConnection& c, Feeds& f, const Agent& agent,
                                      Delivery& d) {
    for (int i = 0; i < opt_.messages; ++i) {
      co_await wait_idle(f, agent);
      auto posted = co_await post_message(c, agent, next_message_++);
      const std::string& id = posted.first;
      int64_t t0 = posted.second;
      std::string token = "[MAIL] " + id;
      bool ok = co_await f.signal.wait_until(
          [&] {
            auto it = f.events.taken.find(id);
            bool ended =
                it != f.events.taken.end() && (f.tokens.seen(token) != 0 || !is_taken(it->second));
            return ended || !f.alive();
          },
          kDeliveryTimeout);
      if (!ok || !f.alive()) {
        throw BenchError("message " + id + " to " + agent.name + ": " +
                         (f.tokens.seen(token) != 0 ? "typed, but not delivered" : "never typed"));
      }
      const auto& taken = f.events.taken[id];
      if (!is_taken(taken))
        throw BenchError("message " + id + " to " + agent.name + ": " + taken.how);
      int64_t pasted = f.tokens.seen(token);
      d.paste_ns.push_back(static_cast<double>(pasted - t0));
      d.taken_ns.push_back(static_cast<double>(taken.at_ns - t0));
      d.settle_ns.push_back(static_cast<double>(taken.at_ns - pasted));
      if (int64_t again = f.tokens.seen_again(token)) {
        d.enter_ns.push_back(static_cast<double>(again - pasted));
      }
      ++d.how[taken.how];
    }
  }

  // `d.burst` messages posted at once to an idle agent; the time until the last is taken.
  asio::awaitable<void> burst(HttpConnection& c, Feeds& f, const Agent& agent, Delivery& d) {
    co_await wait_idle(f, agent);
    std::vector<std::string> ids;
    int64_t start = now_ns();
    for (int i = 0; i < d.burst; ++i) {
      auto posted = co_await post_message(c, agent, next_message_++);
      ids.push_back(posted.first);
    }
    bool ok = co_await f.signal.wait_until(
        [&] {
          for (const auto& id : ids)
            if (f.events.taken.count(id) == 0) return !f.alive();
          return true;
        },
        kDeliveryTimeout * d.burst);
    if (!ok || !f.alive()) throw BenchError("burst to " + agent.name + ": not all were taken");
    int64_t last = start;
    for (const auto& id : ids) {
      const auto& taken = f.events.taken[id];
      if (!is_taken(taken))
        throw BenchError("message " + id + " to " + agent.name + ": " + taken.how);
      last = std::max(last, taken.at_ns);
    }
    d.burst_s = static_cast<double>(last - start) / 1e9;
  }

  asio::io_context io_{1};
  BenchDaemon& daemon_;
  RestClient& rest_;
  Fleet& fleet_;
  Options opt_;
  Agent worker_;
  int next_task_ = 0;
  int next_probe_ = 0;
  int next_message_ = 0;
};

int arg(int argc, char** argv, int index, int fallback) {
  return argc > index ? std::max(1, std::atoi(argv[index])) : fallback;
}

}  // namespace

// crew_bench [TASKS [CONNECTIONS [MESSAGES [BACKLOG [sqlite|postgres]]]]]
int main(int argc, char** argv) {
  Options opt;
  opt.tasks = arg(argc, argv, 1, opt.tasks);
  opt.connections = arg(argc, argv, 2, opt.connections);
  opt.messages = arg(argc, argv, 3, opt.messages);
  opt.backlog = arg(argc, argv, 4, opt.backlog);
  if (argc > 5) opt.store = argv[5];
  std::printf(
      "crew_bench: %d tasks, %d connections, %d messages, backlog %d, store %s; load average %s\n",
      opt.tasks, opt.connections, opt.messages, opt.backlog, opt.store.c_str(),
      load_average().c_str());
  // PostgreSQL: Debian's, started on a unix socket in a folder of the bench's own.
  std::unique_ptr<bosun::testing::PgServer> pg;
  std::vector<std::string> serve_args;
  auto pg_dir = std::filesystem::temp_directory_path() / bosun::new_id("bosun-bench-pg-");
  if (opt.store == "postgres") {
    auto started = bosun::testing::PgServer::start(pg_dir);
    if (!started) {
      std::fprintf(stderr, "crew_bench: %s\n", started.error().message.c_str());
      return 1;
    }
    pg = std::move(*started);
    serve_args = {"--store", pg->url("postgres")};
  } else if (opt.store != "sqlite") {
    std::fprintf(stderr, "crew_bench: the store is sqlite or postgres\n");
    return 2;
  }
  struct RemovePg {
    std::filesystem::path dir;
    std::unique_ptr<bosun::testing::PgServer>& server;
    ~RemovePg() {
      server.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove_pg{pg_dir, pg};
  BenchDaemon daemon(serve_args, true);
  RestClient rest(daemon);
  Fleet fleet(daemon, rest);
  int rc = 0;
  try {
    Bench b(daemon, rest, fleet, opt);
    b.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crew_bench: %s\n", e.what());
    std::ifstream err(daemon.stderr_path());
    std::stringstream text;
    text << err.rdbuf();
    std::string all = text.str();
    if (!all.empty()) {
      std::fprintf(stderr, "the daemon's stderr ends with:\n%s\n",
                   all.substr(all.size() - std::min<size_t>(all.size(), 2000)).c_str());
    }
    rc = 1;
  }
  std::printf("\n");
  if (fleet.clean_up() > 0) rc = 1;
  std::printf("load average at the end: %s\n", load_average().c_str());
  return rc;
}
