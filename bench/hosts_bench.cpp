// Hosts: a crew across daemons on one PostgreSQL store, against one daemon on SQLite and one on
// PostgreSQL, in the same run.
// 1. Claims: TASKS ready tasks claimed by CLAIMERS clients per daemon (each on its own
//    keep-alive connection, each claim for an agent of that daemon's host), every task once;
//    claims/s and claim latency p50/p99 for one daemon on SQLite, one on PostgreSQL, and three
//    daemons ("hosts") on one PostgreSQL database.
// 2. Fan-out across hosts: a task created and claimed through h1, and the moment its
//    task.updated (assigned) reaches a WebSocket client of h2; baseline: the same event on h1's
//    own stream.
// 3. The relay: an agent on h2, its screen read and keys typed through h1 (which relays them to
//    h2's daemon), against the same through h2 itself.
// Usage: hosts_bench [TASKS=2000] [CLAIMERS=4] [SAMPLES=200]
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "common/pg_server.h"
#include "store/database.h"
#include "support/agent_api.h"
#include "util/ids.h"

namespace bench = bosun::bench;
using bench::BenchDaemon;
using bench::BenchError;
using bench::Json;
using bench::now_ns;
using bench::percentile;
using bench::RestClient;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kTaskRole = "nobody";  // no agent has it: the supervisor leaves them be
constexpr const char* kAgentRole = "bench";

struct ClaimFigures {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int claimed = 0;
  int refused = 0;
};

// An agent that sits there: what a claim is made for.
std::string spawn_sleeper(RestClient& rest, const std::string& name) {
  auto [status, body] =
      rest.request(http::verb::post, "/api/v1/agents",
                   Json{{"name", name}, {"role", kAgentRole}, {"argv", {"sleep", "100000"}}});
  if (status != 201) throw BenchError("spawn " + name + ": " + body.dump());
  return name;
}

// `tasks` ready tasks, created through `daemons` in turn; their ids.
std::vector<std::string> create_tasks(std::vector<std::unique_ptr<BenchDaemon>>& daemons,
                                      int tasks) {
  std::vector<std::unique_ptr<RestClient>> rest;
  rest.reserve(daemons.size());
  for (auto& d : daemons)
    rest.push_back(std::make_unique<RestClient>(*d));
  std::vector<std::string> ids;
  for (int i = 0; i < tasks; ++i) {
    auto [status, body] = rest[static_cast<size_t>(i) % rest.size()]->request(
        http::verb::post, "/api/v1/tasks",
        Json{{"title", "bench " + std::to_string(i)}, {"role", kTaskRole}});
    if (status != 201) throw BenchError("create: " + body.dump());
    ids.push_back(body["id"].get<std::string>());
  }
  return ids;
}

