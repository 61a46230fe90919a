// Database: SQLite behind Result; no SQLite code leaves store/.
#include "store/database.h"

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

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement::~Statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->last_error(sqlite3_sql(stmt_));
}

Status Statement::run() {
  auto r = step();
  if (!r) return tl::unexpected(r.error());
  return {};
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::get_int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::get_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> Statement::get_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return get_text(column);
}

std::optional<double> Statement::get_optional_double(int column) const {
  if (is_null(column)) return std::nullopt;
  return sqlite3_column_double(stmt_, column);
}

std::optional<int64_t> Statement::get_optional_int(int column) const {
  if (is_null(column)) return std::nullopt;
  return get_int(column);
}

Database::Database(sqlite3* db) : db_(db) {}

Database::~Database() {
  // The checkpointer's connection closes first; the last close checkpoints what is left.
  checkpointer_.reset();
  for (auto& [sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

tl::unexpected<Error> Database::last_error(std::string_view what) const {
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

Result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                 std::span<const Migration> migrations) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    return internal("storage_open_failed", "cannot open " + path + ": " + message);
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_extended_result_codes(raw, 1);
  auto pragmas = db->exec(
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "PRAGMA busy_timeout=5000;"
      "PRAGMA foreign_keys=ON;");
  if (!pragmas) return tl::unexpected(pragmas.error());
  if (auto m = db->migrate(migrations); !m) return tl::unexpected(m.error());
  // A file in WAL mode (not ":memory:"): its checkpoints move off this thread. Replacing the
  // WAL hook turns SQLite's automatic checkpoint off for this connection.
  const char* file = sqlite3_db_filename(raw, "main");
  if (file && *file) {
    auto checkpointer = Checkpointer::start(file, kCheckpointPages);
    if (!checkpointer) return tl::unexpected(checkpointer.error());
    db->checkpointer_ = std::move(*checkpointer);
    sqlite3_wal_hook(raw, note_commit, db->checkpointer_.get());
  }
  return db;
}

Result<Statement> Database::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it != statements_.end()) return Statement(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return last_error(key);
  }
  statements_.emplace(key, stmt);
  return Statement(this, stmt);
}

Status Database::exec(std::string_view sql) {
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

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}
int64_t Database::changes() const {
  return sqlite3_changes64(db_);
}

Result<int> Database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return tl::unexpected(row.error());
  return static_cast<int>(stmt->get_int(0));
}

Status Database::migrate(std::span<const Migration> migrations) {
  auto current = user_version();
  if (!current) return tl::unexpected(current.error());
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return fail(ErrorKind::kConflict, "schema_too_new",
                fmt::format("database schema version {} is newer than this bosun ({}); "
                            "upgrade bosun",
                            *current, latest));
  }
  for (const auto& m : migrations) {
    if (m.version <= *current) continue;
    Transaction tx(*this);
    if (auto s = tx.begin(); !s) return s;
    if (auto s = exec(m.sql); !s) {
      auto e = s.error();
      e.message = fmt::format("migration {} failed: {}", m.version, e.message);
      return tl::unexpected(e);
    }
    if (auto s = exec(fmt::format("PRAGMA user_version={}", m.version)); !s) return s;
    if (auto s = tx.commit(); !s) return s;
  }
  return {};
}

Database::Transaction::~Transaction() {
  if (open_) (void)db_->exec("ROLLBACK");
}

Status Database::Transaction::begin() {
  if (auto s = db_->exec("BEGIN IMMEDIATE"); !s) return s;
  open_ = true;
  return {};
}

Status Database::Transaction::commit() {
  if (auto s = db_->exec("COMMIT"); !s) return s;
  open_ = false;
  return {};
}

}  // namespace bosun
