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
    {2, R"sql(
      CREATE TABLE agents (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        role        TEXT NOT NULL DEFAULT '',
        profile     TEXT NOT NULL DEFAULT 'shell',
        project_id  TEXT,
        permanent   INTEGER NOT NULL DEFAULT 0,
        state       TEXT NOT NULL DEFAULT 'starting',
        state_source TEXT NOT NULL DEFAULT 'process',
        state_since INTEGER NOT NULL DEFAULT 0,
        argv        TEXT NOT NULL DEFAULT '[]',
        cwd         TEXT NOT NULL DEFAULT '',
        env         TEXT NOT NULL DEFAULT '{}',
        cols        INTEGER NOT NULL DEFAULT 120,
        rows        INTEGER NOT NULL DEFAULT 40,
        worktree    TEXT,
        branch      TEXT,
        generation  INTEGER NOT NULL DEFAULT 0,
        tasks_since_reset INTEGER NOT NULL DEFAULT 0,
        reset_count INTEGER NOT NULL DEFAULT 0,
        last_reset_at INTEGER,
        last_output_at INTEGER,
        native_session_id TEXT,
        token       TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL
      );
      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        generation  INTEGER NOT NULL,
        argv        TEXT NOT NULL,
        cwd         TEXT NOT NULL,
        socket      TEXT NOT NULL,
        log_path    TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'starting',
        pid         INTEGER,
        holder_pid  INTEGER,
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER,
        exit_code   INTEGER,
        signal      INTEGER,
        error       TEXT,
        lost_reason TEXT,
        end_offset  INTEGER NOT NULL DEFAULT 0,
        gaps        TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX runs_agent ON runs(agent_id, id);
    )sql"},
};

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

}  // namespace bosun