// Every task claimed once: `claimers` clients per daemon take the next id from one counter.
ClaimFigures claim_all(std::vector<std::unique_ptr<BenchDaemon>>& daemons,
                       const std::vector<std::string>& ids, int claimers, const std::string& tag) {
  struct Claimer {
    BenchDaemon* daemon;
    std::string agent;
  };
  std::vector<Claimer> all;
  for (size_t h = 0; h < daemons.size(); ++h) {
    RestClient rest(*daemons[h]);
    for (int c = 0; c < claimers; ++c) {
      all.push_back(
          {daemons[h].get(), spawn_sleeper(rest, fmt::format("{}-h{}-c{}", tag, h + 1, c))});
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int> refused{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<bool> failed{false};
  std::string failure;
  int64_t started = now_ns();
  std::vector<std::thread> threads;
  threads.reserve(all.size());
  for (const auto& c : all) {
    threads.emplace_back([&, c] {
      try {
        RestClient rest(*c.daemon);
        std::vector<double> mine;
        for (size_t i = next++; i < ids.size(); i = next++) {
          int64_t t0 = now_ns();
          auto [status, body] = rest.request(http::verb::post, "/api/v1/tasks/" + ids[i] + "/claim",
                                             Json{{"agent", c.agent}});
          mine.push_back(static_cast<double>(now_ns() - t0) / 1e6);
          if (status != 200) ++refused;
        }
        std::lock_guard lock(mu);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        failed = true;
        failure = e.what();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  if (failed) throw BenchError(failure);
  double seconds = static_cast<double>(now_ns() - started) / 1e9;
  ClaimFigures f;
  f.claimed = static_cast<int>(ids.size()) - refused.load();
  f.refused = refused.load();
  f.per_second = static_cast<double>(f.claimed) / seconds;
  f.p50_ms = percentile(latencies, 0.50);
  f.p99_ms = percentile(latencies, 0.99);
  return f;
}

// A WebSocket client of a daemon's event stream on a thread of its own: when each (type,
// subject) first arrived.
class EventClock {
 public:
  explicit EventClock(const BenchDaemon& d) : ws_(io_) {
    tcp::resolver resolver(io_);
    asio::connect(ws_.next_layer(), resolver.resolve(d.host(), d.port()));
    ws_.set_option(
        websocket::stream_base::decorator([token = d.token()](websocket::request_type& r) {
          r.set(http::field::authorization, "Bearer " + token);
        }));
    ws_.handshake(d.address(), "/api/v1/events");
    reader_ = std::thread([this] { read(); });
  }
  ~EventClock() {
    beast::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    reader_.join();
  }
  // When `type` about `subject` arrived (ns), waiting up to 10 s; -1 if it never did.
  int64_t arrival(const std::string& type, const std::string& subject) {
    std::unique_lock lock(mu_);
    const std::string key = type + " " + subject;
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.contains(key); });
    auto it = seen_.find(key);
    return it == seen_.end() ? -1 : it->second;
  }

 private:
  void read() {
    for (;;) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      ws_.read(buffer, ec);
      if (ec) return;
      int64_t at = now_ns();
      Json ev = Json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (!ev.is_object() || !ev.contains("subject")) continue;
      std::string type = ev.value("type", "");
      if (type == "task.updated") {
        if (ev["data"]["task"].value("status", "") != "assigned") continue;
      }
      std::lock_guard lock(mu_);
      seen_.emplace(type + " " + ev.value("subject", ""), at);
      cv_.notify_all();
    }
  }

  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int64_t> seen_;
};

struct FanOut {
  double p50_ms = 0;
  double p99_ms = 0;
  int missed = 0;
};

// Tasks created and claimed through `origin`, each claim's event timed on `watcher`'s stream:
// from the create request to task.created, from the claim request to task.updated (assigned).
std::pair<FanOut, FanOut> fan_out(BenchDaemon& origin, const std::string& agent,
                                  EventClock& watcher, int samples) {
  RestClient rest(origin);
  std::vector<double> created;
  std::vector<double> claimed;
  int missed_created = 0;
  int missed_claimed = 0;
  for (int i = 0; i < samples; ++i) {
    int64_t t0 = now_ns();
    auto [status, body] = rest.request(http::verb::post, "/api/v1/tasks",
                                       Json{{"title", "fan-out"}, {"role", kTaskRole}});
    if (status != 201) throw BenchError("create: " + body.dump());
    std::string id = body["id"].get<std::string>();
    int64_t t1 = now_ns();
    auto [cs, cb] =
        rest.request(http::verb::post, "/api/v1/tasks/" + id + "/claim", Json{{"agent", agent}});
    if (cs != 200) throw BenchError("claim: " + cb.dump());
    int64_t at_created = watcher.arrival("task.created", id);
    int64_t at_claimed = watcher.arrival("task.updated", id);
    if (at_created < 0) {
      ++missed_created;
    } else {
      created.push_back(static_cast<double>(at_created - t0) / 1e6);
    }
    if (at_claimed < 0) {
      ++missed_claimed;
    } else {
      claimed.push_back(static_cast<double>(at_claimed - t1) / 1e6);
    }
  }
  return {FanOut{percentile(created, 0.5), percentile(created, 0.99), missed_created},
          FanOut{percentile(claimed, 0.5), percentile(claimed, 0.99), missed_claimed}};
}

// GET /api/v1/agents/{agent}/screen and POST …/input through `through`, `samples` times each:
// p50 and p99 of each, in ms.
std::pair<FanOut, FanOut> agent_calls(BenchDaemon& through, const std::string& agent, int samples) {
  RestClient rest(through);
  std::vector<double> screen;
  std::vector<double> input;
  for (int i = 0; i < samples; ++i) {
    int64_t t0 = now_ns();
    auto [ss, sb] = rest.request(http::verb::get, "/api/v1/agents/" + agent + "/screen");
    if (ss != 200) throw BenchError("screen: " + sb.dump());
    int64_t t1 = now_ns();
    auto [is, ib] =
        rest.request(http::verb::post, "/api/v1/agents/" + agent + "/input", Json{{"data", "x"}});
    if (is != 200) throw BenchError("input: " + ib.dump());
    int64_t t2 = now_ns();
    screen.push_back(static_cast<double>(t1 - t0) / 1e6);
    input.push_back(static_cast<double>(t2 - t1) / 1e6);
  }
  return {FanOut{percentile(screen, 0.5), percentile(screen, 0.99), 0},
          FanOut{percentile(input, 0.5), percentile(input, 0.99), 0}};
}

void print_claims(const char* what, const ClaimFigures& f, double baseline) {
  std::printf("  %-34s %8.0f claims/s  p50 %6.2f ms  p99 %6.2f ms  (%.2fx SQLite)%s\n", what,
              f.per_second, f.p50_ms, f.p99_ms, f.per_second / baseline,
              f.refused ? fmt::format("  {} refused!", f.refused).c_str() : "");
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = argc > 1 ? std::atoi(argv[1]) : 2000;
  int claimers = argc > 2 ? std::atoi(argv[2]) : 4;
  int samples = argc > 3 ? std::atoi(argv[3]) : 200;
  if (tasks < 1 || claimers < 1 || samples < 1) {
    std::fprintf(stderr, "usage: hosts_bench [TASKS] [CLAIMERS] [SAMPLES]\n");
    return 2;
  }
  if (!bosun::testing::PgServer::binaries()) {
    std::fprintf(stderr, "hosts_bench: PostgreSQL is not installed (scripts/deps)\n");
    return 1;
  }
  auto cluster_dir = std::filesystem::temp_directory_path() / bosun::new_id("bosun-pg-");
  auto pg = bosun::testing::PgServer::start(cluster_dir);
  if (!pg) {
    std::fprintf(stderr, "hosts_bench: %s\n", pg.error().message.c_str());
    return 1;
  }
  int code = 0;
  try {
    std::printf("hosts_bench: %d tasks, %d claimers per daemon, %d fan-out samples\n", tasks,
                claimers, samples);
    std::printf("1. claims, every task once:\n");
    ClaimFigures sqlite;
    {
      std::vector<std::unique_ptr<BenchDaemon>> one;
      one.push_back(std::make_unique<BenchDaemon>());
      auto ids = create_tasks(one, tasks);
      sqlite = claim_all(one, ids, claimers, "s");
    }
    print_claims("1 daemon, SQLite", sqlite, sqlite.per_second);
    ClaimFigures single;
    {
      // A database of its own, beside the hosts'.
      auto admin = bosun::Database::open((*pg)->url("postgres"), {});
      if (!admin) throw BenchError(admin.error().message);
      if (auto made = (*admin)->exec("CREATE DATABASE single"); !made) {
        throw BenchError(made.error().message);
      }
    }
    {
      std::vector<std::unique_ptr<BenchDaemon>> one;
      one.push_back(std::make_unique<BenchDaemon>(
          std::vector<std::string>{"--store", (*pg)->url("single"), "--host-name", "solo"}));
      auto ids = create_tasks(one, tasks);
      single = claim_all(one, ids, claimers, "p");
    }
    print_claims("1 daemon, PostgreSQL", single, sqlite.per_second);
    std::vector<std::unique_ptr<BenchDaemon>> hosts;
    for (int h = 1; h <= 3; ++h) {
      hosts.push_back(std::make_unique<BenchDaemon>(std::vector<std::string>{
          "--store", (*pg)->url("postgres"), "--host-name", "h" + std::to_string(h)}));
    }
    auto ids = create_tasks(hosts, tasks);
    ClaimFigures three = claim_all(hosts, ids, claimers, "m");
    print_claims("3 daemons (hosts), one PostgreSQL", three, sqlite.per_second);

    std::printf("2. an event across hosts (%d samples):\n", samples);
    RestClient rest(*hosts[0]);
    std::string agent = spawn_sleeper(rest, "fan-h1");
    EventClock local(*hosts[0]);
    EventClock remote(*hosts[1]);
    auto [local_created, local_claimed] = fan_out(*hosts[0], agent, local, samples);
    auto [remote_created, remote_claimed] = fan_out(*hosts[0], agent, remote, samples);
    auto row = [](const char* what, const FanOut& f) {
      std::printf("  %-44s p50 %6.2f ms  p99 %6.2f ms%s\n", what, f.p50_ms, f.p99_ms,
                  f.missed ? fmt::format("  {} never arrived!", f.missed).c_str() : "");
    };
    row("create on h1 -> task.created on h1 (baseline)", local_created);
    row("create on h1 -> task.created on h2", remote_created);
    row("claim on h1 -> assigned on h1 (baseline)", local_claimed);
    row("claim on h1 -> assigned on h2", remote_claimed);

    std::printf("3. another host's agent, relayed (%d samples):\n", samples);
    RestClient on_h2(*hosts[1]);
    auto [status, body] =
        on_h2.request(http::verb::post, "/api/v1/agents",
                      Json{{"name", "relayed"}, {"argv", {"sh", "-c", "exec cat > /dev/null"}}});
    if (status != 201) throw BenchError("spawn relayed: " + body.dump());
    auto [own_screen, own_input] = agent_calls(*hosts[1], "relayed", samples);
    auto [far_screen, far_input] = agent_calls(*hosts[0], "relayed", samples);
    auto ratio = [](const char* what, const FanOut& f, const FanOut& base) {
      std::printf("  %-44s p50 %6.2f ms  p99 %6.2f ms  (%.2fx at p50)\n", what, f.p50_ms, f.p99_ms,
                  f.p50_ms / base.p50_ms);
    };
    ratio("screen through its own host h2 (baseline)", own_screen, own_screen);
    ratio("screen through h1, relayed to h2", far_screen, own_screen);
    ratio("input through its own host h2 (baseline)", own_input, own_input);
    ratio("input through h1, relayed to h2", far_input, own_input);
    if (three.refused || remote_claimed.missed || remote_created.missed) code = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hosts_bench: %s\n", e.what());
    code = 1;
  }
  pg->reset();
  std::error_code ec;
  std::filesystem::remove_all(cluster_dir, ec);
  return code;
}
