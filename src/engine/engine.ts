import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { ProcessIdentity, ResourceLimits, TerminalSize } from '../supervisor/platform.js';
import type { ExitObservation, TaskRunner } from '../supervisor/supervisor.js';
import { layoutOf } from '../store/log-cap.js';
import { appendOwnLine, exitStatusPath, inputPath, logPath, recentLogText } from '../store/logs.js';
import type { ScheduleStore } from '../store/schedule-store.js';
import type { TaskEnding, TaskStore } from '../store/task-store.js';
import { attemptMarkerLine, backoffMs, retryNote, shouldRetry } from './attempts.js';
import { BackburnerError, taskNotFound } from '../shared/errors.js';
import { attributeToLimit, endingFromExitStatus } from './outcome.js';
import { isTerminal, type TaskRow, type TaskStatus } from '../shared/task.js';

export interface EngineOptions {
  logsDir: string;
  /** Between the polite signal and the forced kill. */
  killGraceMs: number;
}

/** What a task is: everything stored about it before it starts (never its environment's values). */
export interface TaskSpec {
  command: string;
  cwd: string;
  timeoutSeconds: number | null;
  label?: string | null;
  limits?: ResourceLimits;
  queue: string;
  /** Not to start before this time (ms). */
  notBefore?: number | null;
  retries?: number;
  retryDelaySeconds?: number;
  retryInterrupted?: boolean;
  restartedFrom?: string | null;
  /** Names of the variables the caller gave in `env`, so that a restart can ask for them again. */
  envNames?: readonly string[];
  /** Standard input from a FIFO that `sendInput` writes to (else /dev/null). */
  stdinPipe?: boolean;
  /** Run on a pseudo-terminal of this size. */
  tty?: TerminalSize | null;
  /** A regular expression whose first matching output line marks the task ready. */
  readyPattern?: string | null;
}

/** What a caller sends to a running task's input. */
export interface InputRequest {
  text: string;
  /** Close the input after the text: the command reads end of file. */
  end: boolean;
  /** Keep the text out of the record: it shows '[secret]'. */
  secret: boolean;
}

/** How long a write to a task's input may wait for the program to read. */
const INPUT_WRITE_TIMEOUT_MS = 10_000;
/** How much of the last input a record shows. */
const INPUT_SHOWN_CHARS = 200;

/** What a launch needs that is never stored in the database. */
export interface LaunchContext {
  env: Record<string, string>;
  /** The file mode mask the command runs with: the caller's, not the daemon's own 077. */
  umask?: number;
}

export interface CancelOutcome {
  task: TaskRow;
  /** False when the task had already ended: nothing was changed. */
  changed: boolean;
  processesEnded: number;
}

export interface EngineEvents {
  ended: [task: TaskRow];
  /** An attempt ended and the task waits for its next one. */
  requeued: [task: TaskRow];
  /** Nothing of the task runs any more (a requeued task may start its next attempt now). */
  reaped: [id: string];
  /** A line of its output matched its ready pattern. */
  ready: [task: TaskRow];
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const leaderOf = (row: TaskRow): ProcessIdentity | null =>
  row.pid === null ? null : { pid: row.pid, startTime: row.pid_start_time };

/**
 * The rules of a task's life: what may follow what, timeouts, cancellation, and recovery after a daemon
 * restart. It knows nothing of processes (the runner does) or of MCP (the adapters do).
 */
export class Engine extends EventEmitter<EngineEvents> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly terminations = new Map<string, Promise<number>>();
  private readonly live = new Set<string>();
  private readonly bootId: string | null;

  constructor(
    private readonly store: TaskStore,
    private readonly schedule: ScheduleStore,
    private readonly runner: TaskRunner,
    private readonly options: EngineOptions,
  ) {
    super();
    this.bootId = runner.bootId();
  }

  /** Ids of the tasks this daemon is supervising now. */
  get liveTasks(): ReadonlySet<string> {
    return this.live;
  }

  /** Tasks this daemon is supervising or still ending. */
  get busy(): number {
    return this.live.size + this.terminations.size;
  }

  /** Records a new task, waiting to be launched. The caller adds its dependencies in the same transaction. */
  create(spec: TaskSpec): TaskRow {
    const id = this.newId();
    this.store.insert({
      id,
      command: spec.command,
      cwd: spec.cwd,
      createdAt: Date.now(),
      timeoutSeconds: spec.timeoutSeconds,
      marker: randomBytes(16).toString('hex'),
      label: spec.label ?? null,
      maxMemoryMb: spec.limits?.memoryMb ?? null,
      maxCpuSeconds: spec.limits?.cpuSeconds ?? null,
      queue: spec.queue,
      notBefore: spec.notBefore ?? null,
      retries: spec.retries ?? 0,
      retryDelaySeconds: spec.retryDelaySeconds ?? 1,
      retryInterrupted: spec.retryInterrupted ?? false,
      restartedFrom: spec.restartedFrom ?? null,
      envNames: spec.envNames ?? [],
      stdinPipe: spec.stdinPipe ?? false,
      ttyCols: spec.tty?.cols ?? null,
      ttyRows: spec.tty?.rows ?? null,
      readyPattern: spec.readyPattern ?? null,
    });
    return this.row(id);
  }

