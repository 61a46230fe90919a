// Database: migrations by user_version, upgrades of an old file, error conversion.
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/checkpointer.h"
#include "store/schema.h"
#include "util/ids.h"

namespace bosun {
namespace {

class TempDb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / new_id("bosun-db-");
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "bosun.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

const Migration kV1[] = {
    {1, "CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL);"},
};
const Migration kV2[] = {
    {1, "CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL);"},
    {2, "ALTER TABLE things ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue';"},
};

TEST_F(TempDb, FreshFileGetsLatestVersion) {
  auto db = Database::open(path_, schema_migrations());
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->user_version(), schema_migrations().back().version);
}

TEST_F(TempDb, UpgradesOldSchemaKeepingRows) {
  {
    auto db = Database::open(path_, kV1);
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->exec("INSERT INTO things VALUES('a', 'anchor')"));
    EXPECT_EQ(*(*db)->user_version(), 1);
  }
  auto db = Database::open(path_, kV2);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->user_version(), 2);
  auto stmt = (*db)->prepare("SELECT name, colour FROM things WHERE id = ?");
  ASSERT_TRUE(stmt);
  stmt->bind(1, "a");
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->get_text(0), "anchor");
  EXPECT_EQ(stmt->get_text(1), "blue");
}

// Migration 13 counts, for the tasks already there, the dependencies not done; from then on the
// triggers keep the count, a dependency's row deleted too.
TEST_F(TempDb, WaitingIsCountedForOldTasksAndKeptByTheTriggers) {
  auto all = schema_migrations();
  ASSERT_GE(all.size(), 13u);
  {
    auto db = Database::open(path_, all.first(12));
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(
        (*db)->exec("INSERT INTO tasks(id, title, status, created_at, updated_at) VALUES"
                    " ('t_open', 'open', 'pending', 1, 1), ('t_done', 'done', 'done', 1, 1),"
                    " ('t_both', 'both', 'pending', 1, 1), ('t_one', 'one', 'pending', 1, 1);"
                    "INSERT INTO task_deps(task_id, depends_on) VALUES"
                    " ('t_both', 't_open'), ('t_both', 't_done'), ('t_one', 't_done');"));
  }
  auto db = Database::open(path_, all);
  ASSERT_TRUE(db) << db.error().message;
  auto waiting = [&](const char* id) {
    auto stmt = (*db)->prepare("SELECT waiting FROM tasks WHERE id = ?");
    EXPECT_TRUE(stmt);
    stmt->bind(1, id);
    EXPECT_TRUE(*stmt->step()) << id;
    return stmt->get_int(0);
  };
  EXPECT_EQ(waiting("t_both"), 1);
  EXPECT_EQ(waiting("t_one"), 0);
  EXPECT_EQ(waiting("t_open"), 0);
  ASSERT_TRUE((*db)->exec("UPDATE tasks SET status = 'pending' WHERE id = 't_done'"));
  EXPECT_EQ(waiting("t_both"), 2);
  EXPECT_EQ(waiting("t_one"), 1);
  // The cascade from a deleted dependency recounts as well.
  ASSERT_TRUE((*db)->exec("DELETE FROM tasks WHERE id = 't_open'"));
  EXPECT_EQ(waiting("t_both"), 1);
  ASSERT_TRUE((*db)->exec("UPDATE tasks SET status = 'done' WHERE id = 't_done'"));
  EXPECT_EQ(waiting("t_both"), 0);
  EXPECT_EQ(waiting("t_one"), 0);
}

