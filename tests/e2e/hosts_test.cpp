// A crew across hosts: several daemons, each a host with its own state directory and agents,
// sharing one PostgreSQL store (`serve --store … --host-name …`). One board claimed from every
// host exactly once, every host's events on every daemon's stream, the crew in one list, a dead
// host's tasks back on the board once its lease runs out, and a host that comes back.
#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <atomic>
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

  std::mutex mu;
  std::set<std::string> acknowledged;
  std::array<std::atomic<int>, 3> written{};  // acknowledged creates per host
  std::array<std::atomic<int>, 3> refused{};  // 503s per host
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (size_t h = 0; h < hosts.size(); ++h) {
    writers.emplace_back([&, h] {
      for (int n = 0; !done; ++n) {
        auto r =
            hosts[h].post("/api/v1/tasks", Json{{"title", fmt::format("h{} write {}", h + 1, n)}});
        if (r.status == 201) {
          std::lock_guard lock(mu);
          acknowledged.insert(r.json()["id"].get<std::string>());
          ++written[h];
        } else if (r.status == 503) {
          ++refused[h];
        } else {
          ADD_FAILURE() << "h" << h + 1 << ": " << r.status << " " << r.body;
          return;
        }
      }
    });
  }
  // Waits (bounded) until every host has written `more` beyond `from`.
  auto each_writes = [&](std::array<int, 3> from, int more, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    for (size_t h = 0; h < hosts.size(); ++h) {
      while (written[h] < from[h] + more && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(10ms);  // the writers' own pace; bounded by `limit`
      }
      if (written[h] < from[h] + more) return false;
    }
    return true;
  };
  auto now_written = [&] {
    return std::array<int, 3>{written[0].load(), written[1].load(), written[2].load()};
  };
  ASSERT_TRUE(each_writes({0, 0, 0}, 20, 30s));

  {
    auto admin = Database::open(pg_->url("postgres"), schema_migrations());
    ASSERT_TRUE(admin) << admin.error().message;
    ASSERT_TRUE((*admin)->exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name <> 'psql' AND pid <> pg_backend_pid() AND datname IS NOT NULL"));
  }
  EXPECT_TRUE(each_writes(now_written(), 20, 10s)) << "a host did not write again after its "
                                                      "connections were cut";

  ASSERT_TRUE(pg_->stop());
  auto stopped = now_written();
  auto until = std::chrono::steady_clock::now() + 10s;
  while ((refused[0] == 0 || refused[1] == 0 || refused[2] == 0) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);  // until each host has met the outage, bounded
  }
  ASSERT_TRUE(pg_->resume());
  auto back = std::chrono::steady_clock::now();
  EXPECT_TRUE(each_writes(now_written(), 10, 10s))
      << "a host did not write again within 10 s of the server's return";
  auto recovered_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back)
          .count();
  done = true;
  for (auto& w : writers)
    w.join();
  for (size_t h = 0; h < hosts.size(); ++h) {
    EXPECT_GT(refused[h].load(), 0) << "h" << h + 1 << " never met the outage";
    EXPECT_GT(written[h].load(), stopped[h]) << "h" << h + 1;
  }
  std::printf(
      "[ figures  ] %zu writes acknowledged, %d/%d/%d refused during the outage, every "
      "host writing again %lld ms after the server's return\n",
      acknowledged.size(), refused[0].load(), refused[1].load(), refused[2].load(),
      static_cast<long long>(recovered_ms));

  // Every acknowledged write is there, read through another host than the one that wrote it.
  int missing = 0;
  for (const auto& id : acknowledged) {
    if (hosts[1].get("/api/v1/tasks/" + id).status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << acknowledged.size() << " acknowledged";
  // The leases held through an outage shorter than them, and events cross hosts again.
  auto listed = hosts[0].get("/api/v1/hosts");
  const Json body = listed.json();
  for (const auto& h : body["hosts"])
    EXPECT_EQ(h["state"], "up") << h.dump();
  auto after = create_task(hosts[1], Json{{"title", "after the outage"}});
  EXPECT_TRUE(far.wait("task.created", after["id"].get<std::string>(), 10s))
      << "h3 never saw a task h2 created after the outage";
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
