// The board at size: for each size (default 1,000, 10,000 and 100,000 tasks) a fresh daemon
// imports a board in beads' format — 10 % ready, 60 % done, 30 % waiting on a ready task, each
// with a comment, half with a role — then times, one request at a time on one keep-alive
// connection: the ready list, a page of the task list, a page deep in it, show, create, and
// claim, and a task's dispatch by the supervisor to an idle agent of its role. Baseline:
// GET /healthz on the same connection in the same run.
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

#include "support/agent_api.h"

namespace bench = bosun::bench;
using bench::BenchError;
using bench::Json;
using bench::now_ns;
using bench::http::verb;

namespace {

// One task of the generated board; `i % 10`: 0 ready, 1–6 done, 7–9 waiting on task i - i % 10.
std::string issue_line(int i) {
  Json issue{{"id", "b-" + std::to_string(i)},
             {"title", "board task " + std::to_string(i)},
             {"description", "A task of a large board, generated for the benchmark."},
             {"priority", i % 5},
             {"created_at", "2026-01-01T00:00:00Z"},
             {"comments", Json::array({Json{{"author", "bench"},
                                            {"text", "a comment on " + std::to_string(i)},
                                            {"created_at", "2026-01-01T00:00:00Z"}}})}};
  int kind = i % 10;
  issue["status"] = kind >= 1 && kind <= 6 ? "closed" : "open";
  if (kind >= 7) {
    issue["dependencies"] =
        Json::array({Json{{"depends_on_id", "b-" + std::to_string(i - kind)}, {"type", "blocks"}}});
  }
  if (i % 2 == 0) issue["labels"] = Json::array({"role:nobody"});
  return issue.dump();
}

struct Timed {
  std::vector<double> ms;
  std::string p50_p99() {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f / %.2f", bench::percentile(ms, 0.5),
                  bench::percentile(ms, 0.99));
    return buf;
  }
};

// Times `n` requests made by `make(i)` → {verb, target, body}; each must answer `want`.
template <class Make>
Timed time_requests(bench::RestClient& rest, int n, int want, Make make) {
  Timed t;
  for (int i = 0; i < n; ++i) {
    auto [method, target, body] = make(i);
    int64_t t0 = now_ns();
    auto [status, reply] = rest.request(method, target, body);
    t.ms.push_back(static_cast<double>(now_ns() - t0) / 1e6);
    if (status != want) {
      throw BenchError(std::string(to_string(method)) + " " + target + ": HTTP " +
                       std::to_string(status) + " " + reply.dump().substr(0, 300));
    }
  }
  return t;
}

using Request = std::tuple<verb, std::string, Json>;

// Waits (bounded) until the agent's state is idle.
void wait_idle(bench::RestClient& rest, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto [status, agent] = rest.request(verb::get, "/api/v1/agents/" + id, nullptr);
    if (status == 200 && agent["state"] == "idle") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw BenchError("agent " + id + " never became idle");
}

