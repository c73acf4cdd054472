import type { Statement } from 'better-sqlite3';
import type { QueueSettings } from '../shared/queues.js';
import type { TaskRow, TaskStatus, TerminatedBy } from '../shared/task.js';
import type { Db } from './database.js';

/** A queue's settings as a tool, the CLI or the policy file set them; null where nothing was set. */
export interface QueueSettingsRow {
  name: string;
  max_parallel: number | null;
  paused: number | null;
}

/** One run of a task that may be retried. */
export interface AttemptRow {
  task_id: string;
  attempt: number;
  started_at: number | null;
  ended_at: number | null;
  status: TaskStatus | null;
  exit_code: number | null;
  signal: string | null;
  terminated_by: TerminatedBy | null;
  /** Where the attempt's marker line begins in the log (a logical offset: bytes written before it). */
  log_offset: number;
}

/**
 * What the scheduler keeps besides the tasks themselves: queue settings, dependency edges and the
 * attempts of retried tasks, and the queries that find what may start next. Each query walks an index
 * and stops at what it needs, so that ten thousand waiting tasks cost a pump little.
 */
export class ScheduleStore {
  private readonly statements: {
    queue: Statement<[string], QueueSettingsRow>;
    queues: Statement<[], QueueSettingsRow>;
    setQueue: Statement;
    addEdge: Statement;
    satisfy: Statement;
    dependants: Statement<[string], { task_id: string }>;
    unsatisfied: Statement<[string], { depends_on: string }>;
    dependencies: Statement<[string], { depends_on: string }>;
    ended: Statement<[], { depends_on: string }>;
    occupied: Statement<[], { queue: string; count: number }>;
    waiting: Statement<[], { queue: string; count: number }>;
    waitingQueues: Statement<[], { queue: string }>;
    hasWaiting: Statement<[string], { one: number }>;
    startable: Statement<[string, number, number], TaskRow>;
    nextNotBefore: Statement<[number], { at: number | null }>;
    keepsAlive: Statement<[], { one: number }>;
    position: Statement<[string, number, number, string], { place: number }>;
    attemptStarted: Statement;
    attemptEnded: Statement;
    attempts: Statement<[string], AttemptRow>;
    attempt: Statement<[string, number], AttemptRow>;
  };

  constructor(readonly db: Db) {
    this.statements = {
      queue: db.prepare('SELECT name, max_parallel, paused FROM queues WHERE name = ?'),
      queues: db.prepare('SELECT name, max_parallel, paused FROM queues ORDER BY name'),
      setQueue: db.prepare(
        `INSERT INTO queues (name, max_parallel, paused, updated_at) VALUES (@name, @maxParallel, @paused, @now)
         ON CONFLICT (name) DO UPDATE SET
           max_parallel = COALESCE(@maxParallel, max_parallel), paused = COALESCE(@paused, paused),
           updated_at = @now`,
      ),
      addEdge: db.prepare(
        'INSERT OR IGNORE INTO task_dependencies (task_id, depends_on, satisfied) VALUES (?, ?, ?)',
      ),
      satisfy: db.prepare('UPDATE task_dependencies SET satisfied = 1 WHERE depends_on = ?'),
      dependants: db.prepare(
        `SELECT d.task_id FROM task_dependencies d JOIN tasks t ON t.id = d.task_id
         WHERE d.depends_on = ? AND d.satisfied = 0 AND t.status = 'queued'`,
      ),
      unsatisfied: db.prepare(
        'SELECT depends_on FROM task_dependencies WHERE task_id = ? AND satisfied = 0 ORDER BY depends_on',
      ),
      dependencies: db.prepare(
        'SELECT depends_on FROM task_dependencies WHERE task_id = ? ORDER BY depends_on',
      ),
      ended: db.prepare(
        `SELECT DISTINCT d.depends_on FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on
         WHERE d.satisfied = 0 AND t.status NOT IN ('queued', 'working')`,
      ),
      // A slot is taken by a working task, and by one being launched (claimed: queued, reaped = 0, no pid).
      occupied: db.prepare(
        `SELECT queue, COUNT(*) AS count FROM tasks
         WHERE status = 'working' OR (status = 'queued' AND reaped = 0 AND pid IS NULL) GROUP BY queue`,
      ),
      waiting: db.prepare(
        `SELECT queue, COUNT(*) AS count FROM tasks WHERE status = 'queued' AND reaped = 1 GROUP BY queue`,
      ),
      waitingQueues: db.prepare("SELECT DISTINCT queue FROM tasks WHERE status = 'queued'"),
      hasWaiting: db.prepare("SELECT 1 AS one FROM tasks WHERE status = 'queued' AND queue = ? LIMIT 1"),
      startable: db.prepare(
        `SELECT * FROM tasks t
         WHERE t.status = 'queued' AND t.queue = ? AND t.reaped = 1
           AND (t.not_before IS NULL OR t.not_before <= ?)
           AND NOT EXISTS (SELECT 1 FROM task_dependencies d WHERE d.task_id = t.id AND d.satisfied = 0)
         ORDER BY t.created_at, t.id LIMIT ?`,
      ),
      nextNotBefore: db.prepare(
        "SELECT MIN(not_before) AS at FROM tasks WHERE status = 'queued' AND not_before > ?",
      ),
      // Whether anything waits that could run without someone's next call (not in a paused queue).
      keepsAlive: db.prepare(
        `SELECT 1 AS one FROM tasks t WHERE t.status = 'queued'
           AND NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = t.queue AND q.paused = 1) LIMIT 1`,
      ),
      position: db.prepare(
        `SELECT COUNT(*) + 1 AS place FROM tasks
         WHERE status = 'queued' AND queue = ? AND (created_at < ? OR (created_at = ? AND id < ?))`,
      ),
      attemptStarted: db.prepare(
        `INSERT OR REPLACE INTO task_attempts (task_id, attempt, started_at, log_offset)
         VALUES (@id, @attempt, @startedAt, @logOffset)`,
      ),
      attemptEnded: db.prepare(
        `UPDATE task_attempts SET ended_at = @endedAt, status = @status, exit_code = @exitCode,
           signal = @signal, terminated_by = @terminatedBy
         WHERE task_id = @id AND attempt = @attempt`,
      ),
      attempts: db.prepare('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt'),
      attempt: db.prepare('SELECT * FROM task_attempts WHERE task_id = ? AND attempt = ?'),
    };
  }

