// A PostgreSQL cluster of a test's own, for the suites whose daemons share a store
// (`serve --store`): started in SetUp, stopped and removed in TearDown. Its folder sits directly
// under the temporary folder rather than in a test's: run as root, the cluster belongs to
// `nobody`, who can't reach into a folder only root may enter.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "common/pg_server.h"
#include "util/ids.h"

namespace bosun::e2e {

class PgCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PgServer::binaries()) {
      GTEST_SKIP() << "PostgreSQL is not installed here (scripts/deps installs it)";
    }
    auto pg = testing::PgServer::start(dir_);
    ASSERT_TRUE(pg) << pg.error().message;
    pg_ = std::move(*pg);
  }
  void TearDown() override {
    pg_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / new_id("bosun-pg-");
  std::unique_ptr<testing::PgServer> pg_;
};

}  // namespace bosun::e2e