  /**
   * Starts the next attempt of a waiting task. Returns null when the task was not waiting any more
   * (cancelled meanwhile, or claimed by another launch): nothing was started.
   */
  async launch(id: string, context: LaunchContext): Promise<TaskRow | null> {
    if (!this.store.claim(id)) return null;
    const row = this.row(id);
    const { marker } = row;
    const paths = {
      logPath: logPath(this.options.logsDir, id),
      exitStatusPath: exitStatusPath(this.options.logsDir, id),
    };
    this.live.add(id);
    let leader: ProcessIdentity;
    try {
      if (row.retries > 0) {
        const now = Date.now();
        const offset = appendOwnLine(
          paths.logPath,
          attemptMarkerLine(row.attempt, row.retries + 1, now),
          layoutOf(row),
        );
        this.schedule.attemptStarted(id, row.attempt, now, offset);
      }
      leader = await this.runner.launch({
        id,
        marker,
        command: row.command,
        cwd: row.cwd,
        env: context.env,
        limits: { memoryMb: row.max_memory_mb, cpuSeconds: row.max_cpu_seconds },
        umask: validUmask(context.umask),
        inputPath: row.stdin_pipe === 1 ? inputPath(this.options.logsDir, id) : null,
        tty:
          row.tty_cols !== null && row.tty_rows !== null ? { cols: row.tty_cols, rows: row.tty_rows } : null,
        ...paths,
      });
    } catch (error) {
      this.live.delete(id);
      const reason = `could not start the command: ${(error as Error).message}`;
      appendFileSync(paths.logPath, `backburner: ${reason}\n`, { mode: 0o600 });
      this.end(id, 'queued', { status: 'failed', terminatedBy: 'spawn_error', endedAt: Date.now(), reason });
      this.store.markReaped(id, 0);
      return this.row(id);
    }
    const started = this.store.markStarted(id, {
      startedAt: Date.now(),
      pid: leader.pid,
      pidStartTime: leader.startTime,
      bootId: this.bootId,
    });
    if (!started) {
      // Cancelled while it was being spawned (or it already exited): whatever runs now is not wanted.
      const current = this.row(id);
      if (current.status === 'cancelled') {
        this.live.delete(id);
        const ended = await this.runner.terminate({ leader, marker }, this.options.killGraceMs);
        this.store.markReaped(id, ended);
      }
      return this.row(id);
    }
    this.armTimeout(this.row(id));
    return this.row(id);
  }

  /**
   * Writes to a running task's input, and closes it if asked. The FIFO belongs to the task (its wrapper
   * holds it open), so this works whichever daemon started the task.
   */
  async sendInput(id: string, input: InputRequest): Promise<TaskRow> {
    const row = this.row(id);
    if (row.stdin_pipe !== 1)
      throw new BackburnerError(
        'INVALID_ARGUMENT',
        `task ${id} does not take input: start it with stdin: "pipe" (or tty: true) to send it input`,
      );
    if (row.status !== 'working' || row.pid === null)
      throw new BackburnerError(
        'INVALID_ARGUMENT',
        row.status === 'queued'
          ? `task ${id} has not started yet (it is queued): send input once it is working`
          : `task ${id} has ended (${row.status}): it reads no more input`,
      );
    if (row.input_closed === 1)
      throw new BackburnerError('INVALID_ARGUMENT', `the input of task ${id} was closed (end: true) earlier`);
    const path = inputPath(this.options.logsDir, id);
    const bytes = Buffer.from(input.text, 'utf8');
    if (bytes.length > 0) await this.runner.writeInput(path, bytes, INPUT_WRITE_TIMEOUT_MS);
    if (input.end) await this.runner.closeInput(path, { pid: row.pid, startTime: row.pid_start_time });
    const shown = input.secret
      ? '[secret]'
      : input.text.length > INPUT_SHOWN_CHARS
        ? `${input.text.slice(0, INPUT_SHOWN_CHARS)}…`
        : input.text;
    if (bytes.length > 0) this.store.recordInput(id, { bytes: bytes.length, at: Date.now(), last: shown });
    if (input.end) this.store.closeInput(id);
    return this.row(id);
  }

