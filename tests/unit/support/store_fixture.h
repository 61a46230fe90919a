// StoreFixture: what the tests of services over the store share — a real store (SQLite in a
// fresh temporary folder, or PostgreSQL: common/test_store.h), a manual clock, a quiet log, an
// event bus, and a recorder of every event the bus broadcasts.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/event_bus.h"
#include "store/store.h"
#include "store/store_runner.h"
#include "common/test_store.h"
#include "util/clock.h"
#include "util/ids.h"
#include "util/log.h"

namespace bosun::testing {

class EventRecorder : public EventSubscriber {
 public:
  void on_event(const Event& event) override { seen.push_back(event); }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : seen)
      out.push_back(e.type);
    return out;
  }
  // The data of the latest event of `type`, or null.
  Json last(const std::string& type) const {
    for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
      if (it->type == type) return event_data(*it);
    }
    return Json();
  }
  std::vector<Event> seen;
};

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("bosun-unit-");
    std::filesystem::create_directories(dir_);
    target_ = test_store_target(dir_);
    ASSERT_FALSE(target_.empty());
    auto s = Store::open(target_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    log_.set_stderr_enabled(false);
    bus_ = std::make_unique<EventBus>(store_->events(), clock_, log_);
    bus_->subscribe(&events_);
    store_runner_ = std::make_unique<StoreRunner>(*store_, *bus_);
  }
  void TearDown() override {
    store_runner_.reset();
    bus_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Inserts an agent record named `name` with id `id`.
  void add_agent(const std::string& id, const std::string& name) {
    AgentRecord a;
    a.id = id;
    a.name = name;
    a.created_at_ms = 1;
    ASSERT_TRUE(store_->agents().insert(a));
  }

  std::filesystem::path dir_;
  std::string target_;  // the store's file or URL (common/test_store.h)
  std::unique_ptr<Store> store_;
  ManualClock clock_;
  Log log_{"test"};
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<StoreRunner> store_runner_;  // inline, on store_ and bus_
  EventRecorder events_;
};

}  // namespace bosun::testing
