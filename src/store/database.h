// Database: one connection to bosun's database — an SQLite file (the embedded default) or a
// PostgreSQL server shared by several daemons — its migrations and its prepared statements.
// The table families write SQLite's spelling; a backend turns it into its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "util/result.h"

namespace bosun {

class Checkpointer;

// One schema step. `version` counts from 1; each step is additive (new tables, new columns
// with DEFAULT values) so older rows stay valid. PostgreSQL runs `sql` with its types spelled
// its way (database/pg_dialect.h), or `postgres` instead when the step needs words of its own.
struct Migration {
  int version;
  const char* sql;
  const char* postgres = nullptr;
};

// What a parameter bound as null would have held: PostgreSQL needs a type where the query
// alone can't tell one (`?3 IS NULL`).
enum class ValueType { kUnknown, kInt, kDouble, kText };

// A backend's prepared statement, owned and cached by its connection.
class PreparedStatement {
 public:
  virtual ~PreparedStatement() = default;
  virtual void bind_int(int index, int64_t value) = 0;
  virtual void bind_double(int index, double value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_null(int index, ValueType type) = 0;
  virtual Result<bool> step() = 0;
  virtual bool is_null(int column) const = 0;
  virtual int64_t get_int(int column) const = 0;
  virtual double get_double(int column) const = 0;
  virtual std::string get_text(int column) const = 0;
  // Back to unbound and unrun, for the next borrower.
  virtual void reset() = 0;
};

// A borrowed, cached prepared statement; resets and clears its bindings when it goes away.
class Statement {
 public:
  explicit Statement(PreparedStatement* stmt) : stmt_(stmt) {}
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  ~Statement() {
    if (stmt_) stmt_->reset();
  }

  // Bind by 1-based index.
  Statement& bind(int index, int64_t value) {
    stmt_->bind_int(index, value);
    return *this;
  }
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value) {
    stmt_->bind_double(index, value);
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    stmt_->bind_text(index, value);
    return *this;
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::nullptr_t) {
    stmt_->bind_null(index, ValueType::kUnknown);
    return *this;
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    stmt_->bind_null(index, std::is_floating_point_v<T> ? ValueType::kDouble
                            : std::is_integral_v<T>     ? ValueType::kInt
                                                        : ValueType::kText);
    return *this;
  }

  // Advances one row: true when a row is ready, false when done.
  Result<bool> step() { return stmt_->step(); }
  // Runs a statement that returns no rows.
  Status run() {
    auto r = step();
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  bool is_null(int column) const { return stmt_->is_null(column); }
  int64_t get_int(int column) const { return stmt_->get_int(column); }
  std::string get_text(int column) const { return stmt_->get_text(column); }
  std::optional<std::string> get_optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return get_text(column);
  }
  std::optional<int64_t> get_optional_int(int column) const {
    if (is_null(column)) return std::nullopt;
    return get_int(column);
  }
  std::optional<double> get_optional_double(int column) const {
    if (is_null(column)) return std::nullopt;
    return stmt_->get_double(column);
  }

 private:
  PreparedStatement* stmt_;
};

class Database {
 public:
  enum class Kind { kSqlite, kPostgres };

  virtual ~Database() = default;
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens `target` and applies every migration newer than its schema's version: a
  // `postgres://` or `postgresql://` URL is a PostgreSQL server, anything else an SQLite file
  // (created when missing; ":memory:" for one in memory).
  static Result<std::unique_ptr<Database>> open(const std::string& target,
                                                std::span<const Migration> migrations);
  static bool is_postgres(std::string_view target);

  virtual Kind kind() const = 0;
  // Returns the cached prepared statement for `sql`.
  virtual Result<Statement> prepare(std::string_view sql) = 0;
  // Runs one or more statements with no parameters.
  virtual Status exec(std::string_view sql) = 0;
  // Rows the last INSERT, UPDATE or DELETE changed.
  virtual int64_t changes() const = 0;
  // The schema's version: 0 for a new database.
  virtual Result<int> user_version() = 0;
  // The SQLite log's checkpointer; null for an in-memory database and PostgreSQL.
  virtual Checkpointer* checkpointer() const { return nullptr; }
  // Makes this connection's daemon, named `who`, the database's only one holding `key` (its
  // host's name) for as long as the connection lives; a conflict naming the daemon that holds
  // it otherwise. For an SQLite file, one daemon's, the state directory's lock does this.
  virtual Status hold_exclusive(const std::string& /*key*/, const std::string& /*who*/) {
    return {};
  }

  // A write transaction: one writer at a time, on every connection to the database (SQLite's
  // BEGIN IMMEDIATE; on PostgreSQL a lock of the whole database's writes, so that commits — and
  // the event log's sequence numbers — follow one order).
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

 protected:
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  virtual Status set_user_version(int version) = 0;
  // Applies what `migrations` has newer than the schema, each step in a transaction.
  Status migrate(std::span<const Migration> migrations);
  // The text a migration runs on this backend.
  virtual std::string migration_sql(const Migration& m) const = 0;
};

}  // namespace bosun