  /** Records that a task's output matched its ready pattern; emits `ready` the first time. */
  markReady(id: string, line: number): void {
    if (this.store.markReady(id, Date.now(), line)) this.emit('ready', this.row(id));
  }

  /** Ends a waiting task that can never run, because a task it was to run after did not complete. */
  failDependant(id: string, dependency: { id: string; status: TaskStatus }, reason: string): boolean {
    const won = this.store.failDependant(id, dependency, Date.now(), reason);
    if (won) this.emit('ended', this.row(id));
    return won;
  }

  /** Ends a waiting task that cannot be started (its launch context was lost). */
  failWaiting(id: string, reason: string): boolean {
    return this.end(id, 'queued', {
      status: 'failed',
      terminatedBy: 'spawn_error',
      endedAt: Date.now(),
      reason,
    });
  }

  async cancel(id: string): Promise<CancelOutcome> {
    return this.stop(id, {
      status: 'cancelled',
      terminatedBy: 'cancel',
      endedAt: Date.now(),
      reason: 'cancelled on request',
    });
  }

  /** Called by the runner when a task's wrapper has gone. */
  handleExit(id: string, observation: ExitObservation): void {
    const row = this.store.get(id);
    // The wrapper of an earlier attempt, whose end was already settled: the task has moved on.
    if (row !== undefined && row.pid !== null && observation.pid !== undefined && row.pid !== observation.pid)
      return;
    this.live.delete(id);
    this.clearTimeout(id);
    if (row === undefined || isTerminal(row.status)) return; // a cancel or timeout got there first
    if (row.status === 'queued' && row.pid !== null) return; // a timeout requeued it for its next attempt
    const now = Date.now();
    // The status file's time is the true end when nobody watched (a task that ended between daemons).
    const endedAt = Math.min(now, Math.max(observation.recordedAt ?? now, row.started_at ?? row.created_at));
    const ending: TaskEnding =
      observation.exitStatus !== null
        ? attributeToLimit(endingFromExitStatus(observation.exitStatus, endedAt), row, () =>
            recentLogText(logPath(this.options.logsDir, id)),
          )
        : {
            status: 'interrupted',
            terminatedBy: 'supervisor_lost',
            endedAt: now,
            reason:
              observation.wrapperSignal !== null
                ? `the task's wrapper shell was killed by ${observation.wrapperSignal} before it could record the command's exit status`
                : "the task's wrapper shell ended without recording the command's exit status",
          };
    this.end(id, row.status, ending);
    // Descendants the command left behind (daemonised, setsid) are part of the task: end them too.
    this.reapInBackground(this.row(id), true);
  }

  /**
   * Picks up where a dead daemon left off: tasks it was running either keep being supervised to their
   * true end, or end now with their recorded outcome, or, when that cannot be known, `interrupted`.
   */
  recover(): void {
    for (const row of this.store.unreaped()) {
      const leader = leaderOf(row);
      if (isTerminal(row.status) || (row.status === 'queued' && leader !== null)) {
        // Its processes were being ended when the last daemon died: after the task's end, or after an
        // attempt that is to be retried (which may start once nothing of the last one is left).
        this.reapInBackground(row);
      } else if (row.status === 'queued' || leader === null) {
        this.end(
          row.id,
          row.status,
          this.interruption('the daemon stopped while the task was being started'),
        );
        this.reapInBackground(this.row(row.id));
      } else if (row.boot_id !== null && this.bootId !== null && row.boot_id !== this.bootId) {
        this.end(row.id, 'working', {
          status: 'interrupted',
          terminatedBy: 'reboot',
          endedAt: Date.now(),
          reason: 'the machine restarted while the task was running',
        });
        this.store.markReaped(row.id, 0);
      } else if (
        this.runner.adopt({
          id: row.id,
          leader,
          exitStatusPath: exitStatusPath(this.options.logsDir, row.id),
        })
      ) {
        this.live.add(row.id);
        this.armTimeout(row);
      } else {
        // The wrapper is gone: read the status it left, if any (it is final now that the wrapper is dead).
        const statusFile = exitStatusPath(this.options.logsDir, row.id);
        const exitStatus = this.runner.readExitStatus(statusFile);
        const recordedAt = this.runner.exitRecordedAt(statusFile) ?? undefined;
        this.handleExit(row.id, { exitStatus, wrapperSignal: null, recordedAt });
      }
    }
  }

