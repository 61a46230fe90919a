// Terminal echo latency: a keystroke goes in, the terminal's echo comes back, one at a time.
// Baseline: `cat` under forkpty() here (write the master, read the echo). Measured: `cat` as an
// agent, the keystroke sent as {"type":"input"} on its terminal socket and the echo read from a
// binary output frame. Both idle, then while other agents each print a line every 10 ms.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::now_ns;

namespace {

constexpr int kWarmup = 100;
// Keystrokes per line: then Enter, so the line discipline's 4 KiB line buffer never fills.
constexpr int kLine = 64;
constexpr auto kEchoTimeout = std::chrono::seconds(10);

// A load agent: a ~100-byte log line every 10 ms (python3 sleeps without forking).
const char* kLoadProgram = R"(import sys, time
n = 0
while True:
    n += 1
    line = "%.6f step %d: compiling unit %d of the crew's build " % (time.time(), n, n % 977)
    sys.stdout.write(line.ljust(99, ".") + "\n")
    sys.stdout.flush()
    time.sleep(0.01)
)";

// One terminal to type into: send bytes, then wait for exactly `n` bytes of output.
class Terminal {
 public:
  virtual ~Terminal() = default;
  virtual void send(const std::string& keys) = 0;
  virtual std::string receive(size_t n) = 0;
};

// `cat` under forkpty() in this process.
class PtyTerminal : public Terminal {
 public:
  PtyTerminal() {
    winsize ws{};
    ws.ws_col = 120;
    ws.ws_row = 40;
    pid_ = ::forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ < 0) throw BenchError("forkpty failed");
    if (pid_ == 0) {
      char cat[] = "cat";
      char* argv[] = {cat, nullptr};
      ::execvp(argv[0], argv);
      ::_exit(127);
    }
  }
  ~PtyTerminal() override {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(master_);
  }
  void send(const std::string& keys) override {
    if (::write(master_, keys.data(), keys.size()) != static_cast<ssize_t>(keys.size())) {
      throw BenchError("write to the PTY master failed");
    }
  }
  std::string receive(size_t n) override {
    std::string out;
    int64_t deadline = now_ns() + std::chrono::nanoseconds(kEchoTimeout).count();
    char buf[4096];
    while (out.size() < n) {
      pollfd pfd{master_, POLLIN, 0};
      int left_ms = static_cast<int>((deadline - now_ns()) / 1'000'000);
      if (left_ms <= 0) throw BenchError("no echo from the forkpty cat");
      int rc = ::poll(&pfd, 1, left_ms);
      if (rc <= 0) continue;
      ssize_t got = ::read(master_, buf, std::min(sizeof buf, n - out.size()));
      if (got > 0) out.append(buf, static_cast<size_t>(got));
      if (got <= 0 && errno != EINTR && errno != EAGAIN) throw BenchError("PTY master closed");
    }
    return out;
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
};

// `cat` as an agent, typed into through its terminal socket.
class AgentTerminal : public Terminal {
 public:
  AgentTerminal(bench::BenchDaemon& daemon, const std::string& agent_id)
      : viewer_(daemon, agent_id, 0) {}
  void send(const std::string& keys) override {
    viewer_.send_text(bench::Json{{"type", "input"}, {"data", keys}}.dump());
  }
  std::string receive(size_t n) override {
    int64_t deadline = now_ns() + std::chrono::nanoseconds(kEchoTimeout).count();
    while (held_.size() < n) {
      auto left = std::chrono::nanoseconds(deadline - now_ns());
      if (left.count() <= 0) throw BenchError("no echo through the daemon");
      auto frame = viewer_.read(std::chrono::duration_cast<std::chrono::milliseconds>(left));
      if (!frame.binary) continue;  // the status frame
      if (frame.offset != next_) throw BenchError("output offsets are not contiguous");
      next_ += frame.data.size();
      held_.append(frame.data);
    }
    std::string out = held_.substr(0, n);
    held_.erase(0, n);
    return out;
  }

 private:
  bench::TerminalViewer viewer_;
  uint64_t next_ = 0;
  std::string held_;
};

// Enter after `typed` keystrokes: the echo "\r\n", then cat's line "x…x\r\n".
void end_line(Terminal& term, int typed) {
  term.send("\r");
  std::string line = "\r\n" + std::string(static_cast<size_t>(typed), 'x') + "\r\n";
  std::string got = term.receive(line.size());
  if (got != line) throw BenchError("unexpected line " + bench::Json(got).dump());
}

