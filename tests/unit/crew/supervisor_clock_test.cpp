// The supervisor's timing on a manual clock: a permanent agent that is lost is restarted after
// its backoff, doubling, until it has been restarted restart_limit times within restart_window;
// then the supervisor gives up and tells the person. Runs in milliseconds: the supervisor's
// timers are the clock's, and the clock moves only when the test advances it.
#include "crew/supervisor.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "agent/registry.h"
#include "support/awaited.h"
#include "support/no_machine.h"
#include "support/store_fixture.h"

namespace bosun {
namespace {

using std::chrono::milliseconds;

class SupervisorOnTheClock : public testing::RegistryOnNoMachine {
 protected:
  void SetUp() override {
    RegistryOnNoMachine::SetUp();
    supervisor_ =
        std::make_unique<Supervisor>(io_, *store_, *bus_, *store_runner_, clock_, log_, *registry_);
    supervisor_->start();
  }
  void TearDown() override {
    supervisor_.reset();
    registry_.reset();
    settle();
    RegistryOnNoMachine::TearDown();
  }
  void configure(milliseconds backoff, int64_t limit, milliseconds window) {
    SupervisorConfig c = supervisor_->config();
    c.restart_backoff = backoff;
    c.restart_limit = limit;
    c.restart_window = window;
    ASSERT_TRUE(testing::awaited(io_, supervisor_->configure(c)).value_or(Status()));
  }
  // Runs everything that is ready now (handlers, coroutines, what they post in turn).
  void settle() {
    for (int i = 0; i < 1000; ++i) {
      io_.restart();
      if (io_.poll() == 0) return;
    }
    ADD_FAILURE() << "the loop never went quiet";
  }
  // Moves the clock by `d` and lets whatever came due run.
  void advance(milliseconds d) {
    clock_.advance(d);
    settle();
  }
  void spawn_permanent() {
    SpawnRequest req;
    req.name = "kai";
    req.argv = {"/bin/sh"};
    req.cwd = dir_.string();
    req.permanent = true;
    boost::asio::co_spawn(io_, registry_->spawn(std::move(req)), boost::asio::detached);
    settle();
  }
  size_t launches() const { return host_->launched.size(); }
  std::vector<Json> all(const std::string& type) const {
    std::vector<Json> out;
    for (const auto& e : events_.seen) {
      if (e.type == type) out.push_back(event_data(e));
    }
    return out;
  }

