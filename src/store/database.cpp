// Database: what both backends share — which one a target names, and the migrations.
#include "store/database.h"

#include <fmt/format.h>

#include "store/pg_database.h"
#include "store/sqlite_database.h"

namespace bosun {

bool Database::is_postgres(std::string_view target) {
  return target.starts_with("postgres://") || target.starts_with("postgresql://");
}

Result<std::unique_ptr<Database>> Database::open(const std::string& target,
                                                 std::span<const Migration> migrations) {
  std::unique_ptr<Database> db;
  if (is_postgres(target)) {
    TRY(pg, PgDatabase::open(target));
    db = std::move(*pg);
  } else {
    TRY(sqlite, SqliteDatabase::open(target));
    db = std::move(*sqlite);
  }
  TRY_OK(db->migrate(migrations));
  return db;
}

Status Database::migrate(std::span<const Migration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  auto too_new = [latest](int current) {
    return fail(ErrorKind::kConflict, "schema_too_new",
                fmt::format("database schema version {} is newer than this bosun ({}); "
                            "upgrade bosun",
                            current, latest));
  };
  TRY(found, user_version());
  if (*found > latest) return too_new(*found);
  for (const auto& m : migrations) {
    if (m.version <= *found) continue;
    // Read again inside the transaction: another daemon on the same server may have been first.
    Transaction tx(*this);
    TRY_OK(tx.begin());
    TRY(current, user_version());
    if (*current > latest) return too_new(*current);
    if (m.version <= *current) continue;
    if (auto s = exec(migration_sql(m)); !s) {
      auto e = s.error();
      e.message = fmt::format("migration {} failed: {}", m.version, e.message);
      return tl::unexpected(e);
    }
    TRY_OK(set_user_version(m.version));
    TRY_OK(tx.commit());
  }
  return {};
}

Database::Transaction::~Transaction() {
  if (open_) db_->rollback();
}

Status Database::Transaction::begin() {
  TRY_OK(db_->begin());
  open_ = true;
  return {};
}

Status Database::Transaction::commit() {
  TRY_OK(db_->commit());
  open_ = false;
  return {};
}

}  // namespace bosun
