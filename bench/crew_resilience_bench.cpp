// Crew resilience: does a crew finish the work when some of its agents misbehave the ways real
// agents do? N tasks for M sim agents in their own worktrees of a real git repository, in `auto`
// mode (a passed check merges), with short supervisor deadlines. The same run without faults is
// the baseline. Printed per run: tasks done and verified / total, tasks done twice (two passed
// reports: must be 0), tasks lost (neither done nor blocked at the end: must be 0), the makespan
// and its ratio to the fault-free run, and per fault kind the time from the first recovery step
// on a task to that task being in progress again with an agent that finishes it.
//
//   crew_resilience_bench [--tasks 12] [--agents 6] [--script crash,hang] [--work-ms 100]
//                         [--deadline-ms 1000] [--limit-s 240]
// `--script` lists the misbehaviour of the first agents (crash, hang, loop, no-proof, ignore);
// the rest behave. Crashing agents are permanent, as a crew's would be.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/agent_api.h"
#include "util/clock.h"
#include "util/process.h"

namespace bench = bosun::bench;
using bench::BenchDaemon;
using bench::Json;
using bench::RestClient;
namespace http = boost::beast::http;

namespace {

struct Options {
  int tasks = 12;
  int agents = 6;
  std::vector<std::string> script = {"crash", "hang"};
  int work_ms = 100;
  int deadline_ms = 1000;
  int limit_s = 240;
};

struct Outcome {
  int done = 0;            // done with a passed check (auto mode: merged)
  int blocked = 0;         // exhausted its ladder: a person decides
  int done_twice = 0;      // more than one passed report
  int lost = 0;            // neither done nor blocked when the run ended
  double makespan_s = 0;   // from the first task created to the last one settled
  bool timed_out = false;  // the limit came first
  // Per fault kind: seconds from the first recovery step on a task to its last in_progress.
  std::map<std::string, std::vector<double>> recovery_s;
  int recovery_steps = 0;
};

void git(const std::string& repo, const std::vector<std::string>& args) {
  bosun::ProcessSpec spec;
  spec.argv = {"git", "-C", repo};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"GIT_AUTHOR_NAME", "bench"},
              {"GIT_AUTHOR_EMAIL", "bench@bosun.invalid"},
              {"GIT_COMMITTER_NAME", "bench"},
              {"GIT_COMMITTER_EMAIL", "bench@bosun.invalid"}};
  auto r = bosun::run_process_blocking(spec);
  if (!r.ok()) throw bench::BenchError("git " + args.front() + ": " + r.summary() + " " + r.err);
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

int64_t ms_of(const std::string& iso) {
  // "2026-12-05T08:01:02.345Z" → ms since midnight is enough for differences within a run.
  int h = 0, m = 0, s = 0, ms = 0;
  if (std::sscanf(iso.c_str() + 11, "%d:%d:%d.%d", &h, &m, &s, &ms) != 4) return 0;
  return ((h * 60 + m) * 60 + s) * 1000LL + ms;
}

Json must(std::pair<int, Json> reply, int want, const std::string& what) {
  if (reply.first != want) {
    throw bench::BenchError(fmt::format("{}: {} {}", what, reply.first, reply.second.dump()));
  }
  return reply.second;
}

