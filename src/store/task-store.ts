import type { Statement } from 'better-sqlite3';
import type { TaskRow, TaskStatus, TerminatedBy } from '../shared/task.js';
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
  label: string | null;
  maxMemoryMb: number | null;
  maxCpuSeconds: number | null;
  queue: string;
  notBefore: number | null;
  retries: number;
  retryDelaySeconds: number;
  retryInterrupted: boolean;
  restartedFrom: string | null;
  envNames: readonly string[];
  stdinPipe: boolean;
  ttyCols: number | null;
  ttyRows: number | null;
  readyPattern: string | null;
}

/** Which tasks a listing wants; every field narrows it. Newest first, by (created_at, id). */
export interface TaskFilter {
  statuses?: readonly TaskStatus[];
  label?: string;
  cwd?: string;
  queue?: string;
  createdSince?: number;
  /** Keyset pagination: only tasks older than this one. */
  before?: { createdAt: number; id: string };
}

export interface LogLayoutRow {
  headBytes: number | null;
  droppedBytes: number;
  punched: boolean;
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
    claim: Statement;
    input: Statement;
    closeInput: Statement;
    ready: Statement;
    requeue: Statement;
    failDependant: Statement;
    finish: Statement;
    reap: Statement;
    exists: Statement<[string], { one: number }>;
    prefix: Statement<[string, string], TaskRow>;
    history: Statement<[string, string], { duration: number }>;
    layout: Statement;
    remove: Statement;
    removeEdges: Statement;
    removeAttempts: Statement;
    logRemoved: Statement;
    expired: Statement<[number], TaskRow>;
    endedOldestFirst: Statement<[], TaskRow>;
  };

  private readonly queries = new Map<string, Statement<unknown[], TaskRow>>();

  constructor(readonly db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO tasks (id, command, cwd, status, created_at, timeout_seconds, marker, label,
                            max_memory_mb, max_cpu_seconds, queue, not_before, retries,
                            retry_delay_seconds, retry_interrupted, restarted_from, env_names, reaped,
                            stdin_pipe, tty_cols, tty_rows, ready_pattern)
         VALUES (@id, @command, @cwd, 'queued', @createdAt, @timeoutSeconds, @marker, @label,
                 @maxMemoryMb, @maxCpuSeconds, @queue, @notBefore, @retries,
                 @retryDelaySeconds, @retryInterrupted, @restartedFrom, @envNames, 1,
                 @stdinPipe, @ttyCols, @ttyRows, @readyPattern)`,
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
      // A launch claims a waiting task: from here until markStarted, recovery reads it as mid-launch.
      claim: db.prepare(
        `UPDATE tasks SET reaped = 0, pid = NULL, pid_start_time = NULL, not_before = NULL
         WHERE id = ? AND status = 'queued' AND reaped = 1`,
      ),
      input: db.prepare(
        `UPDATE tasks SET input_sent_count = input_sent_count + 1, input_sent_bytes = input_sent_bytes + @bytes,
           input_last_at = @at, input_last = @last
         WHERE id = @id`,
      ),
      closeInput: db.prepare('UPDATE tasks SET input_closed = 1 WHERE id = ?'),
      ready: db.prepare(
        'UPDATE tasks SET ready_at = @at, ready_line = @line WHERE id = @id AND ready_at IS NULL',
      ),
      // Back to waiting for the next attempt; the old leader stays recorded until its tree is reaped.
      requeue: db.prepare(
        `UPDATE tasks SET status = 'queued', attempt = @attempt, not_before = @notBefore
         WHERE id = @id AND status = @from`,
      ),
      failDependant: db.prepare(
        `UPDATE tasks SET status = 'failed', terminated_by = 'dependency', ended_at = @endedAt,
           reason = @reason, failed_dependency = @dependency, failed_dependency_status = @dependencyStatus
         WHERE id = @id AND status = 'queued' AND reaped = 1`,
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
      // A range on the primary key: ids are lowercase hex, and '~' sorts after every hex digit.
      prefix: db.prepare('SELECT * FROM tasks WHERE id >= ? AND id < ? ORDER BY id LIMIT 11'),
      history: db.prepare(
        `SELECT (ended_at - started_at) / 1000.0 AS duration FROM tasks
         WHERE command = ? AND cwd = ? AND status = 'completed' AND started_at IS NOT NULL
         ORDER BY ended_at DESC LIMIT 10`,
      ),
      layout: db.prepare(
        `UPDATE tasks SET log_head_bytes = @headBytes, log_dropped_bytes = @droppedBytes,
           log_punched = @punched WHERE id = @id`,
      ),
      remove: db.prepare("DELETE FROM tasks WHERE id = ? AND status NOT IN ('queued', 'working')"),
      removeEdges: db.prepare('DELETE FROM task_dependencies WHERE task_id = ?'),
      removeAttempts: db.prepare('DELETE FROM task_attempts WHERE task_id = ?'),
      logRemoved: db.prepare('UPDATE tasks SET log_removed = 1 WHERE id = ?'),
      expired: db.prepare('SELECT * FROM tasks WHERE ended_at IS NOT NULL AND ended_at < ? AND reaped = 1'),
      endedOldestFirst: db.prepare(
        'SELECT * FROM tasks WHERE ended_at IS NOT NULL AND log_removed = 0 AND reaped = 1 ORDER BY ended_at',
      ),
    };
  }

  insert(task: NewTask): void {
    const { envNames, retryInterrupted, stdinPipe, ...rest } = task;
    this.statements.insert.run({
      ...rest,
      retryInterrupted: retryInterrupted ? 1 : 0,
      stdinPipe: stdinPipe ? 1 : 0,
      envNames: envNames.length === 0 ? null : JSON.stringify(envNames),
    });
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

  /** Takes a waiting task for launching; false if it is no longer waiting (cancelled, or taken). */
  claim(id: string): boolean {
    return this.statements.claim.run(id).changes === 1;
  }

  /** Counts input sent to a task (`last` is what a record may show of it: cut short, or '[secret]'). */
  recordInput(id: string, input: { bytes: number; at: number; last: string }): void {
    this.statements.input.run({ id, ...input });
  }

  closeInput(id: string): void {
    this.statements.closeInput.run(id);
  }

  /** Marks a task ready (its ready_pattern matched line `line`); false if it already was. */
  markReady(id: string, at: number, line: number): boolean {
    return this.statements.ready.run({ id, at, line }).changes === 1;
  }

  /** Sends a task whose attempt ended back to waiting, for attempt `attempt`; false if another writer won. */
  requeue(id: string, from: TaskStatus, attempt: number, notBefore: number): boolean {
    return this.statements.requeue.run({ id, from, attempt, notBefore }).changes === 1;
  }

  /** Ends a waiting task that can never run because `dependency` ended as `dependencyStatus`. */
  failDependant(
    id: string,
    dependency: { id: string; status: TaskStatus },
    endedAt: number,
    reason: string,
  ): boolean {
    return (
      this.statements.failDependant.run({
        id,
        endedAt,
        reason,
        dependency: dependency.id,
        dependencyStatus: dependency.status,
      }).changes === 1
    );
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

  /** Tasks whose id starts with `prefix` (at most 11: enough to say "ambiguous" and list some). */
  withPrefix(prefix: string): TaskRow[] {
    return this.statements.prefix.all(prefix, `${prefix}~`);
  }

  /** Newest first, narrowed by `filter`. */
  query(filter: TaskFilter, limit: number): TaskRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.statuses !== undefined && filter.statuses.length > 0) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      params.push(...filter.statuses);
    }
    if (filter.label !== undefined) {
      where.push('label = ?');
      params.push(filter.label);
    }
    if (filter.cwd !== undefined) {
      where.push('cwd = ?');
      params.push(filter.cwd);
    }
    if (filter.queue !== undefined) {
      where.push('queue = ?');
      params.push(filter.queue);
    }
    if (filter.createdSince !== undefined) {
      where.push('created_at >= ?');
      params.push(filter.createdSince);
    }
    if (filter.before !== undefined) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(filter.before.createdAt, filter.before.createdAt, filter.before.id);
    }
    const sql = `SELECT * FROM tasks ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, id DESC LIMIT ?`;
    let statement = this.queries.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], TaskRow>(sql);
      this.queries.set(sql, statement); // a handful of shapes at most: one per combination of filters
    }
    return statement.all(...params, limit);
  }

  /** Durations in seconds of the latest completed runs of the same command in the same directory. */
  recentDurations(command: string, cwd: string): number[] {
    return this.statements.history.all(command, cwd).map((row) => row.duration);
  }

  setLogLayout(id: string, layout: LogLayoutRow): void {
    this.statements.layout.run({ id, ...layout, punched: layout.punched ? 1 : 0 });
  }

  /** Deletes an ended task's record (and its attempts and dependency edges); false if it is still running or unknown. */
  remove(id: string): boolean {
    return this.db.transaction(() => {
      const removed = this.statements.remove.run(id).changes === 1;
      if (removed) {
        this.statements.removeEdges.run(id);
        this.statements.removeAttempts.run(id);
      }
      return removed;
    })();
  }

  markLogRemoved(id: string): void {
    this.statements.logRemoved.run(id);
  }

  /** Ended (and fully reaped) tasks that ended before `time`. */
  endedBefore(time: number): TaskRow[] {
    return this.statements.expired.all(time);
  }

  /** Ended tasks that still have a log, oldest end first: the first to go when the home is over quota. */
  endedWithLogs(): TaskRow[] {
    return this.statements.endedOldestFirst.all();
  }
}