// Latencies (µs) of `count` single keystrokes, each waited for before the next.
std::vector<double> type_keys(Terminal& term, int count) {
  std::vector<double> us;
  us.reserve(static_cast<size_t>(count));
  int in_line = 0;
  for (int i = 0; i < kWarmup + count; ++i) {
    int64_t t0 = now_ns();
    term.send("x");
    std::string echo = term.receive(1);
    int64_t t1 = now_ns();
    if (echo != "x") throw BenchError("unexpected echo " + bench::Json(echo).dump());
    if (i >= kWarmup) us.push_back(static_cast<double>(t1 - t0) / 1000.0);
    if (++in_line == kLine || i == kWarmup + count - 1) {
      end_line(term, in_line);
      in_line = 0;
    }
  }
  return us;
}

void print_row(const char* phase, const char* path, std::vector<double> us) {
  size_t n = us.size();
  double p50 = bench::percentile(us, 0.50);
  double p99 = bench::percentile(us, 0.99);
  double max = us.empty() ? 0 : us.back();  // percentile() sorted it
  std::printf("%-22s %-16s %10zu %10.3f %10.3f %10.3f\n", phase, path, n, p50 / 1000, p99 / 1000,
              max / 1000);
  std::fflush(stdout);
}

std::string python3() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

// Output bytes of the given agents so far, from GET /api/v1/agents.
int64_t output_bytes(bench::RestClient& rest, const std::set<std::string>& ids) {
  auto [status, body] = rest.request(bench::http::verb::get, "/api/v1/agents");
  if (status != 200 || !body.is_object() || !body["agents"].is_array()) {
    throw BenchError("GET /api/v1/agents failed");
  }
  int64_t total = 0;
  for (const auto& a : body["agents"]) {
    if (ids.count(a.value("id", "")) > 0) total += a.value("end_offset", int64_t{0});
  }
  return total;
}

double holders_cpu(const std::vector<bench::AgentFleet::Agent>& agents) {
  double total = 0;
  for (const auto& a : agents)
    total += bench::cpu_seconds(a.holder_pid);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int keystrokes = argc > 1 ? std::atoi(argv[1]) : 2000;
  int load_agents = argc > 2 ? std::atoi(argv[2]) : 50;
  std::printf("terminal echo: %d keystrokes one at a time (+%d warm-up), Enter every %d\n",
              keystrokes, kWarmup, kLine);
  bench::BenchDaemon daemon;
  bench::RestClient rest(daemon);
  int failures = 0;
  {
    bench::AgentFleet fleet(daemon, rest);
    try {
      std::printf("%-22s %-16s %10s %10s %10s %10s\n", "phase", "path", "keystrokes", "p50 ms",
                  "p99 ms", "max ms");
      auto echo = fleet.spawn("echo", {"cat"});
      {
        PtyTerminal pty;
        print_row("idle", "forkpty cat", type_keys(pty, keystrokes));
      }
      AgentTerminal agent(daemon, echo.id);
      print_row("idle", "agent cat (ws)", type_keys(agent, keystrokes));

      std::vector<bench::AgentFleet::Agent> load;
      std::set<std::string> load_ids;
      for (int i = 0; i < load_agents; ++i) {
        load.push_back(fleet.spawn("load-" + std::to_string(i), {python3(), "-c", kLoadProgram}));
        load_ids.insert(load.back().id);
      }
      std::this_thread::sleep_for(std::chrono::seconds(2));  // every printer is in its loop
      // What the load costs, over a 5-second window before typing.
      int64_t bytes0 = output_bytes(rest, load_ids);
      double daemon0 = bench::cpu_seconds(daemon.pid());
      double holders0 = holders_cpu(load);
      int64_t t0 = now_ns();
      std::this_thread::sleep_for(std::chrono::seconds(5));
      double secs = static_cast<double>(now_ns() - t0) / 1e9;
      double rate = static_cast<double>(output_bytes(rest, load_ids) - bytes0) / secs;
      double daemon_cpu = (bench::cpu_seconds(daemon.pid()) - daemon0) / secs;
      double holder_cpu = (holders_cpu(load) - holders0) / secs;
      std::string phase = std::to_string(load_agents) + " agents printing";
      {
        PtyTerminal pty;
        print_row(phase.c_str(), "forkpty cat", type_keys(pty, keystrokes));
      }
      print_row(phase.c_str(), "agent cat (ws)", type_keys(agent, keystrokes));
      std::printf(
          "load: %d agents wrote %.0f lines/s (%.0f KiB/s) through the daemon; daemon CPU "
          "%.0f%%, their holders' CPU %.0f%% (of one core; 5 s before typing)\n",
          load_agents, rate / 101, rate / 1024, 100 * daemon_cpu, 100 * holder_cpu);
    } catch (const BenchError& e) {
      std::fprintf(stderr, "terminal_echo_bench: %s\n", e.what());
      ++failures;
    }
    failures += fleet.clean_up();
  }
  return failures == 0 ? 0 : 1;
}