Outcome run(const Options& o, bool faults) {
  BenchDaemon daemon({}, /*stderr_to_file=*/true);
  RestClient api(daemon);
  std::string repo = daemon.dir() + "/repo";
  std::filesystem::create_directories(repo);
  git(repo, {"init", "-q", "-b", "main"});
  write_file(repo + "/README.md", "bench\n");
  write_file(repo + "/.bosun/roles/backend.md",
             "---\nname: backend\ndescription: server code\n---\nYou write the server.\n");
  git(repo, {"add", "-A"});
  git(repo, {"commit", "-q", "-m", "init"});
  Json project = must(api.request(http::verb::post, "/api/v1/projects",
                                  Json{{"path", repo}, {"execution_mode", "auto"}}),
                      201, "project");
  std::string step = fmt::format("{}ms", o.deadline_ms);
  must(api.request(http::verb::put, "/api/v1/supervisor",
                   Json{{"stuck_after", step},
                        {"recover_step", step},
                        {"restart_backoff", "200ms"},
                        {"restart_limit", 2},
                        {"restart_window", "1m"},
                        {"delivery_timeout", "1s"}}),
       200, "supervisor");
  for (int i = 0; i < o.agents; ++i) {
    std::string how = faults && i < static_cast<int>(o.script.size()) ? o.script[i] : "";
    Json argv = Json::array({BOSUN_BINARY, "sim-agent", "--work-ms", std::to_string(o.work_ms)});
    if (!how.empty()) {
      argv.push_back("--misbehave");
      argv.push_back(how);
    }
    must(api.request(http::verb::post, "/api/v1/agents",
                     Json{{"name", fmt::format("{}{}", how.empty() ? "ok" : how, i)},
                          {"role", "backend"},
                          {"profile", "sim"},
                          {"project", project["id"]},
                          {"worktree", true},
                          {"permanent", how == "crash"},
                          {"argv", argv}}),
         201, "agent");
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.tasks; ++i) {
    must(api.request(http::verb::post, "/api/v1/tasks",
                     Json{{"title", fmt::format("Task {}", i)},
                          {"role", "backend"},
                          {"description", fmt::format("write src/t{}.txt: t{}", i, i)}}),
         201, "task");
  }
  Outcome out;
  Json tasks;
  auto deadline = start + std::chrono::seconds(o.limit_s);
  for (;;) {
    tasks = must(api.request(http::verb::get, "/api/v1/tasks?limit=1000"), 200, "tasks")["tasks"];
    int settled = 0;
    for (const auto& t : tasks)
      settled += t["status"] == "done" || t["status"] == "blocked";
    if (settled == o.tasks) break;
    if (std::chrono::steady_clock::now() > deadline) {
      out.timed_out = true;
      break;
    }
    // Polled: the bench reads the board, it does not wait on the daemon's loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  out.makespan_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::map<std::string, std::string> kind_of;  // agent name → its misbehaviour
  for (int i = 0; i < o.agents; ++i) {
    if (faults && i < static_cast<int>(o.script.size())) {
      kind_of[fmt::format("{}{}", o.script[i], i)] = o.script[i];
    }
  }
  for (const auto& t : tasks) {
    std::string id = t["id"];
    bool unsettled = t["status"] != "done" && t["status"] != "blocked";
    if (t["status"] == "done") {
      ++out.done;
    } else if (t["status"] == "blocked") {
      ++out.blocked;
    } else {
      ++out.lost;
    }
    Json reports =
        must(api.request(http::verb::get, "/api/v1/tasks/" + id + "/reports"), 200, "reports");
    int passed = 0;
    for (const auto& r : reports["reports"])
      passed += r["verified"] == "passed";
    if (passed > 1) ++out.done_twice;
    Json history =
        must(api.request(http::verb::get, "/api/v1/tasks/" + id + "/history"), 200, "history");
    int64_t first_step = -1;
    int64_t last_progress = -1;
    std::string kind;
    if (unsettled) {
      std::printf("  unsettled %s: %s, held by %s; its last history:\n", id.c_str(),
                  t["status"].get<std::string>().c_str(), t["assignee_name"].dump().c_str());
      const Json& rows = history["history"];
      for (size_t i = rows.size() > 6 ? rows.size() - 6 : 0; i < rows.size(); ++i) {
        std::printf("    %s %s: %s → %s (%s)\n", rows[i]["at"].get<std::string>().c_str(),
                    rows[i]["field"].get<std::string>().c_str(), rows[i]["from"].dump().c_str(),
                    rows[i]["to"].dump().c_str(), rows[i]["reason"].get<std::string>().c_str());
      }
    }
    for (const auto& h : history["history"]) {
      if (h["field"] == "recovery") {
        if (!faults) {
          std::printf("  fault-free recovery on %s: %s %s (%s)\n", id.c_str(),
                      h["to"].dump().c_str(), h["from"].dump().c_str(),
                      h["reason"].get<std::string>().c_str());
        }
        ++out.recovery_steps;
        if (first_step < 0) {
          first_step = ms_of(h["at"]);
          auto k = kind_of.find(h["from"].is_string() ? h["from"].get<std::string>() : "");
          kind = k != kind_of.end() ? k->second : "other";
        }
      }
      if (h["field"] == "status" && h["to"] == "in_progress") last_progress = ms_of(h["at"]);
    }
    if (first_step >= 0 && last_progress >= first_step && t["status"] == "done") {
      out.recovery_s[kind].push_back(static_cast<double>(last_progress - first_step) / 1000.0);
    }
  }
  // Nothing is left running: every agent is deleted before the daemon stops.
  Json agents = must(api.request(http::verb::get, "/api/v1/agents"), 200, "agents");
  for (const auto& a : agents["agents"]) {
    (void)api.request(http::verb::delete_, "/api/v1/agents/" + a["id"].get<std::string>());
  }
  for (int i = 0; i < 200; ++i) {
    if (must(api.request(http::verb::get, "/api/v1/agents"), 200, "agents")["agents"].empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // teardown, not measured
  }
  return out;
}

void print(const char* label, const Options& o, const Outcome& r, double baseline) {
  std::printf("%-10s done %2d/%d (%.0f %%)  blocked %d  done twice %d  lost %d  makespan %6.1f s",
              label, r.done, o.tasks, 100.0 * r.done / o.tasks, r.blocked, r.done_twice, r.lost,
              r.makespan_s);
  if (baseline > 0) std::printf("  (%.2f× fault-free)", r.makespan_s / baseline);
  if (r.timed_out) std::printf("  TIMED OUT");
  std::printf("\n");
  if (r.recovery_steps > 0) std::printf("           recovery steps taken: %d\n", r.recovery_steps);
  for (const auto& [kind, v] : r.recovery_s) {
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    std::printf("           %-8s fault → back in progress: median %.1f s, max %.1f s (%zu tasks)\n",
                kind.c_str(), s[s.size() / 2], s.back(), s.size());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--tasks")
      o.tasks = std::stoi(v);
    else if (k == "--agents")
      o.agents = std::stoi(v);
    else if (k == "--work-ms")
      o.work_ms = std::stoi(v);
    else if (k == "--deadline-ms")
      o.deadline_ms = std::stoi(v);
    else if (k == "--limit-s")
      o.limit_s = std::stoi(v);
    else if (k == "--script") {
      o.script.clear();
      std::stringstream in(v);
      for (std::string s; std::getline(in, s, ',');)
        if (!s.empty()) o.script.push_back(s);
    } else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::string script;
  for (const auto& s : o.script)
    script += (script.empty() ? "" : ",") + s;
  std::printf(
      "crew resilience: %d tasks, %d sim agents in worktrees, auto mode; faulty: %s; "
      "deadlines %d ms; work %d ms a step\n",
      o.tasks, o.agents, script.c_str(), o.deadline_ms, o.work_ms);
  try {
    Outcome base = run(o, false);
    print("fault-free", o, base, 0);
    Outcome faulty = run(o, true);
    print("faulty", o, faulty, base.makespan_s);
    std::printf("goal: 100 %% done, 0 twice, 0 lost; makespan ≤ 2 × fault-free + the deadlines\n");
    return faulty.done_twice == 0 && faulty.lost == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
}