// Migration 7 drops columns nothing read; the rows stay, and the other columns with them.
TEST_F(TempDb, DroppingUnusedColumnsKeepsAgentsAndTasks) {
  auto all = schema_migrations();
  ASSERT_GE(all.size(), 7u);
  {
    auto db = Database::open(path_, all.first(6));
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO agents(id, name, argv, cwd, created_at, worktree, branch, native_session_id)"
        " VALUES('ag_a', 'kai', '[]', '/', 1, '/w', 'bosun/kai', 'sess');"
        "INSERT INTO tasks(id, title, created_at, updated_at, resources)"
        " VALUES('t_a', 'Keep me', 1, 1, '[\"gpu\"]');"));
  }
  auto db = Database::open(path_, all);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->user_version(), all.back().version);
  auto agent = (*db)->prepare("SELECT name FROM agents WHERE id = 'ag_a'");
  ASSERT_TRUE(agent);
  ASSERT_TRUE(*agent->step());
  EXPECT_EQ(agent->get_text(0), "kai");
  auto task = (*db)->prepare("SELECT title FROM tasks WHERE id = 't_a'");
  ASSERT_TRUE(task);
  ASSERT_TRUE(*task->step());
  EXPECT_EQ(task->get_text(0), "Keep me");
  auto gone = (*db)->prepare(
      "SELECT COUNT(*) FROM pragma_table_info('agents') WHERE name IN ('worktree', 'branch',"
      " 'native_session_id')");
  ASSERT_TRUE(gone);
  ASSERT_TRUE(*gone->step());
  EXPECT_EQ(gone->get_int(0), 0);
}

TEST_F(TempDb, RefusesSchemaNewerThanBinary) {
  { ASSERT_TRUE(Database::open(path_, kV2)); }
  auto db = Database::open(path_, kV1);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, "schema_too_new");
}

TEST_F(TempDb, FailedMigrationRollsBack) {
  const Migration broken[] = {
      {1, "CREATE TABLE things (id TEXT PRIMARY KEY);"},
      {2, "CREATE TABLE more (x INT); THIS IS NOT SQL;"},
  };
  auto db = Database::open(path_, broken);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("migration 2"), std::string::npos);
  auto again = Database::open(path_, kV1);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*(*again)->user_version(), 1);
  auto stmt = (*again)->prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'more'");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->get_int(0), 0);
}

TEST_F(TempDb, ConstraintViolationIsConflict) {
  auto db = Database::open(path_, kV1);
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->exec("INSERT INTO things VALUES('a', 'x')"));
  auto again = (*db)->exec("INSERT INTO things VALUES('a', 'y')");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
}

TEST_F(TempDb, UsesWalAndForeignKeys) {
  auto db = Database::open(path_, kV1);
  ASSERT_TRUE(db);
  auto mode = (*db)->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->get_text(0), "wal");
  auto fk = (*db)->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(*fk->step());
  EXPECT_EQ(fk->get_int(0), 1);
}

TEST_F(TempDb, TheLogIsCheckpointedByItsOwnThreadAndNothingIsLost) {
  const Migration blobs[] = {{1, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);"}};
  constexpr int kRows = 3000;  // 4 KiB each: about three times the checkpoint threshold
  {
    auto db = Database::open(path_, blobs);
    ASSERT_TRUE(db);
    Checkpointer* checkpointer = (*db)->checkpointer();
    ASSERT_NE(checkpointer, nullptr);
    std::string data(4096, 'x');
    for (int i = 0; i < kRows; ++i) {
      Database::Transaction tx(**db);
      ASSERT_TRUE(tx.begin());
      auto insert = (*db)->prepare("INSERT INTO blobs (id, data) VALUES (?, ?)");
      ASSERT_TRUE(insert);
      ASSERT_TRUE(insert->bind(1, i).bind(2, data).run());
      ASSERT_TRUE(tx.commit());
    }
    EXPECT_TRUE(checkpointer->wait_completed(1, std::chrono::seconds(20)));
    EXPECT_EQ(checkpointer->failed(), 0);
  }
  // What was committed is all there, whether it was checkpointed by the thread or at close.
  auto again = Database::open(path_, blobs);
  ASSERT_TRUE(again);
  auto count = (*again)->prepare("SELECT count(*), sum(length(data)) FROM blobs");
  ASSERT_TRUE(*count->step());
  EXPECT_EQ(count->get_int(0), kRows);
  EXPECT_EQ(count->get_int(1), int64_t{kRows} * 4096);
}

TEST(Database, AnInMemoryDatabaseHasNoCheckpointer) {
  auto db = Database::open(":memory:", kV1);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->checkpointer(), nullptr);
}

}  // namespace
}  // namespace bosun
