// Sandbox cost: spawn time and memory per agent without a sandbox, in bubblewrap with the
// network on, and in bubblewrap with the network off (its relay process inside), in one run.
// Each agent is a worktree of the same repository running `sh -c 'echo …; exec sleep …'`;
// spawn time is from the POST to the program's first output seen on the terminal socket.
// Memory is the PSS of the agent's whole process tree (holder, bwrap, relay, program).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::Json;
using bench::now_ns;

namespace {

struct Config {
  const char* label;
  Json sandbox;
};

struct Spawned {
  bench::AgentFleet::Agent agent;
  double post_ms = 0;   // POST /api/v1/agents answered
  double ready_ms = 0;  // the program's first output on the terminal socket
};

// The PSS of `root` and every process below it, in KiB; `count` gets how many there are.
int64_t tree_pss_kib(pid_t root, const std::vector<bench::ProcessInfo>& all, int& count) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& p : all)
    children[p.ppid].push_back(p.pid);
  int64_t sum = 0;
  std::vector<pid_t> stack{root};
  count = 0;
  while (!stack.empty()) {
    pid_t pid = stack.back();
    stack.pop_back();
    int64_t pss = bench::pss_kib(pid);
    if (pss > 0) sum += pss;
    ++count;
    for (pid_t child : children[pid])
      stack.push_back(child);
  }
  return sum;
}

Spawned spawn_one(const bench::BenchDaemon& daemon, bench::AgentFleet& fleet,
                  const std::string& name, const Json& sandbox) {
  Spawned s;
  int64_t t0 = now_ns();
  s.agent = fleet.spawn(name, {"sh", "-c", "echo sandbox-ready; exec sleep 100000"}, 120, 40,
                        Json{{"project", "app"}, {"worktree", true}, {"sandbox", sandbox}});
  s.post_ms = static_cast<double>(now_ns() - t0) / 1e6;
  bench::TerminalViewer viewer(daemon, s.agent.id, 0);
  std::string seen;
  while (seen.find("sandbox-ready") == std::string::npos) {
    auto frame = viewer.read(std::chrono::seconds(30));
    if (frame.binary) seen.append(frame.data);
  }
  s.ready_ms = static_cast<double>(now_ns() - t0) / 1e6;
  return s;
}

void git(const std::string& dir, const std::string& args) {
  std::string cmd = "git -C '" + dir + "' " + args + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw BenchError("git " + args + " failed");
}

}  // namespace

int main(int argc, char** argv) {
  int per_config = argc > 1 ? std::atoi(argv[1]) : 10;
  if (std::system("bwrap --unshare-user --ro-bind / / true >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "sandbox_bench: bwrap cannot make namespaces here (install bubblewrap)\n");
    return 1;
  }
  bench::BenchDaemon daemon;
  bench::RestClient rest(daemon);
  const std::string repo = daemon.dir() + "/app";
  std::filesystem::create_directories(repo);
  int failures = 0;
  try {
    git(repo, "init -q -b main");
    git(repo,
        "-c user.name=bench -c user.email=bench@bosun.invalid commit -q --allow-empty -m init");
    auto [status, body] =
        rest.request(bench::http::verb::post, "/api/v1/projects", Json{{"path", repo}});
    if (status != 201) throw BenchError("add the project: HTTP " + std::to_string(status));
  } catch (const BenchError& e) {
    std::fprintf(stderr, "sandbox_bench: %s\n", e.what());
    return 1;
  }
  const Config configs[] = {
      {"none", "none"},
      {"bwrap, network on", Json{{"kind", "bwrap"}, {"network", "on"}}},
      {"bwrap, network off", Json{{"kind", "bwrap"}, {"network", "off"}}},
  };
  std::printf("sandbox cost: %d agents per row, each in its own worktree running `sleep`\n",
              per_config);
  std::printf("%-20s %9s %9s %9s %9s %11s %11s %9s %9s\n", "sandbox", "POST p50", "ready p50",
              "ready p99", "ready max", "PSS/agent", "procs/agent", "ready x", "PSS x");
  double base_ready = 0;
  double base_pss = 0;
  int round = 0;
  for (const auto& config : configs) {
    bench::AgentFleet fleet(daemon, rest);
    try {
      std::vector<Spawned> spawned;
      for (int i = 0; i < per_config; ++i) {
        spawned.push_back(spawn_one(
            daemon, fleet, "a" + std::to_string(round) + "-" + std::to_string(i), config.sandbox));
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));  // let start-up work settle
      auto all = bench::scan_processes();
      int64_t pss = 0;
      int procs = 0;
      for (const auto& s : spawned) {
        int count = 0;
        pss += tree_pss_kib(s.agent.holder_pid, all, count);
        procs += count;
      }
      std::vector<double> post;
      std::vector<double> ready;
      for (const auto& s : spawned) {
        post.push_back(s.post_ms);
        ready.push_back(s.ready_ms);
      }
      double pss_mib = static_cast<double>(pss) / 1024 / per_config;
      double ready_p50 = bench::percentile(ready, 0.5);
      if (round == 0) {
        base_ready = ready_p50;
        base_pss = pss_mib;
      }
      std::printf("%-20s %9.1f %9.1f %9.1f %9.1f %11.2f %11.1f %9.2f %9.2f\n", config.label,
                  bench::percentile(post, 0.5), ready_p50, bench::percentile(ready, 0.99),
                  *std::max_element(ready.begin(), ready.end()), pss_mib,
                  static_cast<double>(procs) / per_config,
                  base_ready > 0 ? ready_p50 / base_ready : 0,
                  base_pss > 0 ? pss_mib / base_pss : 0);
      std::fflush(stdout);
    } catch (const BenchError& e) {
      std::fprintf(stderr, "sandbox_bench (%s): %s\n", config.label, e.what());
      ++failures;
    }
    failures += fleet.clean_up();
    ++round;
  }
  std::printf(
      "(times in ms from the POST; PSS in MiB of the agent's process tree; x: the ratio "
      "to no sandbox in this run)\n");
  return failures == 0 ? 0 : 1;
}
