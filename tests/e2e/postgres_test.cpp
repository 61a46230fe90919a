// A daemon whose store is PostgreSQL (`serve --store`): the server stopped under it and
// started again. Requests that need the store meanwhile get 503 with a message that says why,
// the daemon keeps answering what needs no store, nothing acknowledged is lost, and once the
// server is back the daemon carries on without a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "support/harness.h"
#include "support/pg_cluster.h"
#include "util/ids.h"

namespace bosun::e2e {
namespace {

// A cluster of the test's own (support/pg_cluster.h).
class Postgres : public PgCluster {};

TEST_F(Postgres, AnOutageAnswers503AndTheDaemonCarriesOnOnceTheServerIsBack) {
  TestDaemon d;
  d.start({"--store", pg_->url("postgres")});

  std::set<std::string> acknowledged;
  for (int i = 0; i < 20; ++i) {
    auto r = d.post("/api/v1/tasks", Json{{"title", "before " + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << r.body;
    acknowledged.insert(r.json()["id"].get<std::string>());
  }

  ASSERT_TRUE(pg_->stop());
  auto refused = d.post("/api/v1/tasks", Json{{"title", "during"}});
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "storage_unreachable") << refused.body;
  EXPECT_NE(refused.body.find("PostgreSQL"), std::string::npos) << refused.body;
  auto listed_down = d.get("/api/v1/tasks");
  EXPECT_EQ(listed_down.status, 503) << listed_down.body;
  EXPECT_EQ(d.get("/healthz").status, 200);

  ASSERT_TRUE(pg_->resume());
  // The daemon tries each connection again at most once a second: within 10 s the reads (the
  // loop's connection) and a create (the worker's) work again.
  auto until_back = [](const std::function<HttpResult()>& request) {
    HttpResult r = request();
    for (auto until = std::chrono::steady_clock::now() + 10s;
         r.status == 503 && std::chrono::steady_clock::now() < until; r = request()) {
      std::this_thread::sleep_for(50ms);  // no event says the server is back; bounded
    }
    return r;
  };
  auto read = until_back([&] { return d.get("/api/v1/tasks"); });
  ASSERT_EQ(read.status, 200) << read.body;
  auto after = until_back([&] { return d.post("/api/v1/tasks", Json{{"title", "after"}}); });
  ASSERT_EQ(after.status, 201) << after.body;
  acknowledged.insert(after.json()["id"].get<std::string>());
  auto listed = d.get("/api/v1/tasks?limit=100");
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::set<std::string> found;
  const Json body = listed.json();  // kept: the loop reads a member of it
  for (const auto& t : body["tasks"])
    found.insert(t["id"].get<std::string>());
  EXPECT_EQ(found, acknowledged) << listed.body;
  EXPECT_EQ(d.stop(), 0) << d.stderr_text();
}

}  // namespace
}  // namespace bosun::e2e
