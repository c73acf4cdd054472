import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { ProcessIdentity, ResourceLimits } from '../supervisor/platform.js';
import type { ExitObservation, TaskRunner } from '../supervisor/supervisor.js';
import { exitStatusPath, logPath, recentLogText } from '../store/logs.js';
import type { TaskEnding, TaskStore } from '../store/task-store.js';
import { taskNotFound } from '../shared/errors.js';
import { attributeToLimit, endingFromExitStatus } from './outcome.js';
import { isTerminal, type TaskRow } from '../shared/task.js';

export interface EngineOptions {
  logsDir: string;
  /** Between the polite signal and the forced kill. */
  killGraceMs: number;
}

export interface StartRequest {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number | null;
  label?: string | null;
  limits?: ResourceLimits;
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

  async start(request: StartRequest): Promise<TaskRow> {
    const id = this.newId();
    const marker = randomBytes(16).toString('hex');
    this.store.insert({
      id,
      command: request.command,
      cwd: request.cwd,
      createdAt: Date.now(),
      timeoutSeconds: request.timeoutSeconds,
      marker,
      label: request.label ?? null,
      maxMemoryMb: request.limits?.memoryMb ?? null,
      maxCpuSeconds: request.limits?.cpuSeconds ?? null,
    });
    const paths = {
      logPath: logPath(this.options.logsDir, id),
      exitStatusPath: exitStatusPath(this.options.logsDir, id),
    };
    this.live.add(id);
    let leader: ProcessIdentity;
    try {
      leader = await this.runner.launch({
        id,
        marker,
        command: request.command,
        cwd: request.cwd,
        env: request.env,
        limits: request.limits ?? { memoryMb: null, cpuSeconds: null },
        umask: validUmask(request.umask),
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
      const row = this.row(id);
      if (row.status === 'cancelled') {
        this.live.delete(id);
        const ended = await this.runner.terminate({ leader, marker }, this.options.killGraceMs);
        this.store.markReaped(id, ended);
      }
      return this.row(id);
    }
    this.armTimeout(this.row(id));
    return this.row(id);
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
    this.live.delete(id);
    this.clearTimeout(id);
    const row = this.store.get(id);
    if (row === undefined || isTerminal(row.status)) return; // a cancel or timeout got there first
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
      if (isTerminal(row.status)) {
        this.reapInBackground(row); // its processes were being ended when the last daemon died
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

  /** The compare-and-set every state change goes through; emits `ended` for the writer that won. */
  private end(id: string, from: TaskRow['status'], ending: TaskEnding): boolean {
    const won = this.store.finish(id, from, ending);
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
