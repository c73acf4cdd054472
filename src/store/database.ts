import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';

export type Db = Database.Database;

/**
 * Each entry moves the schema one version up; `PRAGMA user_version` says how many have been applied.
 * Never edit an applied entry: add a new one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE tasks (
     id              TEXT PRIMARY KEY,
     command         TEXT NOT NULL,
     cwd             TEXT NOT NULL,
     status          TEXT NOT NULL CHECK (status IN
                       ('queued','working','completed','failed','cancelled','timed_out','interrupted')),
     created_at      INTEGER NOT NULL,
     started_at      INTEGER,
     ended_at        INTEGER,
     timeout_seconds REAL,
     exit_code       INTEGER,
     signal          TEXT,
     terminated_by   TEXT,
     reason          TEXT,
     pid             INTEGER,
     pid_start_time  TEXT,
     boot_id         TEXT,
     marker          TEXT NOT NULL,
     processes_ended INTEGER,
     reaped          INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX tasks_by_created ON tasks (created_at DESC, id DESC);
   -- The daemon's recovery looks for tasks whose processes may still be alive.
   CREATE INDEX tasks_unreaped ON tasks (reaped) WHERE reaped = 0;`,
  // Agent ergonomics: labels, capped logs, filters and run history.
  `ALTER TABLE tasks ADD COLUMN label TEXT;
   ALTER TABLE tasks ADD COLUMN log_head_bytes INTEGER;
   ALTER TABLE tasks ADD COLUMN log_dropped_bytes INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN log_removed INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX tasks_by_status ON tasks (status, created_at DESC, id DESC);
   CREATE INDEX tasks_by_label ON tasks (label, created_at DESC, id DESC) WHERE label IS NOT NULL;
   CREATE INDEX tasks_by_cwd ON tasks (cwd, created_at DESC, id DESC);
   -- Earlier runs of the same command in the same place, for the typical duration and the ETA.
   CREATE INDEX tasks_history ON tasks (command, cwd, status, ended_at DESC);
   CREATE INDEX tasks_by_ended ON tasks (ended_at) WHERE ended_at IS NOT NULL;`,
  // Containment: resource limits per task.
  `ALTER TABLE tasks ADD COLUMN max_memory_mb INTEGER;
   ALTER TABLE tasks ADD COLUMN max_cpu_seconds INTEGER;`,
  // Logs capped by punching a hole: the file keeps every kept byte at its written offset.
  `ALTER TABLE tasks ADD COLUMN log_punched INTEGER NOT NULL DEFAULT 0;`,
  // Scheduling: queues with parallel limits, dependencies, retries, delayed starts, restarts.
  // A waiting task is 'queued' with reaped = 1 (nothing of it runs); a launch claims it by setting
  // reaped = 0 first, so that a daemon that dies mid-launch leaves a mark recovery can read.
  `ALTER TABLE tasks ADD COLUMN queue TEXT NOT NULL DEFAULT 'default';
   ALTER TABLE tasks ADD COLUMN not_before INTEGER;
   ALTER TABLE tasks ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN retry_delay_seconds REAL NOT NULL DEFAULT 1;
   ALTER TABLE tasks ADD COLUMN retry_interrupted INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE tasks ADD COLUMN restarted_from TEXT;
   ALTER TABLE tasks ADD COLUMN env_names TEXT;
   ALTER TABLE tasks ADD COLUMN failed_dependency TEXT;
   ALTER TABLE tasks ADD COLUMN failed_dependency_status TEXT;
   CREATE INDEX tasks_waiting ON tasks (queue, created_at, id) WHERE status = 'queued';
   CREATE TABLE task_dependencies (
     task_id    TEXT NOT NULL,
     depends_on TEXT NOT NULL,
     satisfied  INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (task_id, depends_on)
   ) WITHOUT ROWID;
   CREATE INDEX dependencies_by_target ON task_dependencies (depends_on);
   CREATE TABLE task_attempts (
     task_id       TEXT NOT NULL,
     attempt       INTEGER NOT NULL,
     started_at    INTEGER,
     ended_at      INTEGER,
     status        TEXT,
     exit_code     INTEGER,
     signal        TEXT,
     terminated_by TEXT,
     log_offset    INTEGER NOT NULL,
     PRIMARY KEY (task_id, attempt)
   ) WITHOUT ROWID;
   CREATE TABLE queues (
     name         TEXT PRIMARY KEY,
     max_parallel INTEGER,
     paused       INTEGER,
     updated_at   INTEGER NOT NULL
   );`,
  // Interaction: input through a FIFO, a terminal, and a ready line.
  `ALTER TABLE tasks ADD COLUMN stdin_pipe INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN tty_cols INTEGER;
   ALTER TABLE tasks ADD COLUMN tty_rows INTEGER;
   ALTER TABLE tasks ADD COLUMN input_sent_count INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN input_sent_bytes INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN input_last_at INTEGER;
   ALTER TABLE tasks ADD COLUMN input_last TEXT;
   ALTER TABLE tasks ADD COLUMN input_closed INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN ready_pattern TEXT;
   ALTER TABLE tasks ADD COLUMN ready_at INTEGER;
   ALTER TABLE tasks ADD COLUMN ready_line INTEGER;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating owner-only if needed) and migrates the database. One connection per process. */
export function openDatabase(path: string): Db {
  closeSync(openSync(path, 'a', 0o600));
  const db = new Database(path, { fileMustExist: true });
  // Wait for a writer instead of failing with SQLITE_BUSY; short transactions keep the wait short.
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the database was written by a newer backburner (schema ${current}, this one knows ${MIGRATIONS.length}); upgrade backburner`,
    );
  }
  if (current === MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock first, so two processes opening a fresh home cannot both migrate.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
