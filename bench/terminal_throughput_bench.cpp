// Terminal throughput: a producer writes N bytes into its PTY. Baseline: the producer under
// forkpty() here, its master drained by a read() loop. Measured: the same producer as an agent,
// received by one WebSocket viewer (mode=binary, from=0). Bytes/s from spawn to the last byte.
// Then the shape other tools were measured in: `cat` of a file typed into an interactive bash
// agent, its viewer attached from the start, 20 idle agents beside it, in binary and JSON
// mode, against `cat` of the same file under forkpty().
#include <poll.h>
#include <pty.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::now_ns;

namespace {

constexpr int kCols = 120;
constexpr int kRows = 40;
constexpr size_t kReadChunk = size_t{64} << 10;  // the holder's PTY read size
constexpr auto kRunTimeout = std::chrono::seconds(300);

std::vector<std::string> producer_argv(int64_t bytes) {
  return {"sh", "-c",
          "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c " + std::to_string(bytes)};
}

double process_cpu_seconds() {
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return secs(self.ru_utime) + secs(self.ru_stime);
}

struct Result {
  int64_t bytes = 0;
  double seconds = 0;
  int64_t holes = 0;  // frames that did not start where the previous one ended
  double daemon_cpu = 0;
  double holder_cpu = 0;
  double client_cpu = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(bytes) / seconds : 0; }
};

// `argv_strings` under forkpty(), its master read until EIO (every slave closed) or EOF.
Result run_baseline(std::vector<std::string> argv_strings) {
  std::vector<char*> argv;
  for (auto& a : argv_strings)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  winsize ws{};
  ws.ws_col = kCols;
  ws.ws_row = kRows;
  double cpu0 = process_cpu_seconds();
  int64_t t0 = now_ns();
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid < 0) throw BenchError("forkpty failed");
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  Result r;
  std::vector<char> buf(kReadChunk);
  int64_t deadline = t0 + std::chrono::nanoseconds(kRunTimeout).count();
  for (;;) {
    pollfd pfd{master, POLLIN, 0};
    int rc = ::poll(&pfd, 1, 1000);
    if (rc < 0 && errno == EINTR) continue;
    if (now_ns() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(master);
      throw BenchError("baseline producer did not finish in time");
    }
    if (rc == 0) continue;
    ssize_t n = ::read(master, buf.data(), buf.size());
    if (n > 0) {
      r.bytes += n;
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    break;  // EIO or 0: the end of the stream
  }
  r.seconds = static_cast<double>(now_ns() - t0) / 1e9;
  r.client_cpu = process_cpu_seconds() - cpu0;
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return r;
}

// The producer as an agent; one viewer from offset 0 until the run's status says "exited" and
// every byte up to its end_offset has arrived.
Result run_agent(bench::BenchDaemon& daemon, bench::AgentFleet& fleet, int64_t bytes, int round) {
  Result r;
  double daemon_cpu0 = bench::cpu_seconds(daemon.pid());
  double client_cpu0 = process_cpu_seconds();
  int64_t t0 = now_ns();
  auto agent = fleet.spawn("tput-" + std::to_string(round), producer_argv(bytes), kCols, kRows);
  bench::TerminalViewer viewer(daemon, agent.id, 0);
  int64_t last_byte_ns = 0;
  int64_t end_offset = -1;
  uint64_t next = 0;
  int64_t deadline = t0 + std::chrono::nanoseconds(kRunTimeout).count();
  int64_t next_sample = 0;
  while (end_offset < 0 || static_cast<int64_t>(next) < end_offset) {
    if (now_ns() > deadline) throw BenchError("the agent's output did not arrive in time");
    auto frame = viewer.read(std::chrono::seconds(30));
    if (!frame.binary) {
      auto msg = bench::Json::parse(frame.data, nullptr, false);
      if (msg.is_object() && msg.value("type", "") == "status" &&
          msg.value("state", "") != "running") {
        end_offset = msg.value("end_offset", int64_t{0});
      }
      continue;  // "gap" frames are counted as holes below, from the offsets
    }
    last_byte_ns = now_ns();
    if (frame.offset != next) ++r.holes;
    next = frame.offset + frame.data.size();
    r.bytes += static_cast<int64_t>(frame.data.size());
    // The holder exits soon after the run ends: sample its CPU time while it is there.
    if (last_byte_ns >= next_sample) {
      double cpu = bench::cpu_seconds(agent.holder_pid);
      if (cpu > 0) r.holder_cpu = cpu;  // a new holder: all its CPU time is this run's
      next_sample = last_byte_ns + 20'000'000;
    }
  }
  r.seconds = static_cast<double>(last_byte_ns - t0) / 1e9;
  r.daemon_cpu = bench::cpu_seconds(daemon.pid()) - daemon_cpu0;
  r.client_cpu = process_cpu_seconds() - client_cpu0;
  double holder_cpu = bench::cpu_seconds(agent.holder_pid);
  if (holder_cpu > r.holder_cpu) r.holder_cpu = holder_cpu;
  if (end_offset != static_cast<int64_t>(next)) ++r.holes;
  return r;
}

