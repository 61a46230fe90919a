// Database: the one SQLite connection, its migrations and its prepared statements.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace bosun {

class Checkpointer;

// One schema step. `version` counts from 1; each step is additive (new tables,
// new columns with DEFAULT values) so older rows stay valid.
struct Migration {
  int version;
  const char* sql;
};

class Database;

// A borrowed, cached prepared statement; resets and clears its bindings when it goes away.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  ~Statement();

  // Bind by 1-based index.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::nullptr_t);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    return bind(index, nullptr);
  }

  // Advances one row: true when a row is ready, false when done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Status run();

  bool is_null(int column) const;
  int64_t get_int(int column) const;
  std::string get_text(int column) const;
  std::optional<std::string> get_optional_text(int column) const;
  std::optional<int64_t> get_optional_int(int column) const;
  std::optional<double> get_optional_double(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating) the file, sets WAL, busy_timeout and foreign keys, then
  // applies every migration newer than the file's `PRAGMA user_version`. A file's log is
  // checkpointed by a Checkpointer thread, never inside a commit on the caller's thread.
  static Result<std::unique_ptr<Database>> open(const std::string& path,
                                                std::span<const Migration> migrations);

  // Returns the cached prepared statement for `sql`.
  Result<Statement> prepare(std::string_view sql);
  // Runs one or more statements with no parameters.
  Status exec(std::string_view sql);

  int64_t last_insert_rowid() const;
  // The log's checkpointer; null for an in-memory database.
  Checkpointer* checkpointer() const { return checkpointer_.get(); }
  int64_t changes() const;
  Result<int> user_version();

  // BEGIN IMMEDIATE … COMMIT, rolled back when not committed.
  class Transaction {
   public:
    explicit Transaction(Database& db) : db_(&db) {}
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    Status begin();
    Status commit();

   private:
    Database* db_;
    bool open_ = false;
  };

  // Turns the connection's last error into an Error (used by Statement).
  tl::unexpected<Error> last_error(std::string_view what) const;

 private:
  explicit Database(sqlite3* db);
  Status migrate(std::span<const Migration> migrations);

  sqlite3* db_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace bosun
