// Schema: migrations, applied by Database::open through the schema's version (SQLite's PRAGMA
// user_version; on PostgreSQL a row of bosun_schema). Additive (new
// tables, new columns with DEFAULT values) except 7, which drops columns nothing read.
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
    {3, R"sql(
      CREATE TABLE tasks (
        id          TEXT PRIMARY KEY,
        project_id  TEXT,
        title       TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        role        TEXT NOT NULL DEFAULT '',
        assignee    TEXT,
        status      TEXT NOT NULL DEFAULT 'pending',
        priority    INTEGER NOT NULL DEFAULT 2,
        source      TEXT NOT NULL DEFAULT 'user',
        parent_id   TEXT REFERENCES tasks(id),
        pipeline_run_id TEXT,
        step        TEXT,
        resources   TEXT NOT NULL DEFAULT '[]',
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        started_at  INTEGER,
        done_at     INTEGER
      );
      CREATE INDEX tasks_status ON tasks(status, priority);
      CREATE INDEX tasks_assignee ON tasks(assignee);
      CREATE INDEX tasks_parent ON tasks(parent_id);
      CREATE TABLE task_deps (
        task_id    TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        depends_on TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        PRIMARY KEY (task_id, depends_on)
      );
      CREATE INDEX task_deps_on ON task_deps(depends_on);
      CREATE TABLE task_comments (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id    TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        author     TEXT NOT NULL,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX task_comments_task ON task_comments(task_id, id);
      CREATE TABLE task_history (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,
        field       TEXT NOT NULL DEFAULT 'status',
        from_value  TEXT,
        to_value    TEXT,
        reason      TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX task_history_task ON task_history(task_id, id);
      CREATE TABLE reports (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        agent_id    TEXT,
        author      TEXT NOT NULL,
        status      TEXT NOT NULL,
        body        TEXT NOT NULL,
        verified    TEXT NOT NULL DEFAULT 'pending',
        check_log   TEXT NOT NULL DEFAULT '',
        created_at  INTEGER NOT NULL,
        checked_at  INTEGER
      );
      CREATE INDEX reports_task ON reports(task_id, id);
      CREATE TABLE messages (
        id           TEXT PRIMARY KEY,
        sender       TEXT NOT NULL,
        recipient    TEXT NOT NULL,
        type         TEXT NOT NULL DEFAULT 'mail',
        subject      TEXT NOT NULL,
        body         TEXT NOT NULL DEFAULT '',
        task_id      TEXT,
        urgent       INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL DEFAULT 'queued',
        attempts     INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        created_at   INTEGER NOT NULL,
        delivered_at INTEGER,
        acked_at     INTEGER,
        read_at      INTEGER
      );
      CREATE INDEX messages_recipient ON messages(recipient, state, created_at);
      CREATE INDEX messages_sender ON messages(sender, created_at);
    )sql"},
    {4, R"sql(
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    )sql"},
    {5, R"sql(
      CREATE TABLE projects (
        id               TEXT PRIMARY KEY,
        name             TEXT NOT NULL UNIQUE,
        path             TEXT NOT NULL UNIQUE,
        tech_stack       TEXT NOT NULL DEFAULT '',
        base_branch      TEXT NOT NULL,
        execution_mode   TEXT NOT NULL DEFAULT 'review',
        test_command     TEXT,
        setup_command    TEXT,
        cleanup_command  TEXT,
        setup_timeout_ms INTEGER NOT NULL DEFAULT 300000,
        worktree_include TEXT NOT NULL DEFAULT '[]',
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL
      );
      CREATE TABLE worktrees (
        id           TEXT PRIMARY KEY,
        project_id   TEXT NOT NULL REFERENCES projects(id),
        agent_id     TEXT,
        agent_name   TEXT NOT NULL,
        path         TEXT NOT NULL UNIQUE,
        branch       TEXT NOT NULL,
        base_branch  TEXT NOT NULL,
        base_commit  TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'active',
        setup        TEXT,
        backup_ref   TEXT,
        merged_at    INTEGER,
        merge_commit TEXT,
        created_at   INTEGER NOT NULL,
        removed_at   INTEGER
      );
      CREATE INDEX worktrees_agent ON worktrees(agent_name, state);
      CREATE INDEX worktrees_project ON worktrees(project_id, state);
      CREATE TABLE decisions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        text        TEXT NOT NULL,
        roles       TEXT NOT NULL DEFAULT '[]',
        author      TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      );
      CREATE INDEX decisions_project ON decisions(project_id, id);
    )sql"},
    {6, R"sql(
      ALTER TABLE agents ADD COLUMN launch TEXT NOT NULL DEFAULT '{}';
      CREATE TABLE headless_runs (
        id                 TEXT PRIMARY KEY,
        agent              TEXT,
        task_id            TEXT,
        profile            TEXT NOT NULL,
        argv               TEXT NOT NULL,
        cwd                TEXT NOT NULL,
        state              TEXT NOT NULL,
        success            INTEGER,
        reason             TEXT,
        result_text        TEXT,
        turns              INTEGER NOT NULL DEFAULT 0,
        input_tokens       INTEGER NOT NULL DEFAULT 0,
        output_tokens      INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd           REAL,
        session_id         TEXT,
        exit_code          INTEGER,
        events_path        TEXT NOT NULL,
        started_at         INTEGER NOT NULL,
        ended_at           INTEGER
      );
      CREATE INDEX headless_runs_agent ON headless_runs(agent, started_at);
      CREATE INDEX headless_runs_task ON headless_runs(task_id, started_at);
    )sql"},
    // Columns nothing reads: an agent's worktree and branch live in the worktrees table, its
    // CLI session in its launch plan, and tasks name no resources. tasks.source,
    // pipeline_run_id and step stay for pipelines.
    {7, R"sql(
      ALTER TABLE agents DROP COLUMN worktree;
      ALTER TABLE agents DROP COLUMN branch;
      ALTER TABLE agents DROP COLUMN native_session_id;
      ALTER TABLE tasks DROP COLUMN resources;
    )sql"},
    // An agent's decision is a proposal until a person accepts it: only accepted ones reach
    // agents' instructions and tasks.
    {8, R"sql(
      ALTER TABLE decisions ADD COLUMN proposed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE decisions ADD COLUMN accepted_by TEXT;
    )sql"},
    // A task's own branch in its agent's worktree, the base it left, and the commit its merge
    // made there.
    {9, R"sql(
      ALTER TABLE tasks ADD COLUMN branch TEXT;
      ALTER TABLE tasks ADD COLUMN base_branch TEXT;
      ALTER TABLE tasks ADD COLUMN merged_commit TEXT;
    )sql"},
    // Pipeline runs: the pipeline as it was at the start, the run's branch and worktree, its
    // state and its steps (one JSON column, written with the run).
    {10, R"sql(
      CREATE TABLE pipeline_runs (
        id            TEXT PRIMARY KEY,
        pipeline      TEXT NOT NULL,
        definition    TEXT NOT NULL,
        file          TEXT NOT NULL,
        task_id       TEXT NOT NULL,
        project_id    TEXT NOT NULL,
        branch        TEXT NOT NULL,
        worktree      TEXT NOT NULL,
        base_branch   TEXT NOT NULL,
        base_commit   TEXT NOT NULL,
        mode          TEXT NOT NULL,
        state         TEXT NOT NULL,
        reason        TEXT NOT NULL DEFAULT '',
        loops         INTEGER NOT NULL DEFAULT 0,
        steps         TEXT NOT NULL DEFAULT '[]',
        merged_commit TEXT NOT NULL DEFAULT '',
        created_by    TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        ended_at      INTEGER
      );
      CREATE INDEX pipeline_runs_state ON pipeline_runs(state, created_at);
      CREATE INDEX pipeline_runs_task ON pipeline_runs(task_id, created_at);
    )sql"},
    // Notifications: the conditions a person is told about, open while they hold, and each
    // channel's message about them (one per channel, edge and event: a replay adds none).
    {11, R"sql(
      CREATE TABLE notify_edges (
        key        TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        open       INTEGER NOT NULL,
        opened_at  INTEGER NOT NULL,
        closed_at  INTEGER,
        notified   INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE notifications (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        edge       TEXT NOT NULL,
        kind       TEXT NOT NULL,
        channel    TEXT NOT NULL,
        event_seq  INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL DEFAULT '',
        link       TEXT NOT NULL DEFAULT '',
        status     TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        next_at    INTEGER NOT NULL,
        last_error TEXT,
        sent_at    INTEGER,
        digest     INTEGER,
        UNIQUE (channel, edge, event_seq)
      );
      CREATE INDEX notifications_pending ON notifications(status, next_at);
    )sql"},
    // The ready list's order (status, then priority, then age) straight from an index: at
    // 100,000 tasks it read and sorted every pending task (40,000 in the bench) for each look.
    {12, R"sql(
      DROP INDEX tasks_status;
      CREATE INDEX tasks_queue ON tasks(status, priority, created_at);
    )sql"},
    // Whether a task waits is kept on its row (`waiting`: dependencies not done yet), recounted
    // by triggers whenever a dependency is added or removed or changes to or from done, so the
    // ready tasks are an index of their own: the dispatch's look for a role's next task no
    // longer walks every task that waits (40,000 of 100,000 in the bench).
    {13, R"sql(
      ALTER TABLE tasks ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
      UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                  WHERE d.task_id = tasks.id AND p.status <> 'done');
      CREATE TRIGGER task_deps_added AFTER INSERT ON task_deps BEGIN
        UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                    WHERE d.task_id = tasks.id AND p.status <> 'done')
        WHERE id = NEW.task_id;
      END;
      CREATE TRIGGER task_deps_removed AFTER DELETE ON task_deps BEGIN
        UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                    WHERE d.task_id = tasks.id AND p.status <> 'done')
        WHERE id = OLD.task_id;
      END;
      CREATE TRIGGER task_done_changed AFTER UPDATE OF status ON tasks
      WHEN (OLD.status = 'done') <> (NEW.status = 'done') BEGIN
        UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                    WHERE d.task_id = tasks.id AND p.status <> 'done')
        WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = NEW.id);
      END;
      CREATE INDEX tasks_ready ON tasks(priority, created_at)
        WHERE status = 'pending' AND assignee IS NULL AND waiting = 0;
      CREATE INDEX tasks_ready_role ON tasks(role, priority, created_at)
        WHERE status = 'pending' AND assignee IS NULL AND waiting = 0;
    )sql",
     // PostgreSQL's triggers call functions.
     R"sql(
      ALTER TABLE tasks ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
      CREATE FUNCTION bosun_deps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                    WHERE d.task_id = tasks.id AND p.status <> 'done')
        WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.task_id ELSE NEW.task_id END);
        RETURN NULL;
      END $$;
      CREATE FUNCTION bosun_task_done_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE tasks SET waiting = (SELECT count(*) FROM task_deps d JOIN tasks p ON p.id = d.depends_on
                                    WHERE d.task_id = tasks.id AND p.status <> 'done')
        WHERE id IN (SELECT task_id FROM task_deps WHERE depends_on = NEW.id);
        RETURN NULL;
      END $$;
      CREATE TRIGGER task_deps_added AFTER INSERT ON task_deps
        FOR EACH ROW EXECUTE FUNCTION bosun_deps_changed();
      CREATE TRIGGER task_deps_removed AFTER DELETE ON task_deps
        FOR EACH ROW EXECUTE FUNCTION bosun_deps_changed();
      CREATE TRIGGER task_done_changed AFTER UPDATE OF status ON tasks
        FOR EACH ROW WHEN ((OLD.status = 'done') <> (NEW.status = 'done'))
        EXECUTE FUNCTION bosun_task_done_changed();
      CREATE INDEX tasks_ready ON tasks(priority, created_at)
        WHERE status = 'pending' AND assignee IS NULL AND waiting = 0;
      CREATE INDEX tasks_ready_role ON tasks(role, priority, created_at)
        WHERE status = 'pending' AND assignee IS NULL AND waiting = 0;
    )sql"},
    // An agent's tasks by status: whether it holds one (asked for every free agent on every
    // task event) read every task it ever had, thousands of done or blocked ones in a long life.
    {14, R"sql(
      DROP INDEX tasks_assignee;
      CREATE INDEX tasks_assignee ON tasks(assignee, status);
    )sql"},
    // Several daemons on one (PostgreSQL) database, each a host: every host's lease on its
    // agents, kept in the database's clock; which host an agent runs on and an event came from
    // (empty on a store that is one daemon's), and which host's daemon sends a notification.
    {15, R"sql(
      CREATE TABLE hosts (
        name        TEXT PRIMARY KEY,
        epoch       INTEGER NOT NULL DEFAULT 0,
        state       TEXT NOT NULL DEFAULT 'up',
        address     TEXT NOT NULL DEFAULT '',
        pid         INTEGER NOT NULL DEFAULT 0,
        state_dir   TEXT NOT NULL DEFAULT '',
        version     TEXT NOT NULL DEFAULT '',
        schema_version INTEGER NOT NULL DEFAULT 0,
        joined_at   INTEGER NOT NULL DEFAULT 0,
        renewed_at  INTEGER NOT NULL DEFAULT 0,
        lease_until INTEGER NOT NULL DEFAULT 0,
        lost_at     INTEGER,
        load        REAL NOT NULL DEFAULT 0
      );
      ALTER TABLE agents ADD COLUMN host TEXT NOT NULL DEFAULT '';
      ALTER TABLE events ADD COLUMN host TEXT NOT NULL DEFAULT '';
      ALTER TABLE pipeline_runs ADD COLUMN host TEXT NOT NULL DEFAULT '';
      ALTER TABLE notifications ADD COLUMN host TEXT NOT NULL DEFAULT '';
    )sql"},
    // Every commit that appended events wakes the other daemons on the database (NOTIFY: a hint
    // to read the log, which stays the truth). A file has no other daemons to wake.
    {16, "",
     R"sql(
      CREATE FUNCTION bosun_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('bosun_events', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER events_appended AFTER INSERT ON events
        FOR EACH STATEMENT EXECUTE FUNCTION bosun_events_appended();
    )sql"},
    // The tasks a person sent back from review: few, and what the supervisor looks for among
    // each idle agent's tasks on every dispatch (TaskStore::returned_to).
    {17, R"sql(
      CREATE INDEX task_history_sent_back ON task_history(task_id)
        WHERE field = 'status' AND from_value = 'review';
    )sql"},
};

}  // namespace

std::span<const Migration> schema_migrations() {
  return kMigrations;
}

}  // namespace bosun
