// Detection latency: from a change on an agent's screen to its agent.state event. An agent run
// with the claude profile draws, on a keystroke, either Claude Code's permission dialog
// (→ waiting_input) or its working spinner (→ working), in turns. Each iteration sends the
// keystroke on the terminal socket at t0 and times, in the same run:
//   baseline  the whole drawing back as terminal output frames (what any viewer waits for);
//   measured  the agent.state event for the new state on the events WebSocket.
// The difference is what detection adds: the 50 ms screen-check delay and the rules' read.
// Then the hook path, as Claude Code drives it when bosun started it from its profile: the
// real `bosun hook claude` process run with the hook JSON on stdin (PermissionRequest, then
// PostToolUse, in turns), timed to its exit (Claude waits for a hook) and to the agent.state
// event.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::Json;
using bench::now_ns;

namespace {

constexpr int kWarmup = 10;
constexpr auto kTimeout = std::chrono::seconds(10);

// Draws a file's bytes, unchanged, for each keystroke: 'd' the dialog, 'w' the spinner.
const char* kDrawer = R"(import os, sys, tty
tty.setraw(0)
screens = {b"d": open(sys.argv[1], "rb").read(), b"w": open(sys.argv[2], "rb").read()}
os.write(1, b"ready\r\n")
while True:
    key = os.read(0, 1)
    if not key or key == b"q":
        break
    if key in screens:
        os.write(1, screens[key])
)";

// A fixture screen as a program would draw it: clear, home, then its lines ending in CR LF.
std::string drawing(const std::string& fixture) {
  std::ifstream in(std::filesystem::path(BOSUN_SOURCE_DIR) / "tests" / "fixtures" /
                   "agent-sessions" / fixture);
  if (!in) throw BenchError("missing fixture " + fixture);
  std::string out = "\x1b[2J\x1b[H";
  std::string line;
  while (std::getline(in, line))
    out += line + "\r\n";
  return out;
}

// The events WebSocket, read on its own thread so that every event is stamped when it arrives
// while the main thread reads the terminal socket.
class EventStream {
 public:
  explicit EventStream(const bench::BenchDaemon& daemon) {
    bench::tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(daemon.host(), daemon.port());
    auto& stream = bench::beast::get_lowest_layer(ws_);
    stream.expires_after(bench::kIoTimeout);
    if (auto ec = bench::run_op(io_, [&](auto h) { stream.async_connect(endpoints, h); })) {
      throw BenchError("events connect: " + ec.message());
    }
    stream.socket().set_option(bench::tcp::no_delay(true));
    stream.expires_after(bench::kIoTimeout);
    if (auto ec = bench::run_op(io_, [&](auto h) {
          ws_.async_handshake(daemon.address(), "/api/v1/events?token=" + daemon.token(), h);
        })) {
      throw BenchError("events handshake: " + ec.message());
    }
    stream.expires_never();
    reader_ = std::thread([this] { read_loop(); });
  }
  ~EventStream() {
    bench::beast::error_code ignored;
    bench::beast::get_lowest_layer(ws_).socket().shutdown(bench::tcp::socket::shutdown_both,
                                                          ignored);
    reader_.join();
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // The arrival time of the next agent.state event of `agent` with state `state`; earlier
  // events are dropped. Throws after kTimeout.
  int64_t wait_state(const std::string& agent, const std::string& state) {
    std::unique_lock lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (true) {
      while (!queue_.empty()) {
        auto [at, ev] = std::move(queue_.front());
        queue_.pop_front();
        if (ev["type"] == "agent.state" && ev["subject"] == agent && ev["data"]["state"] == state) {
          return at;
        }
      }
      if (closed_) throw BenchError("the events socket closed");
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && queue_.empty()) {
        throw BenchError("no agent.state " + state + " event within 10 s");
      }
    }
  }

 private:
  void read_loop() {
    bench::beast::flat_buffer buffer;
    while (true) {
      buffer.clear();
      auto ec = bench::run_op(io_, [&](auto h) { ws_.async_read(buffer, h); });
      int64_t at = now_ns();
      std::lock_guard lock(mu_);
      if (ec) {
        closed_ = true;
        cv_.notify_all();
        return;
      }
      Json ev = Json::parse(bench::beast::buffers_to_string(buffer.cdata()), nullptr, false);
      if (!ev.is_discarded()) queue_.emplace_back(at, std::move(ev));
      cv_.notify_all();
    }
  }

  bench::asio::io_context io_{1};
  bench::websocket::stream<bench::beast::tcp_stream> ws_{io_};
  std::thread reader_;  // the events socket is read while the main thread reads the terminal
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int64_t, Json>> queue_;
  bool closed_ = false;
};

// Reads terminal frames until `n` more bytes of output arrived; returns when the last did.
int64_t receive(bench::TerminalViewer& term, uint64_t& next, size_t n) {
  int64_t deadline = now_ns() + std::chrono::nanoseconds(kTimeout).count();
  uint64_t until = next + n;
  while (next < until) {
    auto left = std::chrono::nanoseconds(deadline - now_ns());
    if (left.count() <= 0) throw BenchError("the drawing did not come back within 10 s");
    auto frame = term.read(std::chrono::duration_cast<std::chrono::milliseconds>(left));
    if (!frame.binary) continue;
    if (frame.offset != next) throw BenchError("output offsets are not contiguous");
    next += frame.data.size();
  }
  if (next != until) throw BenchError("more output than the drawing");
  return now_ns();
}

