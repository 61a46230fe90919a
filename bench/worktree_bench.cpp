// Worktrees through a real daemon, each figure against plain git on the same repository in the
// same run:
// 1. Spawning an agent with its own worktree vs without one, against `git worktree add`.
// 2. Merging an agent's branch (fast-forward, then merge commits) against the bare
//    `git merge-tree --write-tree` that computes the same merge.
// 3. Listing N worktrees with their state and size against `git status` in each.
// 4. The loop stays responsive while merges run: /healthz latency during merges vs idle.
// Usage: worktree_bench [AGENTS] [FILES]   (default 20 agents, a repository of 2000 files)
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "support/agent_api.h"
#include "support/bench_daemon.h"
#include "util/process.h"

namespace bench = bosun::bench;
using bench::BenchDaemon;
using bench::BenchError;
using bench::Json;
using bench::now_ns;
using bench::percentile;
using bench::RestClient;
namespace http = boost::beast::http;
namespace fs = std::filesystem;

namespace {

double ms_since(int64_t start) {
  return static_cast<double>(now_ns() - start) / 1e6;
}

void git(const fs::path& dir, std::vector<std::string> args) {
  bosun::ProcessSpec spec;
  spec.argv = {"git", "-C", dir.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto r = bosun::run_process_blocking(spec);
  if (!r.ok()) throw BenchError("git " + args.front() + ": " + r.err);
}

double timed_git(const fs::path& dir, std::vector<std::string> args) {
  int64_t t = now_ns();
  git(dir, std::move(args));
  return ms_since(t);
}

void write(const fs::path& f, const std::string& text) {
  fs::create_directories(f.parent_path());
  std::ofstream(f) << text;
}

struct Summary {
  double p50, p99, mean;
  size_t n = 0;
};

Summary summarize(std::vector<double> v) {
  double sum = 0;
  for (double x : v)
    sum += x;
  double mean = v.empty() ? 0 : sum / static_cast<double>(v.size());
  return {percentile(v, 0.5), percentile(v, 0.99), mean, v.size()};
}

void print(const char* what, const Summary& s) {
  std::printf("  %-44s p50 %8.2f ms  p99 %8.2f ms  mean %8.2f ms\n", what, s.p50, s.p99, s.mean);
}

}  // namespace

// GET /healthz latencies from a second client while `work` runs.
Summary probe_while(BenchDaemon& daemon, const std::function<void()>& work) {
  std::vector<double> latencies;
  std::atomic<bool> running{true};
  RestClient prober(daemon);
  std::thread probe([&] {
    while (running) {
      int64_t t = now_ns();
      prober.request(http::verb::get, "/healthz");
      latencies.push_back(ms_since(t));
    }
  });
  work();
  running = false;
  probe.join();
  return summarize(latencies);
}

int main(int argc, char** argv) {
  int agents = argc > 1 ? std::atoi(argv[1]) : 20;
  int files = argc > 2 ? std::atoi(argv[2]) : 2000;
  BenchDaemon daemon;
  RestClient rest(daemon);
  fs::path repo = fs::path(daemon.dir()) / "repo";
  std::vector<std::string> spawned;
  int exit_code = 0;
  try {
    fs::create_directories(repo);
    git(repo, {"init", "-q", "-b", "main"});
    git(repo, {"config", "user.name", "bench"});
    git(repo, {"config", "user.email", "bench@bosun.invalid"});
    for (int i = 0; i < files; ++i) {
      write(repo / ("d" + std::to_string(i % 40)) / ("f" + std::to_string(i) + ".txt"),
            std::string(1024, static_cast<char>('a' + i % 26)) + "\n");
    }
    git(repo, {"add", "-A"});
    git(repo, {"commit", "-q", "-m", "init"});
    auto [pst, project] =
        rest.request(http::verb::post, "/api/v1/projects", Json{{"path", repo.string()}});
    if (pst != 201) throw BenchError("project: " + project.dump());
    std::printf("repository: %d files in 40 folders; %d agents\n", files, agents);

    // 1. Spawning.
    std::vector<double> raw_add, plain, with_wt;
    for (int i = 0; i < agents; ++i) {
      raw_add.push_back(timed_git(
          repo, {"worktree", "add", "-q", "-b", "raw/" + std::to_string(i),
                 (fs::path(daemon.dir()) / ("raw" + std::to_string(i))).string(), "main"}));
      std::string name = "p" + std::to_string(i);
      int64_t t = now_ns();
      auto [s1, a1] = rest.request(http::verb::post, "/api/v1/agents",
                                   Json{{"name", name}, {"argv", {"sleep", "3600"}}});
      plain.push_back(ms_since(t));
      if (s1 != 201) throw BenchError("spawn: " + a1.dump());
      spawned.push_back(name);
      name = "w" + std::to_string(i);
      t = now_ns();
      auto [s2, a2] = rest.request(http::verb::post, "/api/v1/agents",
                                   Json{{"name", name},
                                        {"project", project["id"]},
                                        {"worktree", true},
                                        {"argv", {"sleep", "3600"}}});
      with_wt.push_back(ms_since(t));
      if (s2 != 201) throw BenchError("spawn with worktree: " + a2.dump());
      spawned.push_back(name);
    }
    std::printf("\n1. spawn\n");
    auto g = summarize(raw_add), p = summarize(plain), w = summarize(with_wt);
    print("git worktree add (baseline)", g);
    print("spawn, no worktree", p);
    print("spawn with its own worktree", w);
    std::printf("  worktree cost in a spawn / git worktree add: %.2f (p50)\n",
                (w.p50 - p.p50) / g.p50);

    // 2. Merges: every agent commits one file of its own; the first merge fast-forwards, the
    // others need merge commits (main has moved). The baseline computes the same merge.
    for (int i = 0; i < agents; ++i) {
      fs::path wt =
          fs::path(daemon.dir()) / "state" / "worktrees" / "repo" / ("w" + std::to_string(i));
      write(wt / ("agent" + std::to_string(i) + ".txt"), "work\n");
      git(wt, {"add", "-A"});
      git(wt, {"commit", "-q", "-m", "work " + std::to_string(i)});
    }
    std::vector<double> raw_merge, ff, merges, healthz_busy, healthz_idle;
    for (int i = 0; i < 200; ++i) {
      int64_t t = now_ns();
      rest.request(http::verb::get, "/healthz");
      healthz_idle.push_back(ms_since(t));
    }
    std::atomic<bool> merging{true};
    RestClient prober(daemon);
    std::thread probe([&] {
      while (merging) {
        int64_t t = now_ns();
        prober.request(http::verb::get, "/healthz");
        healthz_busy.push_back(ms_since(t));
      }
    });
    for (int i = 0; i < agents; ++i) {
      std::string branch = "bosun/w" + std::to_string(i);
      raw_merge.push_back(timed_git(repo, {"merge-tree", "--write-tree", "main", branch}));
      int64_t t = now_ns();
      auto [st, r] = rest.request(
          http::verb::post, "/api/v1/agents/w" + std::to_string(i) + "/merge", Json::object());
      double took = ms_since(t);
      if (st != 200) throw BenchError("merge: " + r.dump());
      (r["result"] == "fast_forward" ? ff : merges).push_back(took);
    }
    merging = false;
    probe.join();
    std::printf("\n2. merge (main checked out: git fast-forwards the checkout)\n");
    auto m = summarize(raw_merge), mm = summarize(merges);
    print("git merge-tree --write-tree (baseline)", m);
    if (!ff.empty()) print("merge via bosun, fast-forward", summarize(ff));
    print("merge via bosun, merge commit", mm);
    std::printf("  merge via bosun / merge-tree: %.2f (p50)\n", mm.p50 / m.p50);
    auto hi = summarize(healthz_idle), hb = summarize(healthz_busy);
    std::printf("\n4. the loop while merges run (%zu requests)\n", healthz_busy.size());
    print("GET /healthz, idle", hi);
    print("GET /healthz, during merges", hb);

    // 3. Listing.
    std::vector<double> raw_status, listing;
    for (int round = 0; round < 5; ++round) {
      int64_t t = now_ns();
      for (int i = 0; i < agents; ++i) {
        git(fs::path(daemon.dir()) / "state" / "worktrees" / "repo" / ("w" + std::to_string(i)),
            {"status", "--porcelain"});
      }
      raw_status.push_back(ms_since(t));
      t = now_ns();
      auto [st, list] = rest.request(http::verb::get, "/api/v1/worktrees");
      listing.push_back(ms_since(t));
      if (st != 200 || list["worktrees"].size() != static_cast<size_t>(agents)) {
        throw BenchError("list: " + list.dump().substr(0, 200));
      }
    }
    std::printf("\n3. list %d worktrees with state and size\n", agents);
    auto rs = summarize(raw_status), ls = summarize(listing);
    print("git status in each (baseline)", rs);
    print("GET /api/v1/worktrees", ls);
    std::printf("  list / git status in each: %.2f (p50)\n", ls.p50 / rs.p50);

    // 5. The loop while git and file copies run for a project: base-branch changes (git checks
    // the name) and worktrees whose copy list is a large untracked folder.
    git(repo, {"branch", "dev", "main"});
    // Baseline: the same git processes run beside the daemon, not through it — what the two
    // cores' contention alone does to the loop's answers.
    auto beside = probe_while(daemon, [&] {
      for (int i = 0; i < 200; ++i)
        git(repo, {"check-ref-format", "--branch", i % 2 ? "main" : "dev"});
    });
    std::vector<double> updates, unchanged;
    auto during_updates = probe_while(daemon, [&] {
      for (int i = 0; i < 200; ++i) {
        int64_t t = now_ns();
        auto [st, r] =
            rest.request(http::verb::patch, "/api/v1/projects/" + project["id"].get<std::string>(),
                         Json{{"base_branch", i % 2 ? "main" : "dev"}});
        updates.push_back(ms_since(t));
        if (st != 200) throw BenchError("project update: " + r.dump());
      }
    });
    // The loop's share of an update: one that changes nothing runs no git and writes nothing.
    for (int i = 0; i < 200; ++i) {
      int64_t t = now_ns();
      auto [st, r] =
          rest.request(http::verb::patch, "/api/v1/projects/" + project["id"].get<std::string>(),
                       Json{{"tech_stack", "Python 3"}});
      unchanged.push_back(ms_since(t));
      if (st != 200) throw BenchError("project update: " + r.dump());
    }
    for (int i = 0; i < files; ++i) {
      write(repo / "big" / ("d" + std::to_string(i % 40)) / ("f" + std::to_string(i) + ".bin"),
            std::string(4096, static_cast<char>('a' + i % 26)));
    }
    {
      auto [st, r] =
          rest.request(http::verb::patch, "/api/v1/projects/" + project["id"].get<std::string>(),
                       Json{{"worktree_include", {"big"}}});
      if (st != 200) throw BenchError("project include: " + r.dump());
    }
    std::vector<double> setups;
    auto during_setups = probe_while(daemon, [&] {
      for (int i = 0; i < 3; ++i) {
        std::string name = "c" + std::to_string(i);
        int64_t t = now_ns();
        auto [st, a] = rest.request(http::verb::post, "/api/v1/agents",
                                    Json{{"name", name},
                                         {"project", project["id"]},
                                         {"worktree", true},
                                         {"argv", {"sleep", "3600"}}});
        setups.push_back(ms_since(t));
        if (st != 201) throw BenchError("spawn with a large copy list: " + a.dump());
        spawned.push_back(name);
      }
    });
    std::printf("\n5. the loop while git and copies run for a project\n");
    print("GET /healthz, idle", hi);
    print("GET /healthz, 200 git check-ref-format beside", beside);
    print("GET /healthz, during 200 base-branch updates", during_updates);
    print("PATCH base_branch (git check on the worker)", summarize(updates));
    print("PATCH that changes nothing (loop only)", summarize(unchanged));
    print("GET /healthz, during 3 worktrees copying big/", during_setups);
    print("spawn with a worktree copying big/", summarize(setups));
    std::printf("  requests: %zu during the updates, %zu during the setups\n", during_updates.n,
                during_setups.n);
    std::printf("  big/: %d files, %d MB\n", files, files * 4096 / (1 << 20));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "worktree_bench: %s\n", e.what());
    exit_code = 1;
  }
  for (const auto& name : spawned)
    rest.request(http::verb::delete_, "/api/v1/agents/" + name);
  return exit_code;
}
