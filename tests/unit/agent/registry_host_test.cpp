// AgentRegistry over a HolderHost of the test's own: where a holder runs is a seam, and the
// registry's side of a launch that fails — the run lost with the host's reason, the state
// machine's moves and events — holds whatever the host is.
#include "agent/registry.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include "support/no_machine.h"
#include "support/store_fixture.h"

namespace bosun {
namespace {

class RegistryOnAHost : public testing::RegistryOnNoMachine {
 protected:
  Result<AgentView> spawn(SpawnRequest req) {
    std::optional<Result<AgentView>> out;
    boost::asio::co_spawn(
        io_, registry_->spawn(std::move(req)),
        [&out](const std::exception_ptr&, Result<AgentView> r) { out = std::move(r); });
    io_.run();
    io_.restart();
    EXPECT_TRUE(out.has_value());
    return out.value_or(internal("no_result", "spawn never finished"));
  }
  SpawnRequest request(const std::string& cwd) {
    SpawnRequest req;
    req.name = "kai";
    req.argv = {"/bin/sh"};
    req.cwd = cwd;
    req.env = {{"EDITOR", "vi"}};
    return req;
  }
};

TEST_F(RegistryOnAHost, AHostThatCannotLaunchLeavesTheAgentLostWithItsReason) {
  auto spawned = spawn(request(dir_.string()));
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().code, "holder_unavailable");
  // The host was asked for exactly this run, with the agent's own environment.
  ASSERT_EQ(host_->launched.size(), 1u);
  EXPECT_EQ(host_->launched[0].argv, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(host_->launched[0].env.at("EDITOR"), "vi");
  EXPECT_EQ(host_->launched[0].env.at("BOSUN_AGENT"), "kai");
  auto view = registry_->view("kai");
  ASSERT_TRUE(view);
  EXPECT_EQ(view->state, AgentState::kLost);
  EXPECT_EQ(why_not_running(*view), "was lost: cannot start a holder: the machine is gone");
  EXPECT_EQ(store_->agents().find("kai")->state, "lost");
  // A new agent is recorded as starting; the failed launch moves it to lost.
  EXPECT_EQ(events_.types(),
            (std::vector<std::string>{"agent.created", "agent.lost", "agent.state"}));
  EXPECT_EQ(events_.last("agent.state")["from"], "starting");
  EXPECT_EQ(events_.last("agent.state")["state"], "lost");
  EXPECT_EQ(events_.last("agent.lost")["reason"], "cannot start a holder: the machine is gone");
  // Input to a lost agent is refused with why.
  auto typed = registry_->input("kai", "ls", true);
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(typed.error().message,
            "agent kai was lost: cannot start a holder: the machine is gone");
}

TEST_F(RegistryOnAHost, AFolderTheHostRefusesIsInvalidAndStoresNothing) {
  auto spawned = spawn(request("/somewhere/else"));
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().code, "invalid_cwd");
  EXPECT_TRUE(host_->launched.empty());
  EXPECT_FALSE(registry_->view("kai"));
  EXPECT_FALSE(store_->agents().find("kai"));
  EXPECT_TRUE(events_.seen.empty());
}

// A stop that arrives after a restart was asked for but before the new run's launch has begun
// is kept for the launch, not refused for an agent that is "not running" — else the agent
// comes back up although a person stopped it.
TEST_F(RegistryOnAHost, AStopRightAfterARestartWaitsForTheLaunch) {
  ASSERT_FALSE(spawn(request(dir_.string())));  // lost: the host cannot launch
  ASSERT_TRUE(registry_->restart("kai"));
  auto stopped = registry_->stop("kai", 1000);  // before the loop ran the launch
  EXPECT_TRUE(stopped) << stopped.error().message;
  io_.run();
  io_.restart();
  EXPECT_EQ(host_->launched.size(), 2u);
  EXPECT_EQ(registry_->view("kai")->state, AgentState::kLost);
}

}  // namespace
}  // namespace bosun