// A file of `bytes` bytes of 37-byte lines.
std::string make_file(const std::string& dir, int64_t bytes) {
  std::string path = dir + "/cat-me.txt";
  std::ofstream out(path, std::ios::binary);
  const std::string line = "0123456789abcdefghijklmnopqrstuvwxyz\n";
  for (int64_t n = 0; n < bytes; n += static_cast<int64_t>(line.size()))
    out << line;
  return path;
}

// `cat FILE` typed into an interactive bash agent whose viewer has watched since it started;
// timed from the keystrokes to the marker printed after the file. Bytes are the output between.
Result cat_typed(bench::BenchDaemon& daemon, bench::AgentFleet& fleet, const std::string& file,
                 bool binary, int round) {
  auto agent = fleet.spawn((binary ? "cat-bin-" : "cat-json-") + std::to_string(round),
                           {"bash", "--norc", "--noprofile", "-i"}, kCols, kRows,
                           bench::Json{{"env", {{"PS1", "ready$ "}}}});
  bench::TerminalViewer viewer(daemon, agent.id, 0, binary);
  // Output of one frame: binary frames carry it raw, JSON frames in "data".
  auto output_of = [&](const bench::TerminalViewer::Frame& f, std::string& scratch) {
    if (f.binary) return std::string_view(f.data);
    auto msg = bench::Json::parse(f.data, nullptr, false);
    if (!msg.is_object() || msg.value("type", "") != "output") return std::string_view();
    scratch = msg.value("data", "");
    return std::string_view(scratch);
  };
  std::string seen;
  std::string scratch;
  while (seen.find("ready$ ") == std::string::npos) {
    auto text = output_of(viewer.read(std::chrono::seconds(30)), scratch);
    seen.append(text);
  }
  double daemon_cpu0 = bench::cpu_seconds(daemon.pid());
  double client_cpu0 = process_cpu_seconds();
  double holder_cpu0 = bench::cpu_seconds(agent.holder_pid);
  int64_t t0 = now_ns();
  // The echo of the command line shows `__DO""NE__`; only the output of echo is `__DONE__`.
  viewer.send_text(
      bench::Json{{"type", "input"}, {"data", "cat " + file + "; echo __DO\"\"NE__\r"}}.dump());
  Result r;
  std::string tail;
  for (;;) {
    if (now_ns() - t0 > std::chrono::nanoseconds(kRunTimeout).count()) {
      throw BenchError("the typed cat did not finish in time");
    }
    auto text = output_of(viewer.read(std::chrono::seconds(30)), scratch);
    r.bytes += static_cast<int64_t>(text.size());
    tail.append(text);
    if (tail.find("__DONE__") != std::string::npos) break;
    if (tail.size() > 64) tail.erase(0, tail.size() - 64);
  }
  r.seconds = static_cast<double>(now_ns() - t0) / 1e9;
  r.daemon_cpu = bench::cpu_seconds(daemon.pid()) - daemon_cpu0;
  r.client_cpu = process_cpu_seconds() - client_cpu0;
  r.holder_cpu = bench::cpu_seconds(agent.holder_pid) - holder_cpu0;
  return r;
}