  /** What a tool or the CLI set for a queue, as settings (absent where nothing was set). */
  configured(name: string): QueueSettings {
    const stored = this.statements.queue.get(name);
    const settings: QueueSettings = {};
    if (stored?.max_parallel !== null && stored?.max_parallel !== undefined)
      settings.max_parallel = stored.max_parallel;
    if (stored?.paused !== null && stored?.paused !== undefined) settings.paused = stored.paused === 1;
    return settings;
  }

  queueSettingsAll(): QueueSettingsRow[] {
    return this.statements.queues.all();
  }

  /** Stores what was given; a null leaves that setting as it was. */
  setQueue(name: string, settings: { maxParallel: number | null; paused: boolean | null }): void {
    this.statements.setQueue.run({
      name,
      maxParallel: settings.maxParallel,
      paused: settings.paused === null ? null : settings.paused ? 1 : 0,
      now: Date.now(),
    });
  }

  addDependency(taskId: string, dependsOn: string, satisfied: boolean): void {
    this.statements.addEdge.run(taskId, dependsOn, satisfied ? 1 : 0);
  }

  /** Marks every edge onto `id` met: it completed. */
  satisfyDependants(id: string): void {
    this.statements.satisfy.run(id);
  }

  /** Waiting tasks that still wait for `id`. */
  dependantsOf(id: string): string[] {
    return this.statements.dependants.all(id).map((row) => row.task_id);
  }

  /** What a task still waits for. */
  unsatisfiedDependencies(id: string): string[] {
    return this.statements.unsatisfied.all(id).map((row) => row.depends_on);
  }

  dependenciesOf(id: string): string[] {
    return this.statements.dependencies.all(id).map((row) => row.depends_on);
  }

  /** Ended tasks that still have unsettled edges onto them (their dependants were not yet told). */
  endedDependencies(): string[] {
    return this.statements.ended.all().map((row) => row.depends_on);
  }

  /** Slots taken now, per queue. */
  occupiedSlots(): Map<string, number> {
    return new Map(this.statements.occupied.all().map((row) => [row.queue, row.count]));
  }

  /** Tasks waiting to start, per queue. */
  waitingCounts(): Map<string, number> {
    return new Map(this.statements.waiting.all().map((row) => [row.queue, row.count]));
  }

  queuesWithWaitingTasks(): string[] {
    return this.statements.waitingQueues.all().map((row) => row.queue);
  }

  hasWaiting(queue: string): boolean {
    return this.statements.hasWaiting.get(queue) !== undefined;
  }

  /** Up to `limit` tasks of `queue` that may start at `now`, oldest first. */
  startable(queue: string, now: number, limit: number): TaskRow[] {
    return this.statements.startable.all(queue, now, limit);
  }

  /** The earliest delayed start or retry after `now`, if any. */
  nextNotBefore(now: number): number | null {
    return this.statements.nextNotBefore.get(now)?.at ?? null;
  }

  /** Whether a task waits that may run without anyone's next call: one not in a paused queue. */
  hasRunnableWaiting(): boolean {
    return this.statements.keepsAlive.get() !== undefined;
  }

  /** A waiting task's place in its queue (1 for the first). */
  placeInQueue(row: TaskRow): number {
    return this.statements.position.get(row.queue, row.created_at, row.created_at, row.id)?.place ?? 1;
  }

  attemptStarted(id: string, attempt: number, startedAt: number, logOffset: number): void {
    this.statements.attemptStarted.run({ id, attempt, startedAt, logOffset });
  }

  attemptEnded(
    id: string,
    attempt: number,
    ending: {
      endedAt: number;
      status: TaskStatus;
      exitCode?: number | null;
      signal?: string | null;
      terminatedBy: TerminatedBy;
    },
  ): void {
    this.statements.attemptEnded.run({
      id,
      attempt,
      endedAt: ending.endedAt,
      status: ending.status,
      exitCode: ending.exitCode ?? null,
      signal: ending.signal ?? null,
      terminatedBy: ending.terminatedBy,
    });
  }

  attempts(id: string): AttemptRow[] {
    return this.statements.attempts.all(id);
  }

  attempt(id: string, attempt: number): AttemptRow | undefined {
    return this.statements.attempt.get(id, attempt);
  }
}
