// TestStore: where a test's store lives — an SQLite file in the test's folder, or, with
// BOSUN_TEST_STORE=postgres, a database of its own on a PostgreSQL cluster this test process
// starts once (PgServer) and stops at its exit. The `unit.postgres` and `e2e.postgres` tests
// run their suites that way.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/pg_server.h"
#include "store/database.h"
#include "util/ids.h"

namespace bosun::testing {

inline bool test_store_is_postgres() {
  const char* kind = std::getenv("BOSUN_TEST_STORE");
  return kind && std::string_view(kind) == "postgres";
}

// The store for the folder `dir` (a unit test's, a daemon's state directory): the same target
// each time it is asked for the same folder (a test reopens its store, a daemon restarts), a
// new one for another. When PostgreSQL was asked for and
// can't be started, the test fails saying why, and the target is empty.
inline std::string test_store_target(const std::filesystem::path& dir) {
  if (!test_store_is_postgres()) return (dir / "bosun.db").string();
  // Stopped, and its folder removed, when the test process exits.
  struct Cluster {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / new_id("bosun-pg-");
    std::unique_ptr<PgServer> server;
    ~Cluster() {
      server.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static Cluster cluster;
  auto& server = cluster.server;
  static std::string failed;
  static std::map<std::filesystem::path, std::string> targets;
  if (auto known = targets.find(dir); known != targets.end()) return known->second;
  if (!server && failed.empty()) {
    auto started = PgServer::start(cluster.dir);
    if (started) {
      server = std::move(*started);
    } else {
      failed = started.error().message;
    }
  }
  if (!server) {
    ADD_FAILURE() << "PostgreSQL for the tests: " << failed;
    return {};
  }
  std::string name = "t_" + new_id("");
  auto admin = Database::open(server->url("postgres"), {});
  if (!admin) {
    ADD_FAILURE() << admin.error().message;
    return {};
  }
  if (auto made = (*admin)->exec("CREATE DATABASE " + name); !made) {
    ADD_FAILURE() << made.error().message;
    return {};
  }
  return targets[dir] = server->url(name);
}

}  // namespace bosun::testing
