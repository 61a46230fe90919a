// A crew across hosts: several daemons, each a host with its own state directory and agents,
// sharing one PostgreSQL store (`serve --store … --host-name …`). One board claimed from every
// host exactly once, every host's events on every daemon's stream, the crew in one list, a dead
// host's tasks back on the board once its lease runs out, and a host that comes back.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "store/database.h"
#include "store/schema.h"
#include "support/agents.h"
#include "support/pg_cluster.h"
#include "support/receiver.h"
#include "support/tasks.h"
#include "util/ids.h"

namespace bosun::e2e {
namespace {

class Hosts : public PgCluster {
 protected:
  // `serve` arguments for host `name` on the test's database, its lease `lease_ms`.
  std::vector<std::string> host_args(const std::string& name, int lease_ms = 15'000) const {
    return {"--store", pg_->url("postgres"), "--host-name",
            name,      "--host-lease-ms",    std::to_string(lease_ms)};
  }
  // The task as `d` shows it.
  static Json task_on(TestDaemon& d, const std::string& id) {
    auto r = d.get("/api/v1/tasks/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  // The last history row of task `id` on `d`.
  static Json last_history(TestDaemon& d, const std::string& id) {
    auto r = d.get("/api/v1/tasks/" + id + "/history");
    EXPECT_EQ(r.status, 200) << r.body;
    const Json body = r.json();
    return body["history"].empty() ? Json() : body["history"].back();
  }
  // h1 and h2 with short leases (1.5 s), and h1's event stream from then on.
  EventWaiter start_two(TestDaemon& h1, TestDaemon& h2) {
    h1.start(host_args("h1", 1500));
    h2.start(host_args("h2", 1500));
    return EventWaiter(h1);
  }
  // kai, an agent on h2, holding a task made on h1: its id.
  std::pair<TokenAgent, std::string> kai_holds_a_task(TestDaemon& h1, TestDaemon& h2) {
    TokenAgent kai = spawn_with_token(h2, "kai");
    Json task = create_task(h1, Json{{"title", "kai's work"}, {"role", kTaskRole}});
    std::string id = task["id"].get<std::string>();
    auto claimed = as_agent(h2, kai, "POST", "/api/v1/tasks/" + id + "/claim");
    EXPECT_EQ(claimed.status, 200) << claimed.body;
    return {kai, id};
  }
  // The agent `name` in `d`'s list of the whole crew, or null.
  static Json agent_in_list(TestDaemon& d, const std::string& name) {
    auto r = d.get("/api/v1/agents");
    EXPECT_EQ(r.status, 200) << r.body;
    const Json body = r.json();
    for (const auto& a : body["agents"]) {
      if (a["name"] == name) return a;
    }
    return Json();
  }
};

// Three hosts, two agents on each, all racing for the same 1,000 tasks: every task is claimed
// once, by exactly one agent, and agents on every host won some. Every daemon lists the whole
// crew, and a claim made on one host reaches another host's event stream.
TEST_F(Hosts, ThreeHostsRaceForOneBoardAndEachTaskIsClaimedExactlyOnce) {
  std::array<TestDaemon, 3> hosts;
  for (size_t i = 0; i < hosts.size(); ++i)
    hosts[i].start(host_args("h" + std::to_string(i + 1)));
  EventWaiter far(hosts[2]);  // h3's stream, from now on
  ASSERT_TRUE(far.ok());

  struct Claimer {
    TestDaemon* daemon;
    TokenAgent agent;
    std::string host;
  };
  std::vector<Claimer> claimers;
  for (size_t i = 0; i < hosts.size(); ++i) {
    for (int j = 0; j < 2; ++j) {
      std::string host = "h" + std::to_string(i + 1);
      claimers.push_back(
          {&hosts[i], spawn_with_token(hosts[i], host + "-a" + std::to_string(j)), host});
    }
  }
  // A name is the crew's: one an agent on another host has is refused, naming that host.
  auto taken = hosts[1].post("/api/v1/agents",
                             Json{{"name", "h1-a0"}, {"argv", Json::array({"sleep", "1"})}});
  EXPECT_EQ(taken.status, 409) << taken.body;
  EXPECT_NE(taken.body.find("on host h1"), std::string::npos) << taken.body;

  // Every daemon lists the whole crew, each agent with its host.
  for (auto& d : hosts) {
    auto r = d.get("/api/v1/agents");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json body = r.json();
    ASSERT_EQ(body["agents"].size(), claimers.size()) << r.body;
    for (const auto& a : body["agents"]) {
      std::string name = a["name"].get<std::string>();
      EXPECT_EQ(a["host"], name.substr(0, 2)) << a.dump();
    }
  }

  constexpr int kTasks = 1000;
  std::vector<std::string> ids;
  for (int k = 0; k < kTasks; ++k) {
    auto r = hosts[k % 3].post("/api/v1/tasks",
                               Json{{"title", "task " + std::to_string(k)}, {"role", kTaskRole}});
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(r.json()["id"].get<std::string>());
  }

  // Each claimer tries every task, each from its own starting point, all at once.
  std::vector<std::vector<std::string>> won(claimers.size());
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (size_t c = 0; c < claimers.size(); ++c) {
    threads.emplace_back([&, c] {
      for (int k = 0; k < kTasks; ++k) {
        const std::string& id = ids[(k + static_cast<int>(c) * 167) % kTasks];
        auto r = as_agent(*claimers[c].daemon, claimers[c].agent, "POST",
                          "/api/v1/tasks/" + id + "/claim");
        if (r.status == 200) {
          won[c].push_back(id);
        } else if (r.status != 409) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(unexpected.load(), 0);

  std::map<std::string, std::string> winner;  // task → agent name
  std::map<std::string, int> per_host;
  for (size_t c = 0; c < claimers.size(); ++c) {
    for (const auto& id : won[c]) {
      EXPECT_TRUE(winner.emplace(id, claimers[c].agent.name).second) << id << " claimed twice";
      ++per_host[claimers[c].host];
    }
  }
  EXPECT_EQ(winner.size(), static_cast<size_t>(kTasks)) << "every task claimed once";
  for (const char* h : {"h1", "h2", "h3"})
    EXPECT_GT(per_host[h], 0) << "no agent on " << h << " won a task";

  // The board says the same, on whichever host it is read.
  auto listed = hosts[1].get("/api/v1/tasks?limit=1000");
  ASSERT_EQ(listed.status, 200);
  const Json board = listed.json();
  ASSERT_EQ(board["tasks"].size(), static_cast<size_t>(kTasks));
  for (const auto& t : board["tasks"]) {
    std::string id = t["id"].get<std::string>();
    EXPECT_EQ(t["status"], "assigned") << id;
    EXPECT_EQ(t["assignee_name"], winner[id]) << id;
  }
  // A claim made through h1 reached h3's stream.
  std::string via_h1 = won[0].empty() ? won[1].front() : won[0].front();
  auto seen = far.wait_for(
      "task.updated", via_h1, [](const Json& e) { return e["task"]["status"] == "assigned"; }, 20s);
  EXPECT_TRUE(seen) << "h3 never saw the claim of " << via_h1 << " made on h1";

  auto listed_hosts = hosts[0].get("/api/v1/hosts");
  ASSERT_EQ(listed_hosts.status, 200) << listed_hosts.body;
  const Json hosts_body = listed_hosts.json();
  ASSERT_EQ(hosts_body["hosts"].size(), 3U) << listed_hosts.body;
  for (const auto& h : hosts_body["hosts"]) {
    EXPECT_EQ(h["state"], "up") << h.dump();
    EXPECT_EQ(h["agents"]["count"], 2) << h.dump();
    EXPECT_GT(h["lease_left_ms"].get<int64_t>(), 0) << h.dump();
  }
  auto cli = hosts[2].cli({"hosts"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("h3 *"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("h1"), std::string::npos) << cli.out;
}

// The supervisors of two hosts share one board: tasks created on one host go to idle agents of
// their role on both, each [TASK] typed once, each task assigned once and done.
TEST_F(Hosts, EachHostsSupervisorHandsTheSharedBoardToItsOwnIdleAgents) {
  TestDaemon h1;
  TestDaemon h2;
  h1.start(host_args("h1"));
  h2.start(host_args("h2"));
  TempDir dir;
  std::map<std::string, TestDaemon*> on;
  EventWaiter events(h1);
  ASSERT_TRUE(events.ok());
  {
    EventWaiter e2(h2);
    ASSERT_TRUE(e2.ok());
    for (const auto& [name, d, waiter] :
         {std::tuple{"ben", &h1, &events}, std::tuple{"cai", &h2, &e2}}) {
      auto repo = dir.path() / name;
      init_repo_with_old_commit(repo);
      spawn_sim(*d, *waiter, name, "backend", {}, repo.string());
      on[name] = d;
    }
  }
  std::vector<std::string> ids;
  ids.reserve(6);
  for (int i = 0; i < 6; ++i) {
    ids.push_back(add_task(h1, "Implement part " + std::to_string(i), "backend",
                           "write src/part" + std::to_string(i) + ".py: pass")["id"]
                      .get<std::string>());
  }
  // Done in whatever order the two agents finish them.
  std::set<std::string> done;
  auto all_done = events.wait_for(
      "task.updated", "",
      [&](const Json& e) {
        if (e["task"]["status"] == "done") done.insert(e["task"]["id"].get<std::string>());
        return done.size() == ids.size();
      },
      60s);
  ASSERT_TRUE(all_done) << done.size() << " of " << ids.size() << " tasks done";
  std::set<std::string> by;
  for (const auto& id : ids) {
    Json task = task_on(h2, id);
    EXPECT_EQ(task["status"], "done") << task.dump();
    by.insert(task["assignee_name"].get<std::string>());
    auto history = h2.get("/api/v1/tasks/" + id + "/history");
    const Json rows = history.json();
    int assigned = 0;
    for (const auto& h : rows["history"]) {
      if (h["field"] == "status" && h["to"] == "assigned") ++assigned;
    }
    EXPECT_EQ(assigned, 1) << id << " was assigned " << assigned << " times: " << history.body;
    const std::string owner = task["assignee_name"].get<std::string>();
    auto messages = on[owner]->get("/api/v1/messages?type=task&task=" + id);
    const Json typed = messages.json();
    ASSERT_EQ(typed["messages"].size(), 1U) << messages.body;  // typed exactly once
  }
  EXPECT_EQ(by, (std::set<std::string>{"ben", "cai"})) << "one host's agent took every task";
}

// A host that dies with its agents (daemon and holders killed): once its lease runs out,
// another host declares it lost, its agents show lost with the reason, and their tasks are back
// on the board, where an agent on a live host takes them.
TEST_F(Hosts, ADeadHostsTasksGoBackToTheBoardOnceItsLeaseRunsOut) {
  TestDaemon h1;
  TestDaemon h2;
  EventWaiter events = start_two(h1, h2);
  ASSERT_TRUE(events.ok());
  auto [kai, id] = kai_holds_a_task(h1, h2);
  Json remote = agent_in_list(h1, "kai");
  EXPECT_EQ(remote["host"], "h2") << remote.dump();
  EXPECT_EQ(remote["remote"], true) << remote.dump();

  // The machine goes: its daemon and every process of its agents.
  auto processes = live_processes_mentioning(h2.state_dir().string());
  h2.kill9();
  for (pid_t pid : processes)
    ::kill(pid, SIGKILL);

  auto lost = events.wait("host.lost", "h2", 20s);
  ASSERT_TRUE(lost) << "h2 was never declared lost";
  EXPECT_EQ((*lost)["data"]["tasks"], Json::array({id})) << lost->dump();
  Json back = task_on(h1, id);
  EXPECT_EQ(back["status"], "pending") << back.dump();
  EXPECT_TRUE(back["assignee"].is_null()) << back.dump();
  Json why = last_history(h1, id);
  EXPECT_NE(why.value("reason", "").find("host h2 unreachable since"), std::string::npos)
      << why.dump();
  Json shown = agent_in_list(h1, "kai");
  EXPECT_EQ(shown["state"], "lost") << shown.dump();
  EXPECT_NE(shown.value("state_evidence", "").find("host h2 unreachable since"), std::string::npos)
      << shown.dump();
  auto cli = h1.cli({"hosts"});
  EXPECT_NE(cli.out.find("lost"), std::string::npos) << cli.out;

  // Back on the board: an agent on the live host takes it.
  TokenAgent ana = spawn_with_token(h1, "ana");
  auto again = as_agent(h1, ana, "POST", "/api/v1/tasks/" + id + "/claim");
  EXPECT_EQ(again.status, 200) << again.body;
}

// A daemon killed alone, its agents still running under their holders: its lease runs out and
// its tasks go back to the board; when it starts again it joins under a new epoch, says so, its
// agents re-attach, and a report on the task it lost is refused.
TEST_F(Hosts, ADaemonKilledAloneRejoinsAndItsAgentsReattach) {
  TestDaemon h1;
  TestDaemon h2;
  EventWaiter events = start_two(h1, h2);
  ASSERT_TRUE(events.ok());
  auto [kai, id] = kai_holds_a_task(h1, h2);

  h2.keep_address();
  h2.kill9();
  ASSERT_TRUE(events.wait("host.lost", "h2", 20s)) << "h2 was never declared lost";
  EXPECT_EQ(task_on(h1, id)["status"], "pending");

  h2.start(host_args("h2", 1500));
  auto returned = events.wait("host.returned", "h2", 20s);
  ASSERT_TRUE(returned) << "h1 never heard that h2 is back";
  EXPECT_EQ((*returned)["data"]["epoch"], 2) << returned->dump();
  EXPECT_TRUE((*returned)["data"]["unreachable_since"].is_string()) << returned->dump();
  ASSERT_TRUE(events.wait("agent.reattached", kai.id, 20s)) << "kai never re-attached";
  auto live = events.wait_for(
      "agent.state", kai.id, [](const Json& e) { return e["state"] == "running"; }, 20s);
  EXPECT_TRUE(live) << "h1 never saw kai running again";
  Json shown = agent_in_list(h1, "kai");
  EXPECT_NE(shown["state"], "lost") << shown.dump();

  // kai's claim went with the lease: its report on that task is refused, and changes nothing.
  auto report = as_agent(h2, kai, "POST", "/api/v1/tasks/" + id + "/reports", done_report());
  EXPECT_EQ(report.status, 403) << report.body;
  EXPECT_EQ(task_on(h1, id)["status"], "pending");
}

// One writer per host, creating tasks until stopped: what each host acknowledged, and what it
// refused (503) or never answered meanwhile.
class Writers {
 public:
  static constexpr size_t kHosts = 3;
  explicit Writers(std::array<TestDaemon, kHosts>& hosts) : hosts_(hosts) {
    for (size_t h = 0; h < kHosts; ++h)
      threads_.emplace_back([this, h] { write(h); });
  }
  ~Writers() { stop(); }
  Writers(const Writers&) = delete;
  Writers& operator=(const Writers&) = delete;

  void stop() {
    done_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::array<int, kHosts> written() const {
    return {written_[0].load(), written_[1].load(), written_[2].load()};
  }
  int refused(size_t h) const { return refused_[h].load(); }
  // Waits (bounded) until each host in `which` has acknowledged `more` writes beyond `from`.
  bool each_writes(std::array<int, kHosts> from, int more, std::chrono::milliseconds limit,
                   const std::vector<size_t>& which = {0, 1, 2}) {
    return wait(limit, [&] {
      return std::all_of(which.begin(), which.end(),
                         [&](size_t h) { return written_[h] >= from[h] + more; });
    });
  }
  // Until each host in `which` has met a refusal (bounded).
  void until_refused(std::chrono::milliseconds limit,
                     const std::vector<size_t>& which = {0, 1, 2}) {
    (void)wait(limit, [&] {
      return std::all_of(which.begin(), which.end(), [&](size_t h) { return refused_[h] > 0; });
    });
  }
  // Until host `h` has had an answer, acknowledged or refused, beyond `answers` (bounded).
  void until_answered(size_t h, int answers, std::chrono::milliseconds limit) {
    (void)wait(limit, [&] { return written_[h] + refused_[h] > answers; });
  }
  int answered(size_t h) const { return written_[h] + refused_[h]; }
  // How many acknowledged writes `reader` can't find.
  int missing_through(TestDaemon& reader) {
    std::set<std::string> ids;
    {
      std::lock_guard lock(mu_);
      ids = acknowledged_;
    }
    int missing = 0;
    for (const auto& id : ids) {
      if (reader.get("/api/v1/tasks/" + id).status != 200) ++missing;
    }
    return missing;
  }
  size_t acknowledged() {
    std::lock_guard lock(mu_);
    return acknowledged_.size();
  }

 private:
  // Waits until `done` holds, woken by every answer a writer has; false at `limit`.
  template <typename Done>
  bool wait(std::chrono::milliseconds limit, Done done) {
    std::unique_lock lock(mu_);
    return answer_.wait_for(lock, limit, done);
  }

  void write(size_t h) {
    for (int n = 0; !done_; ++n) {
      auto r =
          hosts_[h].post("/api/v1/tasks", Json{{"title", fmt::format("h{} write {}", h + 1, n)}});
      std::lock_guard lock(mu_);
      if (r.status == 201) {
        acknowledged_.insert(r.json()["id"].get<std::string>());
        ++written_[h];
      } else if (r.status == 503 || r.status == 0) {  // refused, or not answered in time
        ++refused_[h];
      } else {
        ADD_FAILURE() << "h" << h + 1 << ": " << r.status << " " << r.body;
        return;
      }
      answer_.notify_all();
    }
  }

  std::array<TestDaemon, kHosts>& hosts_;
  std::mutex mu_;
  std::condition_variable answer_;  // a writer had an answer
  std::set<std::string> acknowledged_;
  std::array<std::atomic<int>, kHosts> written_{};
  std::array<std::atomic<int>, kHosts> refused_{};
  std::atomic<bool> done_{false};
  std::vector<std::thread> threads_;
};

// Three hosts writing while the server goes away twice: every daemon connection cut by
// pg_terminate_backend, then the server stopped and started again. Nothing acknowledged is lost,
// each host writes again within 10 s of the server's return, their leases hold, and events
// cross hosts again.
TEST_F(Hosts, ThreeHostsWritingThroughCutConnectionsAndAServerRestartLoseNothing) {
  std::array<TestDaemon, 3> hosts;
  for (size_t i = 0; i < hosts.size(); ++i)
    hosts[i].start(host_args("h" + std::to_string(i + 1)));
  EventWaiter far(hosts[2]);
  ASSERT_TRUE(far.ok());

  Writers writers(hosts);
  ASSERT_TRUE(writers.each_writes({0, 0, 0}, 20, 30s));

  {
    auto admin = Database::open(pg_->url("postgres"), schema_migrations());
    ASSERT_TRUE(admin) << admin.error().message;
    ASSERT_TRUE((*admin)->exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name <> 'psql' AND pid <> pg_backend_pid() AND datname IS NOT NULL"));
  }
  EXPECT_TRUE(writers.each_writes(writers.written(), 20, 10s))
      << "a host did not write again after its connections were cut";

  ASSERT_TRUE(pg_->stop());
  auto stopped = writers.written();
  writers.until_refused(10s);  // each host meets the outage
  ASSERT_TRUE(pg_->resume());
  auto back = std::chrono::steady_clock::now();
  EXPECT_TRUE(writers.each_writes(writers.written(), 10, 10s))
      << "a host did not write again within 10 s of the server's return";
  auto recovered_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back)
          .count();
  writers.stop();
  for (size_t h = 0; h < hosts.size(); ++h) {
    EXPECT_GT(writers.refused(h), 0) << "h" << h + 1 << " never met the outage";
    EXPECT_GT(writers.written()[h], stopped[h]) << "h" << h + 1;
  }
  std::printf(
      "[ figures  ] %zu writes acknowledged, %d/%d/%d refused during the outage, every "
      "host writing again %lld ms after the server's return\n",
      writers.acknowledged(), writers.refused(0), writers.refused(1), writers.refused(2),
      static_cast<long long>(recovered_ms));

  // Every acknowledged write is there, read through another host than the one that wrote it.
  EXPECT_EQ(writers.missing_through(hosts[1]), 0) << "of " << writers.acknowledged();
  // The leases held through an outage shorter than them, and events cross hosts again.
  auto listed = hosts[0].get("/api/v1/hosts");
  const Json body = listed.json();
  for (const auto& h : body["hosts"])
    EXPECT_EQ(h["state"], "up") << h.dump();
  auto after = create_task(hosts[1], Json{{"title", "after the outage"}});
  EXPECT_TRUE(far.wait("task.created", after["id"].get<std::string>(), 10s))
      << "h3 never saw a task h2 created after the outage";
}

// A daemon killed (-9) while its agents' claims are in flight: a claim it acknowledged holds
// until its lease runs out and then goes back to the board with the reason; the other hosts'
// claims all hold; no task ever has two holders at once, and every task ends with an agent of a
// live host.
TEST_F(Hosts, ADaemonKilledMidClaimLosesNoAcknowledgedClaimAndNoTaskHasTwoHolders) {
  std::array<TestDaemon, 3> hosts;
  for (size_t i = 0; i < hosts.size(); ++i)
    hosts[i].start(host_args("h" + std::to_string(i + 1), 1500));
  EventWaiter events(hosts[0]);
  ASSERT_TRUE(events.ok());
  struct Claimer {
    TestDaemon* daemon;
    TokenAgent agent;
    std::vector<std::string> won;
  };
  std::vector<Claimer> claimers;
  for (size_t i = 0; i < hosts.size(); ++i) {
    for (int j = 0; j < 2; ++j) {
      claimers.push_back(
          {&hosts[i], spawn_with_token(hosts[i], fmt::format("h{}-a{}", i + 1, j)), {}});
    }
  }
  constexpr int kTasks = 300;
  std::vector<std::string> ids;
  ids.reserve(kTasks);
  for (int k = 0; k < kTasks; ++k) {
    ids.push_back(create_task(hosts[k % 3],
                              Json{{"title", fmt::format("task {}", k)}, {"role", kTaskRole}})["id"]
                      .get<std::string>());
  }
  std::atomic<int> claimed{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (size_t c = 0; c < claimers.size(); ++c) {
    threads.emplace_back([&, c] {
      Claimer& me = claimers[c];
      // Sweeps the board from its own starting point until told to stop or its daemon is gone.
      for (int pass = 0; !done; ++pass) {
        for (int k = 0; k < kTasks && !done; ++k) {
          const std::string& id = ids[(k + static_cast<int>(c) * 50) % kTasks];
          auto r = as_agent(*me.daemon, me.agent, "POST", "/api/v1/tasks/" + id + "/claim");
          if (r.status == 200) {
            me.won.push_back(id);
            ++claimed;
          } else if (r.status == 0) {
            return;  // its daemon was killed: nothing more to ask it
          } else if (r.status != 409 && r.status != 503) {
            ADD_FAILURE() << r.status << " " << r.body;
            return;
          }
        }
      }
    });
  }
  // The race well under way: 100 claims seen on h1's stream, from any host.
  int assigned = 0;
  ASSERT_TRUE(events.wait_for(
      "task.updated", "",
      [&](const Json& d) { return d["task"]["status"] == "assigned" && ++assigned >= 100; }, 30s))
      << assigned << " claims seen";
  hosts[1].kill9();  // mid-claim: h2's claimers are in flight
  ASSERT_TRUE(events.wait("host.lost", "h2", 20s)) << "h2 was never declared lost";
  // The live hosts' claimers sweep on and take back what h2's agents held.
  auto live_own_all = [&] {
    auto r = hosts[0].get("/api/v1/tasks?status=pending");
    return r.status == 200 && r.json()["tasks"].empty();
  };
  auto until = std::chrono::steady_clock::now() + 30s;
  while (!live_own_all() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);  // the claimers' own pace, bounded
  }
  done = true;
  for (auto& t : threads)
    t.join();

  std::map<std::string, std::string> holder;  // task → the name of its agent now
  for (const auto& id : ids) {
    Json task = task_on(hosts[2], id);
    ASSERT_EQ(task["status"], "assigned") << task.dump();
    holder[id] = task["assignee_name"].get<std::string>();
    EXPECT_NE(holder[id].substr(0, 2), "h2") << task.dump();
  }
  int from_h2 = 0;
  for (const auto& c : claimers) {
    for (const auto& id : c.won) {
      if (c.agent.name.substr(0, 2) == "h2") {
        ++from_h2;  // held until the lease ran out, then handed back: the history says so
        auto history = hosts[0].get("/api/v1/tasks/" + id + "/history");
        EXPECT_NE(history.body.find("host h2 unreachable since"), std::string::npos)
            << history.body;
      } else {
        EXPECT_EQ(holder[id], c.agent.name) << id << " was taken from the agent that claimed it";
      }
    }
  }
  EXPECT_GT(from_h2, 0) << "h2's agents won nothing before the kill";
  std::printf("[ figures  ] %d claims acknowledged in all, %d by h2 before it was killed\n",
              claimed.load(), from_h2);
  hosts[1].start(host_args("h2", 1500));  // its agents re-attach, to be stopped with it
  // Never two holders: a task becomes assigned only from pending.
  for (const auto& id : ids) {
    auto history = hosts[0].get("/api/v1/tasks/" + id + "/history");
    const Json rows = history.json();
    for (const auto& h : rows["history"]) {
      if (h["field"] == "status" && h["to"] == "assigned") {
        EXPECT_EQ(h["from"], "pending") << id << ": " << history.body;
      }
    }
  }
}

// A daemon frozen (SIGSTOP) in the middle of a write holds the crew's write lock: the server
// ends its transaction after 3 s idle, the other hosts write again within 10 s, and the frozen
// daemon, thawed, finds its transaction gone (never acknowledged), reconnects and writes on.
// Nothing acknowledged is lost.
TEST_F(Hosts, ADaemonFrozenInAWriteIsCutOffAndTheOtherHostsWriteOn) {
  std::array<TestDaemon, 3> hosts;
  for (size_t i = 0; i < hosts.size(); ++i)
    hosts[i].start(host_args("h" + std::to_string(i + 1)));
  Writers writers(hosts);
  ASSERT_TRUE(writers.each_writes({0, 0, 0}, 20, 30s));

  auto admin = Database::open(pg_->url("postgres"), schema_migrations());
  ASSERT_TRUE(admin) << admin.error().message;
  // The backend of a session idle in a transaction holding the write lock (a transaction-level
  // advisory lock), for at least 300 ms: a frozen daemon's; 0 when there is none.
  auto frozen_holder = [&]() -> int64_t {
    auto stmt = (*admin)->prepare(
        "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
        " WHERE a.state = 'idle in transaction' AND l.locktype = 'advisory' AND l.granted"
        " AND l.objsubid = 1 AND a.state_change < clock_timestamp() - interval '300 ms'");
    if (!stmt) return 0;
    auto row = stmt->step();
    return row && *row ? stmt->get_int(0) : 0;
  };
  // Freeze h2 until it is caught in a write: the writers keep it in one most of the time.
  bool caught = false;
  for (int attempt = 0; attempt < 100 && !caught; ++attempt) {
    // Frozen only while writing: after h2's writer has had an answer since the last attempt.
    writers.until_answered(1, writers.answered(1), 15s);
    ASSERT_EQ(::kill(hosts[1].pid(), SIGSTOP), 0);
    // A frozen holder shows once it has been idle for 300 ms; looked for until 600 ms.
    auto until = std::chrono::steady_clock::now() + 600ms;
    while (!caught && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(50ms);
      caught = frozen_holder() != 0;
    }
    if (!caught) {
      ASSERT_EQ(::kill(hosts[1].pid(), SIGCONT), 0);
    }
  }
  ASSERT_TRUE(caught) << "h2 was never frozen holding the write lock";
  auto frozen_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(writers.each_writes(writers.written(), 10, 10s, {0, 2}))
      << "h1 and h3 did not write again within 10 s of h2 freezing in a write";
  auto others_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - frozen_at)
                       .count();
  EXPECT_EQ(frozen_holder(), 0) << "the frozen transaction still holds the lock";

  auto thawed = writers.written();
  ASSERT_EQ(::kill(hosts[1].pid(), SIGCONT), 0);
  EXPECT_TRUE(writers.each_writes(thawed, 10, 10s, {1}))
      << "h2 did not write again within 10 s of thawing";
  writers.stop();
  std::printf("[ figures  ] h1 and h3 writing again %lld ms after h2 froze holding the lock\n",
              static_cast<long long>(others_ms));
  EXPECT_EQ(writers.missing_through(hosts[2]), 0) << "of " << writers.acknowledged();
  auto listed = hosts[0].get("/api/v1/hosts");
  const Json body = listed.json();
  for (const auto& h : body["hosts"])
    EXPECT_EQ(h["state"], "up") << h.dump();
}

// Someone's session idle in a transaction — a snapshot held open (the horizon held back) and a
// row lock on one task — holds back nothing else: tasks are created and claimed across hosts and
// their events arrive; the claim of the locked task gives up with 503 storage_busy within
// seconds and changes nothing, and succeeds once the session ends.
TEST_F(Hosts, ASessionIdleInATransactionHoldsBackOnlyTheRowItLocked) {
  TestDaemon h1;
  TestDaemon h2;
  EventWaiter far = start_two(h1, h2);  // h1's stream
  ASSERT_TRUE(far.ok());
  TokenAgent kai = spawn_with_token(h2, "kai");
  std::string locked = create_task(h1, Json{{"title", "locked"}, {"role", kTaskRole}})["id"];

  auto idle = Database::open(pg_->url("postgres"), schema_migrations());
  ASSERT_TRUE(idle) << idle.error().message;
  ASSERT_TRUE((*idle)->exec("SET idle_in_transaction_session_timeout = 0"));
  ASSERT_TRUE((*idle)->exec("SET lock_timeout = 0"));
  ASSERT_TRUE((*idle)->exec("BEGIN ISOLATION LEVEL REPEATABLE READ"));
  ASSERT_TRUE((*idle)->exec("SELECT count(*) FROM events"));
  ASSERT_TRUE((*idle)->exec("SELECT id FROM tasks WHERE id = '" + locked + "' FOR UPDATE"));

  // Everything else goes on: tasks made on h1, claimed by kai on h2, seen on h1's stream.
  std::set<std::string> made;
  for (int k = 0; k < 50; ++k) {
    made.insert(
        create_task(h1, Json{{"title", fmt::format("free {}", k)}, {"role", kTaskRole}})["id"]
            .get<std::string>());
  }
  for (const auto& id : made) {
    auto r = as_agent(h2, kai, "POST", "/api/v1/tasks/" + id + "/claim");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::set<std::string> assigned;
  EXPECT_TRUE(far.wait_for(
      "task.updated", "",
      [&](const Json& d) {
        if (d.contains("task") && d["task"]["status"] == "assigned") {
          assigned.insert(d["task"]["id"].get<std::string>());
        }
        return std::includes(assigned.begin(), assigned.end(), made.begin(), made.end());
      },
      20s))
      << assigned.size() << " of 50 claims reached h1's stream";

  // The locked task: the claim waits for the row at most 5 s, then gives up, changing nothing.
  auto t0 = std::chrono::steady_clock::now();
  auto refused = as_agent(h2, kai, "POST", "/api/v1/tasks/" + locked + "/claim");
  auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("storage_busy"), std::string::npos) << refused.body;
  EXPECT_LT(waited_ms, 9000);
  Json task = task_on(h1, locked);
  EXPECT_EQ(task["status"], "pending") << task.dump();
  EXPECT_TRUE(task["assignee"].is_null()) << task.dump();
  // The crew writes on at once.
  EXPECT_EQ(h1.post("/api/v1/tasks", Json{{"title", "right after"}}).status, 201);

  ASSERT_TRUE((*idle)->exec("ROLLBACK"));
  auto claimed = as_agent(h2, kai, "POST", "/api/v1/tasks/" + locked + "/claim");
  EXPECT_EQ(claimed.status, 200) << claimed.body;
  std::printf("[ figures  ] the claim of the locked task gave up after %lld ms\n",
              static_cast<long long>(waited_ms));
}

// A person works with an agent on another host through their own daemon: its terminal, input,
// screen, log and stop are sent on to the agent's host with the crew's cluster credential, never
// the person's token. The credential opens only those routes, and a host that is gone says so.
TEST_F(Hosts, AnotherHostsAgentIsOpenedThroughThePersonsOwnDaemon) {
  TestDaemon h1;
  TestDaemon h2;
  EventWaiter events = start_two(h1, h2);
  ASSERT_TRUE(events.ok());
  auto spawned =
      h2.post("/api/v1/agents", Json{{"name", "kai"},
                                     {"argv", Json::array({"sh", "-c",
                                                           "echo ready; while read l; do echo "
                                                           "\"got:$l\"; done"})}});
  ASSERT_EQ(spawned.status, 201) << spawned.body;

  // The terminal, opened on h1 with h1's token: output from h2, keys typed back to it.
  WsClient term;
  ASSERT_TRUE(term.connect(h1.address(), "/api/v1/agents/kai/terminal?from=0", h1.auth_header()))
      << term.refused_status();
  std::string seen;
  ASSERT_TRUE(terminal_until(term, seen, "ready")) << seen;
  ASSERT_TRUE(term.send_text(R"({"type":"input","data":"over the wire\r"})"));
  EXPECT_TRUE(terminal_until(term, seen, "got:over the wire")) << seen;

  // Input, screen and log through h1.
  auto typed = h1.post("/api/v1/agents/kai/input", Json{{"data", "second"}, {"submit", true}});
  EXPECT_EQ(typed.status, 200) << typed.body;
  EXPECT_TRUE(terminal_until(term, seen, "got:second")) << seen;
  auto screen = h1.get("/api/v1/agents/kai/screen");
  ASSERT_EQ(screen.status, 200) << screen.body;
  EXPECT_NE(screen.body.find("got:second"), std::string::npos) << screen.body;
  auto log = h1.get("/api/v1/agents/kai/log");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_NE(log.body.find("got:over the wire"), std::string::npos) << log.body;
  EXPECT_EQ(log.headers["content-type"], "application/octet-stream");
  EXPECT_FALSE(log.headers["x-bosun-end-offset"].empty());
  // The agent as its host tells it: its run and process, marked another host's.
  auto agent = h1.get("/api/v1/agents/kai");
  ASSERT_EQ(agent.status, 200) << agent.body;
  EXPECT_EQ(agent.json()["remote"], true) << agent.body;
  EXPECT_EQ(agent.json()["host"], "h2") << agent.body;
  EXPECT_EQ(agent.json()["run"]["state"], "running") << agent.body;
  EXPECT_EQ(agent.json()["pid"], spawned.json()["pid"]) << agent.body;
  // Bad input is h2's to refuse, and the refusal comes back as it was.
  auto bad = h1.post("/api/v1/agents/kai/resize", Json{{"cols", "wide"}});
  EXPECT_EQ(bad.status, 400) << bad.body;

  // The cluster credential opens h2's agents' routes, and nothing else.
  auto admin = Database::open(pg_->url("postgres"), schema_migrations());
  ASSERT_TRUE(admin) << admin.error().message;
  std::string secret;
  {
    auto stmt = (*admin)->prepare("SELECT value FROM settings WHERE key = 'cluster.secret'");
    ASSERT_TRUE(stmt) << stmt.error().message;
    auto row = stmt->step();
    ASSERT_TRUE(row && *row);
    secret = Json::parse(stmt->get_text(0)).get<std::string>();
  }
  auto as_host = [&](const std::string& via, const std::string& token, const std::string& target) {
    return http_request(h2.address(), "GET", target, "",
                        {{"Bosun-Cluster-Token", token}, {"Bosun-Via", via}});
  };
  EXPECT_EQ(as_host("h1", secret, "/api/v1/agents/kai/screen").status, 200);
  auto scope = as_host("h1", secret, "/api/v1/tasks");
  EXPECT_EQ(scope.status, 403) << scope.body;
  EXPECT_NE(scope.body.find("cluster_scope"), std::string::npos) << scope.body;
  EXPECT_EQ(as_host("h1", secret + "0", "/api/v1/agents/kai/screen").status, 401);
  EXPECT_EQ(as_host("h2", secret, "/api/v1/agents/kai/screen").status, 401);  // not from itself
  EXPECT_EQ(as_host("", secret, "/api/v1/agents/kai/screen").status, 401);
  // h1's person token means nothing on h2.
  EXPECT_EQ(
      http_request(h2.address(), "GET", "/api/v1/agents/kai/screen", "", h1.auth_header()).status,
      401);

  // Stopped through h1: the process on h2 ends, and h1's stream says so.
  auto stopped = h1.post("/api/v1/agents/kai/stop", Json::object());
  EXPECT_EQ(stopped.status, 202) << stopped.body;
  EXPECT_TRUE(events.wait_for("agent.state", "", [](const Json& d) {
    return d["name"] == "kai" && d["state"] == "exited";
  })) << "kai's exit never reached h1";

  // What h1 sends h2: the cluster credential and its name, not the person's token (nor one in
  // the query). h2's address, pointed at a recorder, shows it.
  Receiver recorder;
  std::string recorder_address = recorder.url("");
  recorder_address = recorder_address.substr(recorder_address.find("//") + 2);
  ASSERT_TRUE(
      (*admin)->exec("UPDATE hosts SET address = '" + recorder_address + "' WHERE name = 'h2'"));
  (void)h1.get("/api/v1/agents/kai/screen");
  WsClient leak;
  (void)leak.connect(h1.address(), "/api/v1/agents/kai/terminal?from=0&token=" + h1.token(), {});
  ASSERT_TRUE(recorder.wait_for(2, 10s));
  for (const auto& r : recorder.requests()) {
    EXPECT_EQ(r.header("bosun-cluster-token"), secret);
    EXPECT_EQ(r.header("bosun-via"), "h1");
    EXPECT_EQ(r.header("authorization"), "") << r.target;
    EXPECT_EQ(r.header("cookie"), "") << r.target;
    EXPECT_EQ(r.target.find(h1.token()), std::string::npos) << r.target;
    EXPECT_EQ(r.target.find("/api/v1/agents/kai/"), 0U) << r.target;
  }

  // A host that is gone: its agent's routes say so, first unanswered, then declared lost.
  ASSERT_TRUE(
      (*admin)->exec("UPDATE hosts SET address = '" + h2.address() + "' WHERE name = 'h2'"));
  h2.kill9();
  auto unanswered = h1.get("/api/v1/agents/kai/screen");
  EXPECT_EQ(unanswered.status, 503) << unanswered.body;
  EXPECT_NE(unanswered.body.find("host_unreachable"), std::string::npos) << unanswered.body;
  ASSERT_TRUE(events.wait("host.lost", "h2", 20s)) << "h2 was never declared lost";
  auto lost = h1.get("/api/v1/agents/kai/screen");
  EXPECT_EQ(lost.status, 503) << lost.body;
  EXPECT_NE(lost.body.find("on host h2, unreachable since"), std::string::npos) << lost.body;
  // The agent itself is still answered, from the row the crew shares.
  auto row = h1.get("/api/v1/agents/kai");
  ASSERT_EQ(row.status, 200) << row.body;
  EXPECT_EQ(row.json()["remote"], true) << row.body;
  EXPECT_NE(row.json()["state_evidence"].get<std::string>().find("host h2 unreachable since"),
            std::string::npos)
      << row.body;
}

// Two daemons under one host name would each believe the agents theirs: the second is refused,
// naming the first, and starts once the first has stopped.
TEST_F(Hosts, ASecondDaemonWithTheSameHostNameIsRefusedNamingTheFirst) {
  TestDaemon first;
  first.start(host_args("h1"));
  TestDaemon second;
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--state",
                                second.state_dir().string()};
  for (const auto& a : host_args("h1"))
    args.push_back(a);
  auto refused = run_bosun(args);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("host h1 is already served by bosun serve on h1"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("pid " + std::to_string(first.pid())), std::string::npos)
      << refused.err;

  TestDaemon other;
  other.start(host_args("h2"));  // another name joins beside it
  EXPECT_EQ(other.post("/api/v1/tasks", Json{{"title", "from h2"}}).status, 201);

  ASSERT_EQ(first.stop(), 0) << first.stderr_text();
  second.start(host_args("h1"));
  EXPECT_EQ(second.post("/api/v1/tasks", Json{{"title", "now mine"}}).status, 201);
}

}  // namespace
}  // namespace bosun::e2e