  /** Waits for every ongoing kill to finish: so that a stopping daemon leaves nothing half-killed. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.terminations.values()]);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.runner.close();
  }

  private interruption(reason: string): TaskEnding {
    return { status: 'interrupted', terminatedBy: 'supervisor_lost', endedAt: Date.now(), reason };
  }

  private async stop(id: string, ending: TaskEnding): Promise<CancelOutcome> {
    const row = this.store.get(id);
    if (row === undefined) throw taskNotFound(id);
    if (isTerminal(row.status) || !this.end(id, row.status, ending)) {
      return { task: this.row(id), changed: false, processesEnded: 0 };
    }
    this.clearTimeout(id);
    // A task waiting in its queue has nothing running (reaped = 1): there is nothing to end.
    if (row.status === 'queued' && row.reaped === 1)
      return { task: this.row(id), changed: true, processesEnded: 0 };
    const processesEnded = await this.reap(this.row(id));
    return { task: this.row(id), changed: true, processesEnded };
  }

  /**
   * Ends whatever is left of a task's process tree, once, and records that nothing remains. After a
   * natural end (`afterExit`) the look may wait a moment, to share one sweep with other tasks.
   */
  private reap(row: TaskRow, afterExit = false): Promise<number> {
    const pending = this.terminations.get(row.id);
    if (pending !== undefined) return pending;
    // Without a recorded wrapper (the daemon died while spawning it) only the marker can find the
    // task's processes: pid 0 names no group, so the sweep goes by the marker alone.
    const leader = leaderOf(row) ?? { pid: 0, startTime: null };
    const termination = this.runner
      .terminate({ leader, marker: row.marker }, this.options.killGraceMs, afterExit)
      .then((ended) => {
        this.store.markReaped(row.id, ended);
        this.emit('reaped', row.id);
        return ended;
      })
      .finally(() => this.terminations.delete(row.id));
    this.terminations.set(row.id, termination);
    return termination;
  }

  /**
   * A reap nobody waits for. If it fails, the task stays unreaped in the store, so the next daemon's
   * recovery ends what is left; the failure must not take this daemon down as an unhandled rejection.
   */
  private reapInBackground(row: TaskRow, afterExit = false): void {
    this.reap(row, afterExit).catch(() => undefined);
  }

  /**
   * The compare-and-set every state change goes through; emits `ended` for the writer that won. An
   * attempt that ends in a way its task retries goes back to waiting instead (`requeued`), after its
   * back-off; its processes are reaped before the next attempt may start.
   */
  private end(id: string, from: TaskRow['status'], ending: TaskEnding): boolean {
    const row = this.store.get(id);
    if (row !== undefined && from === 'working' && shouldRetry(row, ending)) {
      const delayMs = backoffMs(row);
      const won = this.store.db.transaction(() => {
        if (!this.store.requeue(id, from, row.attempt + 1, ending.endedAt + delayMs)) return false;
        this.schedule.attemptEnded(id, row.attempt, ending);
        return true;
      })();
      if (won) {
        this.live.delete(id);
        this.clearTimeout(id);
        appendFileSync(logPath(this.options.logsDir, id), retryNote(ending, delayMs), { mode: 0o600 });
        this.emit('requeued', this.row(id));
      }
      return won;
    }
    const won = this.store.db.transaction(() => {
      if (!this.store.finish(id, from, ending)) return false;
      if (row !== undefined && row.retries > 0 && from === 'working')
        this.schedule.attemptEnded(id, row.attempt, ending);
      return true;
    })();
    if (won) {
      this.live.delete(id);
      this.clearTimeout(id);
      this.emit('ended', this.row(id));
    }
    return won;
  }

  private armTimeout(row: TaskRow): void {
    if (row.timeout_seconds === null || row.started_at === null) return;
    const deadline = row.started_at + row.timeout_seconds * 1000;
    const timer = setTimeout(
      () => {
        this.timers.delete(row.id);
        // Node timers cannot wait longer than about 24.8 days: a longer timeout waits in steps.
        if (Date.now() < deadline) return this.armTimeout(row);
        void this.stop(row.id, {
          status: 'timed_out',
          terminatedBy: 'timeout',
          endedAt: Date.now(),
          reason: `exceeded its timeout of ${row.timeout_seconds}s`,
        });
      },
      Math.min(MAX_TIMER_MS, Math.max(0, deadline - Date.now())),
    );
    this.timers.set(row.id, timer);
  }

  private clearTimeout(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }

  private row(id: string): TaskRow {
    const row = this.store.get(id);
    if (row === undefined) throw taskNotFound(id);
    return row;
  }

  private newId(): string {
    for (;;) {
      const id = randomBytes(4).toString('hex');
      if (!this.store.has(id)) return id;
    }
  }
}

/** The usual default, for requests from clients that did not send their umask. */
export const DEFAULT_UMASK = 0o022;

const validUmask = (umask: unknown): number =>
  typeof umask === 'number' && Number.isInteger(umask) && umask >= 0 && umask <= 0o777
    ? umask
    : DEFAULT_UMASK;
