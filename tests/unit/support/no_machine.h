// NoMachine: a HolderHost with no machine behind it — cwds it does not know are refused and
// every launch fails — so the registry's side of a lost run, and what reacts to it (the
// supervisor's restarts), can be tested without processes. NoTokens: an agent token sink that
// keeps nothing. RegistryOnNoMachine: the fixture that puts them together.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/holder_host.h"
#include "agent/registry.h"
#include "support/store_fixture.h"

namespace bosun::testing {

class NoTokens : public AgentTokenSink {
 public:
  void add_agent_token(const std::string&, const std::string&) override {}
  void remove_agent_token(const std::string&) override {}
};

// A host with no machine behind it: cwds it does not know are refused, and no holder starts.
class NoMachine final : public HolderHost {
 public:
  explicit NoMachine(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status check_cwd(const std::string& cwd) const override {
    if (cwd != dir_.string()) return bad_request("invalid_cwd", "unknown here: " + cwd);
    return {};
  }
  Status check_program(const std::string&, const std::string&,
                       const std::map<std::string, std::string>&) const override {
    return {};
  }
  Status check_sandbox(const SandboxPolicy& policy) const override {
    if (policy.enabled()) return bad_request("sandbox_unavailable", "no sandbox on no machine");
    return {};
  }
  std::string socket_path(const std::string& agent_id, int64_t generation) const override {
    return (dir_ / (agent_id + "-" + std::to_string(generation) + ".sock")).string();
  }
  std::string log_path(const std::string& agent_name, int64_t generation) const override {
    return (dir_ / (agent_name + "-" + std::to_string(generation) + ".log")).string();
  }
  boost::asio::awaitable<Result<HolderStarted>> launch(const HolderSpec& spec,
                                                       const std::string&) override {
    launched.push_back(spec);
    co_return internal("holder_unavailable", "cannot start a holder: the machine is gone");
  }
  std::shared_ptr<term::HolderClient> client(const std::string&, const std::string&) override {
    ADD_FAILURE() << "no holder started, so none is connected to";
    return nullptr;
  }
  int reap(const std::string&, int64_t, const std::string&, int64_t) override { return 0; }
  std::vector<HolderSpec> launched;

 private:
  std::filesystem::path dir_;
};

// A store, and an AgentRegistry over a NoMachine host, driven by the fixture's io_context.
class RegistryOnNoMachine : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    auto host = std::make_unique<NoMachine>(dir_);
    host_ = host.get();
    registry_ =
        std::make_unique<AgentRegistry>(io_, *store_, *store_runner_, clock_, log_, tokens_,
                                        StateDir{dir_ / ".bosun"}, "/bin/true", std::move(host));
  }
  void TearDown() override {
    registry_.reset();
    StoreFixture::TearDown();
  }

  boost::asio::io_context io_;
  NoTokens tokens_;
  NoMachine* host_ = nullptr;
  std::unique_ptr<AgentRegistry> registry_;
};

}  // namespace bosun::testing
