// Terminal footprint: memory of the daemon and of one holder with 0, 1, 50 and 200 idle agents
// (`sleep`), then the CPU time the daemon and all holders use over a quiet minute.
#include <cstdio>
#include <cstdlib>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::now_ns;

namespace {

struct Sample {
  int agents = 0;
  int64_t daemon_rss = 0;
  int64_t daemon_pss = 0;
  int64_t holder_rss = 0;  // the first agent's holder
  int64_t holder_pss = 0;
  int64_t holders_pss = 0;  // every holder
  double spawn_ms = 0;      // mean time of POST /api/v1/agents for this step's agents
};

Sample measure(const bench::BenchDaemon& daemon,
               const std::vector<bench::AgentFleet::Agent>& agents) {
  Sample s;
  s.agents = static_cast<int>(agents.size());
  s.daemon_rss = bench::rss_kib(daemon.pid());
  s.daemon_pss = bench::pss_kib(daemon.pid());
  if (!agents.empty()) {
    s.holder_rss = bench::rss_kib(agents.front().holder_pid);
    s.holder_pss = bench::pss_kib(agents.front().holder_pid);
  }
  for (const auto& a : agents)
    s.holders_pss += bench::pss_kib(a.holder_pid);
  return s;
}

std::string mib(int64_t kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(kib) / 1024);
  return buf;
}

// CPU seconds and wake-ups of the daemon and of all holders together.
struct Usage {
  double daemon_cpu = 0;
  int64_t daemon_wakeups = 0;
  double holders_cpu = 0;
  int64_t holders_wakeups = 0;
};

Usage usage(const bench::BenchDaemon& daemon, const std::vector<bench::AgentFleet::Agent>& agents) {
  Usage u;
  u.daemon_cpu = bench::cpu_seconds(daemon.pid());
  u.daemon_wakeups = bench::wakeups(daemon.pid());
  for (const auto& a : agents) {
    u.holders_cpu += bench::cpu_seconds(a.holder_pid);
    u.holders_wakeups += bench::wakeups(a.holder_pid);
  }
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  int max_agents = argc > 1 ? std::atoi(argv[1]) : 200;
  int quiet_s = argc > 2 ? std::atoi(argv[2]) : 60;
  std::vector<int> steps = {0, 1, 50, 200};
  std::erase_if(steps, [&](int n) { return n > max_agents; });
  if (steps.back() != max_agents) steps.push_back(max_agents);
  bench::BenchDaemon daemon;
  bench::RestClient rest(daemon);
  int failures = 0;
  {
    bench::AgentFleet fleet(daemon, rest);
    try {
      rest.request(bench::http::verb::get, "/api/v1/status");  // the daemon has served once
      std::printf("terminal footprint: idle agents running `sleep 100000` (memory in MiB)\n");
      std::printf("%7s %10s %10s %10s %10s %12s %12s %10s\n", "agents", "daemon RSS", "daemon PSS",
                  "holder RSS", "holder PSS", "holders PSS", "PSS/holder", "spawn ms");
      std::vector<bench::AgentFleet::Agent> agents;
      for (int target : steps) {
        int64_t t0 = now_ns();
        int spawned = 0;
        while (static_cast<int>(agents.size()) < target) {
          agents.push_back(
              fleet.spawn("idle-" + std::to_string(agents.size()), {"sleep", "100000"}));
          ++spawned;
        }
        double spawn_ms = spawned > 0 ? static_cast<double>(now_ns() - t0) / 1e6 / spawned : 0;
        std::this_thread::sleep_for(std::chrono::seconds(1));  // let start-up work settle
        Sample s = measure(daemon, agents);
        s.spawn_ms = spawn_ms;
        double per_holder = s.agents > 0 ? static_cast<double>(s.holders_pss) / s.agents : 0;
        std::printf("%7d %10s %10s %10s %10s %12s %12s %10.1f\n", s.agents,
                    mib(s.daemon_rss).c_str(), mib(s.daemon_pss).c_str(), mib(s.holder_rss).c_str(),
                    mib(s.holder_pss).c_str(), mib(s.holders_pss).c_str(),
                    mib(static_cast<int64_t>(per_holder)).c_str(), s.spawn_ms);
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(std::chrono::seconds(2));
      Usage before = usage(daemon, agents);
      std::this_thread::sleep_for(std::chrono::seconds(quiet_s));
      Usage after = usage(daemon, agents);
      std::printf(
          "%d idle agents for %d s: daemon CPU %.2f s (%lld wake-ups); all holders CPU "
          "%.2f s (%lld wake-ups)\n",
          static_cast<int>(agents.size()), quiet_s, after.daemon_cpu - before.daemon_cpu,
          static_cast<long long>(after.daemon_wakeups - before.daemon_wakeups),
          after.holders_cpu - before.holders_cpu,
          static_cast<long long>(after.holders_wakeups - before.holders_wakeups));
    } catch (const BenchError& e) {
      std::fprintf(stderr, "terminal_footprint_bench: %s\n", e.what());
      ++failures;
    }
    failures += fleet.clean_up();
  }
  return failures == 0 ? 0 : 1;
}
