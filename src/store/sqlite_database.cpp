// SqliteDatabase: SQLite behind Result; no SQLite code leaves store/.
#include "store/sqlite_database.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "store/checkpointer.h"

namespace bosun {
namespace {

// SQLite's own default threshold for its automatic checkpoint (about 4 MiB of log).
constexpr int kCheckpointPages = 1000;

int note_commit(void* checkpointer, sqlite3* /*db*/, const char* /*name*/, int pages) {
  static_cast<Checkpointer*>(checkpointer)->note_commit(pages);
  return SQLITE_OK;
}

}  // namespace

class SqliteDatabase::Prepared final : public PreparedStatement {
 public:
  Prepared(SqliteDatabase* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Prepared() override { sqlite3_finalize(stmt_); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  void bind_int(int index, int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bind_double(int index, double value) override { sqlite3_bind_double(stmt_, index, value); }
  void bind_text(int index, std::string_view value) override {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index, ValueType /*type*/) override { sqlite3_bind_null(stmt_, index); }

  Result<bool> step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->last_error(sqlite3_sql(stmt_));
  }

  bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  int64_t get_int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double get_double(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string get_text(int column) const override {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (!text) return {};
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  SqliteDatabase* db_;
  sqlite3_stmt* stmt_;
};

SqliteDatabase::SqliteDatabase(sqlite3* db) : db_(db) {}

SqliteDatabase::~SqliteDatabase() {
  // The checkpointer's connection closes first; the last close checkpoints what is left.
  checkpointer_.reset();
  statements_.clear();
  sqlite3_close_v2(db_);
}

tl::unexpected<Error> SqliteDatabase::last_error(std::string_view what) const {
  int rc = sqlite3_extended_errcode(db_);
  std::string message = fmt::format("database error: {} ({})", sqlite3_errmsg(db_), what);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fail(ErrorKind::kUnavailable, "storage_busy", message);
    case SQLITE_CONSTRAINT:
      return conflict("constraint_violation", message);
    case SQLITE_FULL:
      return fail(ErrorKind::kNoSpace, "storage_full", message);
    default:
      return internal("storage_error", message);
  }
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return internal("storage_open_failed", "cannot open " + path + ": " + message);
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(raw));
  sqlite3_extended_result_codes(raw, 1);
  TRY_OK(
      db->exec("PRAGMA journal_mode=WAL;"
               "PRAGMA synchronous=NORMAL;"
               "PRAGMA busy_timeout=5000;"
               "PRAGMA foreign_keys=ON;"));
  // A file in WAL mode (not ":memory:"): its checkpoints move off this thread. Replacing the
  // WAL hook turns SQLite's automatic checkpoint off for this connection.
  const char* file = sqlite3_db_filename(raw, "main");
  if (file && *file) {
    TRY(checkpointer, Checkpointer::start(file, kCheckpointPages));
    db->checkpointer_ = std::move(*checkpointer);
    sqlite3_wal_hook(raw, note_commit, db->checkpointer_.get());
  }
  return db;
}

Result<Statement> SqliteDatabase::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return Statement(it->second.get());
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return last_error(key);
  }
  auto& slot = statements_[key];
  slot = std::make_unique<Prepared>(this, stmt);
  return Statement(slot.get());
}

Status SqliteDatabase::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown";
    sqlite3_free(err);
    auto e = last_error(text.substr(0, 60));
    e.value().message = "database error: " + message;
    return e;
  }
  return {};
}

int64_t SqliteDatabase::changes() const {
  return sqlite3_changes64(db_);
}

Result<int> SqliteDatabase::user_version() {
  TRY(stmt, prepare("PRAGMA user_version"));
  TRY(row, stmt->step());
  return static_cast<int>(stmt->get_int(0));
}

Status SqliteDatabase::set_user_version(int version) {
  return exec(fmt::format("PRAGMA user_version={}", version));
}

Status SqliteDatabase::begin() {
  return exec("BEGIN IMMEDIATE");
}

Status SqliteDatabase::commit() {
  return exec("COMMIT");
}

void SqliteDatabase::rollback() {
  (void)exec("ROLLBACK");
}

}  // namespace bosun