// Runs `bosun hook claude --agent AGENT` with `json_file` on stdin, as Claude Code runs a
// command hook; returns when the process has exited.
int64_t run_hook(const std::string& json_file, const bench::BenchDaemon& daemon,
                 const std::string& agent) {
  std::vector<std::string> args = {BOSUN_BINARY, "hook", "claude", "--strict", "--agent", agent};
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "BOSUN_URL=http://" + daemon.address(),
                                  "BOSUN_TOKEN=" + daemon.token()};
  std::vector<char*> cargs, cenv;
  for (auto& a : args)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  for (auto& e : env)
    cenv.push_back(e.data());
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, json_file.c_str(), O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), cenv.data());
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw BenchError("cannot run bosun hook claude");
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw BenchError("bosun hook claude failed");
  return now_ns();
}

void print_row(const char* change, std::vector<double> output_us, std::vector<double> state_us) {
  // percentile() sorts: take each figure in its own statement.
  double out_p50 = bench::percentile(output_us, 0.50);
  double out_p99 = bench::percentile(output_us, 0.99);
  double state_p50 = bench::percentile(state_us, 0.50);
  double state_p99 = bench::percentile(state_us, 0.99);
  std::printf("%-34s %6zu %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", change, state_us.size(),
              out_p50 / 1000, out_p99 / 1000, state_p50 / 1000, state_p99 / 1000,
              state_us.back() / 1000, output_us.back() / 1000);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = argc > 1 ? std::atoi(argv[1]) : 300;
  std::printf("detection latency: %d changes each way (+%d warm-up), claude profile, 50 ms check\n",
              iterations, kWarmup);
  bench::BenchDaemon daemon;
  bench::RestClient rest(daemon);
  int failures = 0;
  {
    bench::AgentFleet fleet(daemon, rest);
    try {
      auto dir = std::filesystem::path(daemon.dir());
      std::string dialog = drawing("claude-2.1.12-permission-bash.screen.txt");
      std::string spinner = drawing("claude-2.1.280-working-spinner.screen.txt");
      std::ofstream(dir / "dialog.bin", std::ios::binary) << dialog;
      std::ofstream(dir / "spinner.bin", std::ios::binary) << spinner;
      EventStream events(daemon);
      std::string id = fleet
                           .spawn("drawer",
                                  {"python3", "-c", kDrawer, (dir / "dialog.bin").string(),
                                   (dir / "spinner.bin").string()},
                                  120, 30, Json{{"profile", "claude"}})
                           .id;
      bench::TerminalViewer term(daemon, id, 0);
      uint64_t next = 0;
      receive(term, next, std::string_view("ready\r\n").size());  // raw mode, no echo from here
      std::vector<double> out_dialog, state_dialog, out_spinner, state_spinner;
      for (int i = 0; i < kWarmup + iterations; ++i) {
        for (bool to_dialog : {true, false}) {
          const std::string& bytes = to_dialog ? dialog : spinner;
          int64_t t0 = now_ns();
          term.send_text(Json{{"type", "input"}, {"data", to_dialog ? "d" : "w"}}.dump());
          int64_t t_out = receive(term, next, bytes.size());
          int64_t t_state = events.wait_state(id, to_dialog ? "waiting_input" : "working");
          if (i < kWarmup) continue;
          (to_dialog ? out_dialog : out_spinner).push_back(static_cast<double>(t_out - t0) / 1e3);
          (to_dialog ? state_dialog : state_spinner)
              .push_back(static_cast<double>(t_state - t0) / 1e3);
        }
      }
      std::printf("%-34s %6s %9s %9s %9s %9s %9s %9s\n", "change (keystroke at t0)", "n", "out p50",
                  "out p99", "state p50", "state p99", "state max", "out max");
      print_row("dialog drawn -> waiting_input", out_dialog, state_dialog);
      print_row("spinner drawn -> working", out_spinner, state_spinner);
      std::printf(
          "(ms; out = the whole drawing back on the terminal socket, state = the "
          "agent.state event on the events socket)\n");
      std::ofstream(dir / "permission.json")
          << R"({"hook_event_name":"PermissionRequest","session_id":"b","tool_name":"Bash"})";
      std::ofstream(dir / "posttool.json")
          << R"({"hook_event_name":"PostToolUse","session_id":"b","tool_name":"Bash"})";
      std::vector<double> exit_wait, state_wait, exit_work, state_work;
      for (int i = 0; i < kWarmup + iterations; ++i) {
        for (bool to_waiting : {true, false}) {
          int64_t t0 = now_ns();
          int64_t t_exit =
              run_hook((dir / (to_waiting ? "permission.json" : "posttool.json")).string(), daemon,
                       "drawer");
          int64_t t_state = events.wait_state(id, to_waiting ? "waiting_input" : "working");
          if (i < kWarmup) continue;
          (to_waiting ? exit_wait : exit_work).push_back(static_cast<double>(t_exit - t0) / 1e3);
          (to_waiting ? state_wait : state_work).push_back(static_cast<double>(t_state - t0) / 1e3);
        }
      }
      std::printf("%-34s %6s %9s %9s %9s %9s %9s %9s\n", "hook (process start at t0)", "n",
                  "exit p50", "exit p99", "state p50", "state p99", "state max", "exit max");
      print_row("PermissionRequest -> waiting_input", exit_wait, state_wait);
      print_row("PostToolUse -> working", exit_work, state_work);
      std::printf(
          "(ms; exit = bosun hook claude has exited, which Claude Code waits for; state = the "
          "agent.state event)\n");
      term.send_text(Json{{"type", "input"}, {"data", "q"}}.dump());
    } catch (const BenchError& e) {
      std::fprintf(stderr, "detection_latency_bench: %s\n", e.what());
      ++failures;
    }
    failures += fleet.clean_up();
  }
  return failures == 0 ? 0 : 1;
}
