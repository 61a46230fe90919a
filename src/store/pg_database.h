// PgDatabase: one connection to a PostgreSQL server that several daemons share (libpq). A
// statement is SQLite's spelling turned into PostgreSQL's once (pg_dialect.h), then run with
// typed parameters. Writes take the database's write lock (an advisory lock held until commit),
// as SQLite's BEGIN IMMEDIATE does on one file: every daemon's transactions commit one after
// another, so the event log's sequence numbers are handed out in commit order and a reader
// that has read up to n never misses an n-1 committed late. A write outside a transaction is
// one transaction of its own. A lost connection is opened again at the next statement; what a
// transaction had written when its connection went is rolled back by the server, and the
// statement that found it gone fails as unavailable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "store/database.h"

struct pg_conn;
struct pg_result;

namespace bosun {

class PgDatabase final : public Database {
 public:
  // Connects to `url` (postgres://… or postgresql://…, libpq's URI form) and makes sure the
  // schema's version row exists.
  static Result<std::unique_ptr<PgDatabase>> open(const std::string& url);
  ~PgDatabase() override;

  Kind kind() const override { return Kind::kPostgres; }
  Result<Statement> prepare(std::string_view sql) override;
  Status exec(std::string_view sql) override;
  int64_t changes() const override { return changes_; }
  Result<int> user_version() override;
  // A session advisory lock per key, taken again when the connection is opened again; the
  // holder is named by its application_name.
  Status hold_exclusive(const std::string& key, const std::string& who) override;

 protected:
  Status begin() override;
  Status commit() override;
  void rollback() override;
  Status set_user_version(int version) override;
  std::string migration_sql(const Migration& m) const override;

 private:
  class Prepared;
  explicit PgDatabase(pg_conn* conn);

  // The connection, opened again when it was lost; unavailable when the server can't be
  // reached.
  Status connected();
  // `result` as a Status: its error mapped to bosun's kinds; the count of changed rows noted.
  Status check(pg_result* result, std::string_view what);
  // Runs `sql` (no parameters) and checks it.
  Status run_simple(std::string_view sql);
  // Takes the daemon's lock on this connection; who holds it when another daemon does.
  Status take_exclusive();

  pg_conn* conn_;
  bool in_transaction_ = false;
  std::string exclusive_key_;     // what this connection's daemon holds (its host's name)…
  std::string exclusive_for_;     // …and who it is
  uint64_t connection_ = 1;       // counts the connections opened, for prepared statements
  uint64_t statements_made_ = 0;  // names the prepared statements
  std::chrono::steady_clock::time_point last_attempt_;  // the last failed reconnection
  int64_t changes_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Prepared>> statements_;
};

}  // namespace bosun
