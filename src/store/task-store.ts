import type { Statement } from 'better-sqlite3';
import type { TaskRow, TaskStatus, TerminatedBy } from '../engine/task.js';
import type { Db } from './database.js';

/** How a task ended, as the engine decided it. */
export interface TaskEnding {
  status: TaskStatus;
  terminatedBy: TerminatedBy;
  endedAt: number;
  exitCode?: number | null;
  signal?: string | null;
  reason?: string | null;
}

export interface NewTask {
  id: string;
  command: string;
  cwd: string;
  createdAt: number;
  timeoutSeconds: number | null;
  marker: string;
}

/**
 * Typed access to the tasks table. Every state change is a compare-and-set (`WHERE status = ?`) and
 * reports whether it won, so racing writers (a timeout, a cancel, a natural exit) resolve to one outcome.
 */
export class TaskStore {
  private readonly statements: {
    insert: Statement;
    get: Statement<[string], TaskRow>;
    list: Statement<[number], TaskRow>;
    byStatus: Statement<[string], TaskRow>;
    unreaped: Statement<[], TaskRow>;
    start: Statement;
    finish: Statement;
    reap: Statement;
    exists: Statement<[string], { one: number }>;
  };

  constructor(readonly db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO tasks (id, command, cwd, status, created_at, timeout_seconds, marker)
         VALUES (@id, @command, @cwd, 'queued', @createdAt, @timeoutSeconds, @marker)`,
      ),
      get: db.prepare('SELECT * FROM tasks WHERE id = ?'),
      list: db.prepare('SELECT * FROM tasks ORDER BY created_at DESC, id DESC LIMIT ?'),
      byStatus: db.prepare('SELECT * FROM tasks WHERE status = ? ORDER BY created_at'),
      unreaped: db.prepare('SELECT * FROM tasks WHERE reaped = 0 ORDER BY created_at'),
      start: db.prepare(
        `UPDATE tasks SET status = 'working', started_at = @startedAt, pid = @pid,
           pid_start_time = @pidStartTime, boot_id = @bootId
         WHERE id = @id AND status = 'queued'`,
      ),
      finish: db.prepare(
        `UPDATE tasks SET status = @status, terminated_by = @terminatedBy, ended_at = @endedAt,
           exit_code = @exitCode, signal = @signal, reason = @reason
         WHERE id = @id AND status = @from`,
      ),
      reap: db.prepare(
        `UPDATE tasks SET reaped = 1, processes_ended = COALESCE(@processesEnded, processes_ended)
         WHERE id = @id`,
      ),
      exists: db.prepare('SELECT 1 AS one FROM tasks WHERE id = ?'),
    };
  }

  insert(task: NewTask): void {
    this.statements.insert.run(task);
  }

  has(id: string): boolean {
    return this.statements.exists.get(id) !== undefined;
  }

  get(id: string): TaskRow | undefined {
    return this.statements.get.get(id);
  }

  /** Newest first. */
  list(limit: number): TaskRow[] {
    return this.statements.list.all(limit);
  }

  withStatus(status: TaskStatus): TaskRow[] {
    return this.statements.byStatus.all(status);
  }

  /** Tasks whose processes the supervisor has not yet confirmed gone. */
  unreaped(): TaskRow[] {
    return this.statements.unreaped.all();
  }

  markStarted(
    id: string,
    started: { startedAt: number; pid: number; pidStartTime: string | null; bootId: string | null },
  ): boolean {
    return this.statements.start.run({ id, ...started }).changes === 1;
  }

  /** Moves a task from `from` to its terminal state; false when another writer got there first. */
  finish(id: string, from: TaskStatus, ending: TaskEnding): boolean {
    return (
      this.statements.finish.run({
        id,
        from,
        status: ending.status,
        terminatedBy: ending.terminatedBy,
        endedAt: ending.endedAt,
        exitCode: ending.exitCode ?? null,
        signal: ending.signal ?? null,
        reason: ending.reason ?? null,
      }).changes === 1
    );
  }

  markReaped(id: string, processesEnded: number | null = null): void {
    this.statements.reap.run({ id, processesEnded });
  }
}