// The daemon logs each hole as an agent.output_gap warning: count them.
void report_gap_warnings(const std::string& path) {
  std::ifstream in(path);
  std::string line, first;
  int gaps = 0;
  while (std::getline(in, line)) {
    if (line.find("agent.output_gap") == std::string::npos) continue;
    if (++gaps == 1) first = line;
  }
  if (gaps > 0)
    std::printf("daemon: %d agent.output_gap warnings, the first: %s\n", gaps, first.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int64_t bytes = argc > 1 ? std::atoll(argv[1]) : int64_t{200} << 20;
  int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  int64_t cat_bytes = argc > 3 ? std::atoll(argv[3]) : int64_t{50} << 20;
  int idle_agents = argc > 4 ? std::atoi(argv[4]) : 20;
  std::printf(
      "terminal throughput: `yes | head -c %lld` into a %dx%d PTY (ONLCR makes it more on "
      "the master side), %d rounds\n",
      static_cast<long long>(bytes), kCols, kRows, rounds);
  bench::BenchDaemon daemon({}, true);
  bench::RestClient rest(daemon);
  int failures = 0;
  {
    bench::AgentFleet fleet(daemon, rest);
    try {
      std::vector<double> ratios;
      std::printf("%-5s %-8s %11s %11s %7s %11s %6s %5s %7s %7s %7s\n", "round", "path",
                  "bytes read", "bytes lost", "seconds", "rate MiB/s", "ratio", "holes", "cpu dmn",
                  "cpu hld", "cpu cli");
      for (int round = 1; round <= rounds; ++round) {
        Result base = run_baseline(producer_argv(bytes));
        Result agent = run_agent(daemon, fleet, bytes, round);
        double ratio = agent.rate() / base.rate();
        ratios.push_back(ratio);
        std::printf("%-5d %-8s %11lld %11s %7.2f %11.1f %6s %5s %7s %7s %7.2f\n", round, "forkpty",
                    static_cast<long long>(base.bytes), "-", base.seconds, base.rate() / (1 << 20),
                    "1.00", "-", "-", "-", base.client_cpu);
        std::printf("%-5d %-8s %11lld %11lld %7.2f %11.1f %6.2f %5lld %7.2f %7.2f %7.2f\n", round,
                    "agent", static_cast<long long>(agent.bytes),
                    static_cast<long long>(base.bytes - agent.bytes), agent.seconds,
                    agent.rate() / (1 << 20), ratio, static_cast<long long>(agent.holes),
                    agent.daemon_cpu, agent.holder_cpu, agent.client_cpu);
        if (agent.bytes != base.bytes || agent.holes != 0) ++failures;
        std::fflush(stdout);
      }
      std::sort(ratios.begin(), ratios.end());
      std::printf("median ratio agent/forkpty: %.2f (goal >= 0.80); %s\n",
                  ratios[ratios.size() / 2],
                  failures == 0 ? "every byte arrived, in order, without holes"
                                : "OUTPUT WAS LOST (bytes lost / holes above)");

      std::string file = make_file(daemon.dir(), cat_bytes);
      for (int i = 0; i < idle_agents; ++i)
        fleet.spawn("idle-" + std::to_string(i), {"sleep", "100000"});
      std::printf(
          "\n`cat` of a %lld-byte file typed into an interactive bash agent (viewer attached from "
          "the start, %d idle agents beside it) against `cat` under forkpty()\n",
          static_cast<long long>(cat_bytes), idle_agents);
      std::printf("%-5s %-8s %11s %7s %11s %6s %7s %7s %7s\n", "round", "path", "bytes", "seconds",
                  "rate MiB/s", "ratio", "cpu dmn", "cpu hld", "cpu cli");
      std::vector<double> bin_ratios;
      std::vector<double> json_ratios;
      for (int round = 1; round <= rounds; ++round) {
        Result base = run_baseline({"cat", file});
        std::printf("%-5d %-8s %11lld %7.2f %11.1f %6s %7s %7s %7.2f\n", round, "forkpty",
                    static_cast<long long>(base.bytes), base.seconds, base.rate() / (1 << 20),
                    "1.00", "-", "-", base.client_cpu);
        for (bool binary : {true, false}) {
          Result typed = cat_typed(daemon, fleet, file, binary, round);
          double ratio = typed.rate() / base.rate();
          (binary ? bin_ratios : json_ratios).push_back(ratio);
          std::printf("%-5d %-8s %11lld %7.2f %11.1f %6.2f %7.2f %7.2f %7.2f\n", round,
                      binary ? "binary" : "json", static_cast<long long>(typed.bytes),
                      typed.seconds, typed.rate() / (1 << 20), ratio, typed.daemon_cpu,
                      typed.holder_cpu, typed.client_cpu);
          std::fflush(stdout);
        }
      }
      std::sort(bin_ratios.begin(), bin_ratios.end());
      std::sort(json_ratios.begin(), json_ratios.end());
      std::printf("median ratio to forkpty: binary %.2f, json %.2f (goal >= 0.80)\n",
                  bin_ratios[bin_ratios.size() / 2], json_ratios[json_ratios.size() / 2]);
    } catch (const BenchError& e) {
      std::fprintf(stderr, "terminal_throughput_bench: %s\n", e.what());
      ++failures;
    }
    failures += fleet.clean_up();
  }
  report_gap_warnings(daemon.stderr_path());
  return failures == 0 ? 0 : 1;
}
