import { readFileSync, rmSync, statSync } from 'node:fs';
import type { ProcessIdentity, ProcessPlatform, ResourceLimits, TerminalSize } from './platform.js';

/** What a task needs to be launched, as the engine describes it. */
export interface LaunchRequest {
  id: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  marker: string;
  logPath: string;
  exitStatusPath: string;
  limits: ResourceLimits;
  /** The file mode mask the command runs with. */
  umask: number;
  /** The FIFO the task reads its input from (made at launch), or null for /dev/null. */
  inputPath: string | null;
  tty: TerminalSize | null;
}

/** What the supervisor saw when a task's wrapper went away. */
export interface ExitObservation {
  /** The command's exit status as the wrapper recorded it (128 + n when killed by signal n), if it did. */
  exitStatus: number | null;
  /** How the wrapper itself ended, when the supervisor is its parent. */
  wrapperSignal: string | null;
  /** When the status was recorded (ms), if known: the task's true end, even if nobody watched then. */
  recordedAt?: number;
  /** The wrapper's pid: a retried task has one wrapper per attempt, and a late report of an old one is ignored. */
  pid?: number;
}

export interface WatchedTask {
  id: string;
  leader: ProcessIdentity;
  exitStatusPath: string;
}

export type ExitListener = (id: string, observation: ExitObservation) => void;

/**
 * The engine's only view of "where tasks run". The local supervisor below runs them as processes on
 * this machine; a remote backend would implement the same four operations.
 */
export interface TaskRunner {
  launch(request: LaunchRequest): Promise<ProcessIdentity>;
  /** Resumes watching a task started by an earlier daemon; false if its wrapper is gone. */
  adopt(task: WatchedTask): boolean;
  /** Ends what is left of a task's tree; `afterExit` marks the sweep after a natural end, which may wait to batch. */
  terminate(
    task: { leader: ProcessIdentity; marker: string },
    graceMs: number,
    afterExit?: boolean,
  ): Promise<number>;
  readExitStatus(path: string): number | null;
  /** Writes to a running task's input FIFO. */
  writeInput(inputPath: string, bytes: Buffer, timeoutMs: number): Promise<void>;
  /** Closes a running task's input (its command then reads end of file). */
  closeInput(inputPath: string, leader: ProcessIdentity): Promise<boolean>;
  /** When the wrapper wrote the exit status (the file's mtime, ms), or null if it did not. */
  exitRecordedAt(path: string): number | null;
  bootId(): string | null;
  /** Forgets every watch (the daemon is stopping); tasks keep running. */
  close(): void;
}

const ADOPTED_POLL_MS = 200;

/** Runs tasks as local processes through the platform layer, and reports each wrapper's end. */
export class LocalSupervisor implements TaskRunner {
  private readonly adopted = new Map<string, WatchedTask>();
  private poller: NodeJS.Timeout | undefined;

  constructor(
    private readonly platform: ProcessPlatform,
    private readonly onExit: ExitListener,
  ) {}

  bootId(): string | null {
    return this.platform.bootId();
  }

  launch(request: LaunchRequest): Promise<ProcessIdentity> {
    rmSync(request.exitStatusPath, { force: true });
    const child = this.platform.spawnTask({ ...request });
    return new Promise((resolve, reject) => {
      child.once('error', reject); // only before 'spawn': a missing shell or an unusable cwd
      child.once('spawn', () => {
        const pid = child.pid as number;
        resolve({ pid, startTime: this.platform.startTime(pid) });
      });
      child.once('exit', (code, signal) => {
        const recorded = this.readExitStatus(request.exitStatusPath);
        // Where the wrapper cannot record a status (Windows), the wrapper's own exit code is the command's.
        const exitStatus = recorded ?? (!this.platform.durableExitStatus && code !== null ? code : null);
        this.onExit(request.id, { exitStatus, wrapperSignal: signal, pid: child.pid });
      });
    });
  }

  adopt(task: WatchedTask): boolean {
    if (!this.platform.isAlive(task.leader)) return false;
    this.adopted.set(task.id, task);
    // The wrapper is no longer our child, so its end cannot be awaited: look at it a few times a second.
    this.poller ??= setInterval(() => this.pollAdopted(), ADOPTED_POLL_MS);
    return true;
  }

  private pollAdopted(): void {
    for (const task of this.adopted.values()) {
      if (this.platform.isAlive(task.leader)) continue;
      this.adopted.delete(task.id);
      this.onExit(task.id, {
        exitStatus: this.readExitStatus(task.exitStatusPath),
        wrapperSignal: null,
        recordedAt: this.exitRecordedAt(task.exitStatusPath) ?? undefined,
        pid: task.leader.pid,
      });
    }
    if (this.adopted.size === 0 && this.poller !== undefined) {
      clearInterval(this.poller);
      this.poller = undefined;
    }
  }

  terminate(
    task: { leader: ProcessIdentity; marker: string },
    graceMs: number,
    afterExit = false,
  ): Promise<number> {
    // The wrapper is an implementation detail: count only the command's own processes.
    return this.platform.killTree(task, graceMs, task.leader.pid, !afterExit);
  }

  writeInput(inputPath: string, bytes: Buffer, timeoutMs: number): Promise<void> {
    return this.platform.writeInput(inputPath, bytes, timeoutMs);
  }

  closeInput(inputPath: string, leader: ProcessIdentity): Promise<boolean> {
    return this.platform.closeInput(inputPath, leader);
  }

  readExitStatus(path: string): number | null {
    try {
      const value = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      return Number.isInteger(value) ? value : null;
    } catch {
      return null;
    }
  }

  exitRecordedAt(path: string): number | null {
    try {
      return Math.floor(statSync(path).mtimeMs);
    } catch {
      return null;
    }
  }

  close(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    this.adopted.clear();
  }
}