void measure(int size, int samples) {
  bench::BenchDaemon daemon;
  bench::RestClient rest(daemon);
  bench::AgentFleet fleet(daemon, rest);
  std::ostringstream board;
  for (int i = 0; i < size; ++i)
    board << issue_line(i) << '\n';
  // The import route takes the JSONL body as it is: send it as a JSON string would not do.
  int64_t t0 = now_ns();
  auto imported =
      rest.request_raw(verb::post, "/api/v1/tasks/import", board.str(), "application/x-ndjson");
  double import_s = static_cast<double>(now_ns() - t0) / 1e9;
  if (imported.first != 200 && imported.first != 201) {
    throw BenchError("import: HTTP " + std::to_string(imported.first) + " " +
                     imported.second.dump().substr(0, 300));
  }
  const Json& created = imported.second["created"];
  if (!created.is_array() || static_cast<int>(created.size()) != size) {
    throw BenchError("import: " + std::to_string(created.size()) + " of " + std::to_string(size) +
                     " tasks created");
  }
  auto worker = fleet.spawn("worker", {"sleep", "100000"});
  // A crew member the supervisor dispatches to: a shell of role "worker", never typed into.
  auto shell = fleet.spawn("shell", {"bash", "--norc", "--noprofile", "-i"}, 120, 40,
                           Json{{"role", "worker"}});
  std::mt19937 rng(42);
  auto any_task = [&] { return "b-" + std::to_string(rng() % static_cast<unsigned>(size)); };
  auto healthz = time_requests(rest, samples, 200, [](int) {
    return Request{verb::get, "/healthz", nullptr};
  });
  auto ready = time_requests(rest, samples, 200, [](int) {
    return Request{verb::get, "/api/v1/tasks/ready?limit=20", nullptr};
  });
  auto first_page = time_requests(rest, samples, 200, [](int) {
    return Request{verb::get, "/api/v1/tasks?limit=50", nullptr};
  });
  auto deep_page = time_requests(rest, samples, 200, [&](int) {
    return Request{verb::get, "/api/v1/tasks?limit=50&after=" + any_task(), nullptr};
  });
  auto show = time_requests(rest, samples, 200, [&](int) {
    return Request{verb::get, "/api/v1/tasks/" + any_task(), nullptr};
  });
  auto create = time_requests(rest, samples, 201, [](int i) {
    return Request{verb::post, "/api/v1/tasks",
                   Json{{"title", "new task " + std::to_string(i)}, {"role", "nobody"}}};
  });
  // Claims of ready tasks (i % 10 == 0), each handed back (a blocked report, not timed) so
  // that the one worker is free for the next.
  Timed claim;
  for (int i = 0; i < samples && i * 10 < size; ++i) {
    std::string id = "b-" + std::to_string(i * 10);
    int64_t c0 = now_ns();
    auto [status, reply] =
        rest.request(verb::post, "/api/v1/tasks/" + id + "/claim", Json{{"agent", worker.id}});
    claim.ms.push_back(static_cast<double>(now_ns() - c0) / 1e6);
    if (status != 200) throw BenchError("claim " + id + ": HTTP " + std::to_string(status));
    auto [rs, rr] = rest.request(verb::post, "/api/v1/tasks/" + id + "/reports",
                                 Json{{"status", "blocked"}, {"blocked_reason", "bench"}});
    if (rs != 200 && rs != 201) {
      throw BenchError("report " + id + ": HTTP " + std::to_string(rs) + " " + rr.dump());
    }
  }
  // The supervisor's dispatch: a task for the idle shell of role "worker" from its create to
  // its assignment (dispatch runs on the create's event; the first read after the create's
  // answer sees it), each handed back with a blocked report (not timed) to free the shell.
  wait_idle(rest, shell.id);
  Timed dispatch;
  for (int i = 0; i < samples / 3; ++i) {
    int64_t d0 = now_ns();
    auto [status, reply] = rest.request(verb::post, "/api/v1/tasks",
                                        Json{{"title", "for the worker"}, {"role", "worker"}});
    if (status != 201) throw BenchError("create for the worker: HTTP " + std::to_string(status));
    std::string id = reply["id"].get<std::string>();
    for (int polls = 0;; ++polls) {
      auto [ts, task] = rest.request(verb::get, "/api/v1/tasks/" + id, nullptr);
      if (ts == 200 && task["status"] == "assigned") break;
      if (polls == 10000) throw BenchError(id + " was never dispatched: " + task.dump());
    }
    dispatch.ms.push_back(static_cast<double>(now_ns() - d0) / 1e6);
    auto [rs, rr] = rest.request(verb::post, "/api/v1/tasks/" + id + "/reports",
                                 Json{{"status", "blocked"}, {"blocked_reason", "bench"}});
    if (rs != 200 && rs != 201) {
      throw BenchError("report " + id + ": HTTP " + std::to_string(rs) + " " + rr.dump());
    }
  }
  double base = bench::percentile(healthz.ms, 0.99);
  std::printf("%8d %7.1f %14s %14s %14s %14s %14s %14s %14s %14s %8.1f\n", size, import_s,
              healthz.p50_p99().c_str(), ready.p50_p99().c_str(), first_page.p50_p99().c_str(),
              deep_page.p50_p99().c_str(), show.p50_p99().c_str(), create.p50_p99().c_str(),
              claim.p50_p99().c_str(), dispatch.p50_p99().c_str(),
              base > 0 ? bench::percentile(ready.ms, 0.99) / base : 0);
  std::fflush(stdout);
  if (fleet.clean_up() != 0) throw BenchError("processes were left behind");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  int samples = 300;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--samples=", 0) == 0) {
      samples = std::atoi(argv[i] + 10);
    } else {
      sizes.push_back(std::atoi(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {1000, 10000, 100000};
  std::printf("the board at size: %d requests of each kind, one at a time (ms p50 / p99)\n",
              samples);
  std::printf("%8s %7s %14s %14s %14s %14s %14s %14s %14s %14s %8s\n", "tasks", "import",
              "/healthz", "ready", "list page 1", "list deep", "show", "create", "claim",
              "dispatch", "ready x");
  try {
    for (int size : sizes)
      measure(size, samples);
  } catch (const BenchError& e) {
    std::fprintf(stderr, "board_scale_bench: %s\n", e.what());
    return 1;
  }
  std::printf(
      "(import in s; dispatch: a task's create to its assignment by the supervisor; ready x: the "
      "ready list's p99 over /healthz's p99 in the same run)\n");
  return 0;
}
