// SqliteDatabase: the embedded default — one SQLite file (WAL, busy_timeout, foreign keys),
// its statements prepared once and cached, its log checkpointed off the caller's thread.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "store/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace bosun {

class SqliteDatabase final : public Database {
 public:
  // Opens (creating) the file. A file's log is checkpointed by a Checkpointer thread, never
  // inside a commit on the caller's thread.
  static Result<std::unique_ptr<SqliteDatabase>> open(const std::string& path);
  ~SqliteDatabase() override;

  Kind kind() const override { return Kind::kSqlite; }
  Result<Statement> prepare(std::string_view sql) override;
  Status exec(std::string_view sql) override;
  int64_t changes() const override;
  Result<int> user_version() override;
  Checkpointer* checkpointer() const override { return checkpointer_.get(); }

  // The connection's last error as an Error.
  tl::unexpected<Error> last_error(std::string_view what) const;

 protected:
  Status begin() override;
  Status commit() override;
  void rollback() override;
  Status set_user_version(int version) override;
  std::string migration_sql(const Migration& m) const override { return m.sql; }

 private:
  class Prepared;
  explicit SqliteDatabase(sqlite3* db);

  sqlite3* db_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unordered_map<std::string, std::unique_ptr<Prepared>> statements_;
};

}  // namespace bosun
