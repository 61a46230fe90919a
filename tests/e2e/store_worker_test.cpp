// The store seam end to end: a daemon whose store work runs on a worker connection with a slow
// round trip (BOSUN_STORE_WORKER, the stand-in for a networked store) goes on serving while a
// task write waits on the store, and the write and its event arrive whole.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "support/tasks.h"

namespace bosun::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// Sets an environment variable for the daemons this test starts, and unsets it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST(StoreWorker, TheDaemonServesOthersWhileATaskWriteWaitsOnTheStore) {
  constexpr auto kRoundTrip = std::chrono::milliseconds(1000);
  ScopedEnv worker("BOSUN_STORE_WORKER", "1000");
  TestDaemon d;
  d.start();
  EventWaiter events(d);
  ASSERT_TRUE(events.ok());

  std::atomic<bool> written{false};
  HttpResult created;
  Clock::duration write_took{};
  std::thread writer([&] {
    auto t0 = Clock::now();
    created = d.post("/api/v1/tasks", Json{{"title", "written through a slow store"}});
    write_took = Clock::now() - t0;
    written = true;
  });
  // Until the write is back: the health check and a read of the board, each answered while
  // the write waits on the store. Were the loop waiting for the store, each would wait too.
  int answered = 0;
  Clock::duration slowest{};
  while (!written) {
    auto t0 = Clock::now();
    auto health = http_request(d.address(), "GET", "/healthz");
    auto board = d.get("/api/v1/tasks");
    auto took = Clock::now() - t0;
    if (written) break;  // only what was answered while the write was under way counts
    ASSERT_EQ(health.status, 200) << health.body;
    ASSERT_EQ(board.status, 200) << board.body;
    ++answered;
    slowest = std::max(slowest, took);
  }
  writer.join();

  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_GE(write_took, kRoundTrip) << "the write did not go through the worker";
  EXPECT_GE(answered, 3);
  EXPECT_LT(slowest, kRoundTrip / 2)
      << "a request waited "
      << std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count()
      << " ms behind the store";
  const std::string id = created.json()["id"];
  auto event = events.wait("task.created", id);
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["data"]["task"]["title"], "written through a slow store");
  auto shown = d.get("/api/v1/tasks/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.json()["title"], "written through a slow store");
}

TEST(StoreWorker, AMalformedSettingIsRefusedAtStart) {
  TempDir state;
  auto r = run_bosun({"serve", "--listen", "127.0.0.1:0", "--state", state.path().string()},
                     {{"BOSUN_STORE_WORKER", "soon"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("BOSUN_STORE_WORKER must be 0 to 60000"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bosun::e2e
