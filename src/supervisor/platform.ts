import type { ChildProcess } from 'node:child_process';

/** What the supervisor needs to start one task. */
export interface SpawnSpec {
  id: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  logPath: string;
  exitStatusPath: string;
  /** A value unique to this task, put in its environment so that escaped descendants can be found. */
  marker: string;
  limits: ResourceLimits;
  /** The file mode mask for the command (the caller's). */
  umask: number;
  /** Where the task's input FIFO is made, when it takes input; null: its stdin is /dev/null. */
  inputPath: string | null;
  /** Run on a pseudo-terminal of this size; null: plain pipes. */
  tty: TerminalSize | null;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** Limits the kernel enforces on a task (POSIX rlimits); null means none. */
export interface ResourceLimits {
  memoryMb: number | null;
  cpuSeconds: number | null;
}

/** A process named so that a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  /** Platform-specific start time (clock ticks since boot on Linux); null where it cannot be read. */
  startTime: string | null;
}

export interface KillTarget {
  /** The task's wrapper: its pid is also the task's process group id. */
  leader: ProcessIdentity;
  marker: string;
}

/**
 * Everything that differs between operating systems, behind one interface: how a task is spawned, how
 * a process is recognised, and how a whole tree is ended.
 */
export interface ProcessPlatform {
  /** The environment variable that carries a task's marker. */
  readonly markerVariable: string;
  /** Whether an exit status written by the wrapper outlives the supervisor on this platform. */
  readonly durableExitStatus: boolean;
  /** Changes at every boot; null where it cannot be read. */
  bootId(): string | null;
  spawnTask(spec: SpawnSpec): ChildProcess;
  startTime(pid: number): string | null;
  /** True when a live (not zombie) process with this pid and the same start time exists. */
  isAlive(identity: ProcessIdentity): boolean;
  /**
   * Ends the task's whole tree: a polite signal, `graceMs` to exit, then a forced kill, then a sweep for
   * descendants that left the group. Returns how many processes were ended, not counting `exclude`.
   */
  killTree(target: KillTarget, graceMs: number, exclude?: number, urgent?: boolean): Promise<number>;
  /** Writes to a task's input FIFO; fails with a clear error when nothing reads it or it stays full. */
  writeInput(inputPath: string, bytes: Buffer, timeoutMs: number): Promise<void>;
  /**
   * Closes a task's input: ends the process that holds the FIFO open, so that the command reads end of
   * file. False when there was nothing to end (already closed, or the task is gone).
   */
  closeInput(inputPath: string, leader: ProcessIdentity): Promise<boolean>;
  /** The local IPC endpoint for a home. */
  socketPath(home: string): string;
  /**
   * Makes sure the folder of a socket path outside the home is safe to use (ours, not a link, owner-only),
   * creating it when `create`; throws HOME_UNSAFE otherwise.
   */
  secureSocketDir(socketPath: string, create: boolean): void;
}