  std::unique_ptr<Supervisor> supervisor_;
};

TEST_F(SupervisorOnTheClock, ALostPermanentAgentIsRestartedWithBackoffUntilTheLimit) {
  configure(milliseconds(1000), 2, milliseconds(60'000));
  spawn_permanent();
  ASSERT_EQ(launches(), 1u);
  auto restarting = all("agent.restarting");
  ASSERT_EQ(restarting.size(), 1u);
  EXPECT_EQ(restarting[0]["delay_ms"], 1000);
  EXPECT_EQ(restarting[0]["attempt"], 1);
  EXPECT_EQ(restarting[0]["reason"], "was lost: cannot start a holder: the machine is gone");

  advance(milliseconds(999));
  EXPECT_EQ(launches(), 1u) << "restarted before its backoff";
  advance(milliseconds(1));
  EXPECT_EQ(launches(), 2u);
  restarting = all("agent.restarting");
  ASSERT_EQ(restarting.size(), 2u);
  EXPECT_EQ(restarting[1]["delay_ms"], 2000);  // doubled

  advance(milliseconds(1999));
  EXPECT_EQ(launches(), 2u);
  advance(milliseconds(1));
  EXPECT_EQ(launches(), 3u);
  // Two restarts within the window: the third loss is the end of it.
  auto gave_up = all("agent.restart_gave_up");
  ASSERT_EQ(gave_up.size(), 1u);
  EXPECT_EQ(gave_up[0]["reason"],
            "agent kai was lost: cannot start a holder: the machine is gone 3 times within 1m; "
            "not restarting it again");
  auto told = store_->messages().list(MessageQuery{.to = std::string(kUserMailbox)});
  ASSERT_TRUE(told);
  ASSERT_EQ(told->size(), 1u);
  EXPECT_EQ((*told)[0].type, "system");
  advance(milliseconds(3'600'000));
  EXPECT_EQ(launches(), 3u);
  EXPECT_EQ(all("agent.restarting").size(), 2u);
}

TEST_F(SupervisorOnTheClock, RestartsOlderThanTheWindowDoNotCount) {
  // Each restart comes 1 s after the last loss; a window of 0.9 s never holds two of them.
  configure(milliseconds(1000), 2, milliseconds(900));
  spawn_permanent();
  for (size_t i = 1; i <= 6; ++i) {
    ASSERT_EQ(launches(), i);
    auto restarting = all("agent.restarting");
    ASSERT_EQ(restarting.size(), i);
    // The count starts over each time: the delay stays the first one.
    EXPECT_EQ(restarting.back()["delay_ms"], 1000) << "restart " << i;
    advance(milliseconds(1000));
  }
  EXPECT_TRUE(all("agent.restart_gave_up").empty());
}

TEST_F(SupervisorOnTheClock, ADeletedAgentIsNotRestarted) {
  configure(milliseconds(1000), 5, milliseconds(60'000));
  spawn_permanent();
  ASSERT_EQ(all("agent.restarting").size(), 1u);
  ASSERT_TRUE(registry_->remove("kai"));
  settle();
  advance(milliseconds(5000));
  EXPECT_EQ(launches(), 1u);
}

// What a person configured is saved: the next daemon's supervisor starts with it, delivery
// settings included, and applies it on its clock.
TEST_F(SupervisorOnTheClock, SavedSettingsHoldAcrossARestart) {
  auto saved = supervisor_config_from_json(Json{{"restart_backoff", "250ms"},
                                                {"restart_limit", 1},
                                                {"recover_step", "45s"},
                                                {"delivery_timeout", "2s"},
                                                {"heartbeat", "5m"}});
  ASSERT_TRUE(saved);
  ASSERT_TRUE(testing::awaited(io_, supervisor_->configure(*saved)).value_or(Status()));
  supervisor_.reset();  // the daemon stops

  supervisor_ =
      std::make_unique<Supervisor>(io_, *store_, *bus_, *store_runner_, clock_, log_, *registry_);
  supervisor_->start();
  EXPECT_EQ(to_json(supervisor_->config()), to_json(*saved));
  spawn_permanent();
  advance(milliseconds(249));
  EXPECT_EQ(launches(), 1u);
  advance(milliseconds(1));
  EXPECT_EQ(launches(), 2u) << "the saved backoff was not applied";
  EXPECT_EQ(all("agent.restart_gave_up").size(), 1u);  // the saved limit: one restart
}

// Input a PUT /supervisor (or a team file) may not carry is refused with the key named.
TEST(SupervisorConfigInput, AContextPercentIsWrittenWithOrWithoutItsSign) {
  for (const Json& v : {Json("80%"), Json("80"), Json(80)}) {
    auto c = supervisor_config_from_json(Json{{"reset_at_context", v}});
    ASSERT_TRUE(c) << v;
    EXPECT_EQ(c->reset_at_context, 80);
    EXPECT_EQ(to_json(*c)["reset_at_context"], 80);
  }
  EXPECT_EQ(supervisor_config_from_json(Json::object())->reset_at_context, 0);  // off
}

TEST(SupervisorConfigInput, IsRefusedNamingTheKey) {
  struct Case {
    Json input;
    std::string says;
  };
  const std::vector<Case> cases = {
      {Json::array(), "supervisor must be an object"},
      {Json{{"heartbeat", "soon"}}, "supervisor.heartbeat"},
      {Json{{"heartbeat", -5}}, "supervisor.heartbeat must be a duration"},
      {Json{{"stuck_after", true}}, "supervisor.stuck_after must be a duration"},
      {Json{{"restart_limit", "3"}}, "supervisor.restart_limit must be a whole number"},
      {Json{{"restart_limit", -1}}, "supervisor.restart_limit must be a whole number"},
      {Json{{"restart_limit", 1.5}}, "supervisor.restart_limit must be a whole number"},
      {Json{{"delivery_attempts", 2'000'000}}, "supervisor.delivery_attempts"},
      {Json{{"recover_reassigns", nullptr}}, "supervisor.recover_reassigns"},
      {Json{{"heartbeats", "5m"}}, "unknown supervisor key 'heartbeats'"},
      {Json{{"reset_at_context", "80 percent"}}, "supervisor.reset_at_context must be a percent"},
      {Json{{"reset_at_context", 101}}, "supervisor.reset_at_context"},
      {Json{{"reset_at_context", "-5%"}}, "supervisor.reset_at_context"},
  };
  for (const auto& c : cases) {
    auto config = supervisor_config_from_json(c.input);
    ASSERT_FALSE(config) << c.input;
    EXPECT_EQ(config.error().code, "invalid_field") << c.input;
    EXPECT_NE(config.error().message.find(c.says), std::string::npos)
        << c.input << ": " << config.error().message;
  }
}

}  // namespace
}  // namespace bosun
