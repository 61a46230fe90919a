// Schema: additive migrations, applied by Database::open through PRAGMA user_version.
#include "store/schema.h"

namespace bosun {
namespace {

constexpr Migration kMigrations[] = {
    {1, R"sql(
      CREATE TABLE events (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      INTEGER NOT NULL,
        type    TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        data    TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX events_type ON events(type);
      CREATE TABLE journal (
        id     TEXT PRIMARY KEY,
        at     INTEGER NOT NULL,
        kind   TEXT NOT NULL DEFAULT 'note',
        text   TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT 'user'
      );
      CREATE INDEX journal_at ON journal(at);
    )sql"},
};

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

}  // namespace bosun
