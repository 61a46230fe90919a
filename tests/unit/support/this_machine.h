// CrewOnThisMachine: the registry on this machine's real holders (`bosun hold`, real PTYs and
// programs), with the supervisor, the delivery engine and the dialog answers on the fixture's
// manual clock. The
// programs run in real time; every deadline of the crew's policies moves only when the test
// advances the clock, so a test can say "not before 999 ms" and mean it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/holder_host.h"
#include "agent/registry.h"
#include "crew/delivery.h"
#include "crew/dialog_answers.h"
#include "crew/supervisor.h"
#include "support/no_machine.h"
#include "support/store_fixture.h"
#include "term/process_tree.h"
#include "util/files.h"
#include "util/state_dir.h"

#ifndef BOSUN_BINARY
#error "BOSUN_BINARY must name the bosun executable"
#endif

namespace bosun::testing {

class CrewOnThisMachine : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    state_ = StateDir{dir_ / ".bosun"};
    ASSERT_TRUE(create_state_dirs(state_));
    auto lock = StateLock::acquire(state_);  // holders watch the daemon's lock
    ASSERT_TRUE(lock) << lock.error().message;
    lock_ = std::make_unique<StateLock>(std::move(*lock));
    registry_ = std::make_unique<AgentRegistry>(io_, *store_, *store_runner_, clock_, log_, tokens_,
                                                state_, BOSUN_BINARY);
  }
  void TearDown() override {
    stop_crew();
    for (const auto& a : registry_->views()) {
      if (a.live()) (void)registry_->stop(a.id(), 200);
    }
    run_until([&] {
      for (const auto& a : registry_->views()) {
        if (a.live()) return false;
      }
      return true;
    });
    registry_.reset();
    io_.restart();
    io_.poll();
    lock_.reset();
    reap_holders();
    StoreFixture::TearDown();
  }
  // What a test left behind — a holder lingering for a daemon to collect its agent's exit, an
  // agent whose stop waited on the manual clock — is killed: the holders named by this test's
  // own folder and everything in their agents' sessions.
  void reap_holders() {
    const std::string marker = (dir_ / ".bosun" / "run").string();
    auto procs = term::scan_processes();
    std::vector<pid_t> ours;
    for (const auto& p : procs) {
      auto cmdline = read_file("/proc/" + std::to_string(p.pid) + "/cmdline");
      if (!cmdline || cmdline->find(marker) == std::string::npos) continue;
      ours.push_back(p.pid);
      for (pid_t member : term::tree_members(procs, -1, p.pid))
        ours.push_back(member);
    }
    term::signal_all(ours, SIGKILL);
  }

  // The supervisor and the delivery engine, as the daemon wires them.
  void start_crew(DeliveryOptions options = {}) {
    delivery_ = std::make_unique<DeliveryEngine>(io_, *store_, *bus_, *store_runner_, clock_, log_,
                                                 *registry_, options);
    supervisor_ = std::make_unique<Supervisor>(io_, *store_, *bus_, *store_runner_, clock_, log_,
                                               *registry_, delivery_.get());
    dialogs_ = std::make_unique<DialogAnswers>(io_, *store_, *bus_, *store_runner_, clock_, log_,
                                               *registry_);
    delivery_->start();
    supervisor_->start();
    dialogs_->start();
  }
  // As a daemon that stops: the crew's engines go, the agents run on.
  void stop_crew() {
    dialogs_.reset();
    supervisor_.reset();
    delivery_.reset();
  }

  // Runs the loop (in real time: the programs are real) until `done`, for at most `timeout`.
  // Each turn moves the manual clock by `tick`, so waits on it come due as the programs work.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(15),
                 std::chrono::milliseconds tick = std::chrono::milliseconds(0)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
      if (tick.count() > 0) clock_.advance(tick);
    }
    return true;
  }
  // Lets what is ready run, without waiting for anything.
  void settle() {
    for (int i = 0; i < 1000; ++i) {
      io_.restart();
      if (io_.poll() == 0) return;
    }
  }
  void advance(std::chrono::milliseconds d) {
    clock_.advance(d);
    settle();
  }

  AgentView spawn(SpawnRequest req) {
    if (req.cwd.empty()) req.cwd = dir_.string();
    std::optional<Result<AgentView>> out;
    boost::asio::co_spawn(
        io_, registry_->spawn(std::move(req)),
        [&out](const std::exception_ptr&, Result<AgentView> r) { out = std::move(r); });
    EXPECT_TRUE(run_until([&] { return out.has_value(); }));
    if (!out || !*out) {
      ADD_FAILURE() << "spawn failed: " << (out ? out->error().message : "never finished");
      return AgentView{};
    }
    return **out;
  }
  // `bosun sim-agent` with the sim profile: an agent CLI the supervisor types into.
  AgentView spawn_sim(const std::string& name, std::vector<std::string> flags = {},
                      bool permanent = false) {
    SpawnRequest req;
    req.name = name;
    req.profile = "sim";
    req.argv = {BOSUN_BINARY, "sim-agent", "--work-ms", "50"};
    req.argv.insert(req.argv.end(), flags.begin(), flags.end());
    req.permanent = permanent;
    return spawn(std::move(req));
  }
  AgentState state(const std::string& name) const {
    auto v = registry_->view(name);
    return v ? v->state : AgentState::kLost;
  }
  // Runs until agent `name` is in state `s`; `tick` as for run_until (a screen is read as
  // idle once it has been quiet for a while on the clock).
  bool reaches(const std::string& name, AgentState s,
               std::chrono::milliseconds tick = std::chrono::milliseconds(0)) {
    return run_until([&] { return state(name) == s; }, std::chrono::seconds(15), tick);
  }
  std::vector<Json> all(const std::string& type) const {
    std::vector<Json> out;
    for (const auto& e : events_.seen) {
      if (e.type == type) out.push_back(event_data(e));
    }
    return out;
  }
  std::string screen_text(const std::string& name) {
    auto s = registry_->screen(name);
    return s ? (*s)["lines"].dump() : "";
  }

  boost::asio::io_context io_;
  StateDir state_;
  std::unique_ptr<StateLock> lock_;
  NoTokens tokens_;
  std::unique_ptr<AgentRegistry> registry_;
  std::unique_ptr<DeliveryEngine> delivery_;
  std::unique_ptr<Supervisor> supervisor_;
  std::unique_ptr<DialogAnswers> dialogs_;
};

}  // namespace bosun::testing
