import { DaemonClient } from '../daemon/client.js';
import { taskNotFound } from '../engine/errors.js';
import { enforcePolicy } from '../engine/policy.js';
import { toRecord, type TaskRecord, type TaskRow } from '../engine/task.js';
import {
  validateCommand,
  validateCwd,
  validateIntegerInRange,
  validateTaskId,
  validateTimeout,
} from '../engine/validate.js';
import { openDatabase } from '../store/database.js';
import { ensureHome, type HomePaths } from '../store/home.js';
import { logPath, readTail } from '../store/logs.js';
import { TaskStore } from '../store/task-store.js';

export interface StartOptions {
  command: unknown;
  cwd?: unknown;
  timeout_seconds?: unknown;
}

export interface TaskResult extends TaskRecord {
  output: string;
  output_total_lines: number;
}

export interface CancelResult {
  task: TaskRecord;
  /** False when the task had already ended and nothing was changed. */
  changed: boolean;
  processes_ended: number;
  message: string;
}

export const DEFAULT_TAIL_LINES = 100;
export const MAX_TAIL_LINES = 100_000;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 1000;

/**
 * What every adapter (the MCP server, the CLI) calls. It validates, applies the caller's policy, sends
 * changes to the daemon, and reads records and logs straight from the store, so that reads keep working
 * while a daemon restarts. It holds no task state of its own.
 */
export class Backburner {
  readonly paths: HomePaths;
  readonly daemon: DaemonClient;
  private readonly store: TaskStore;

  constructor(
    home: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly baseCwd: string = process.cwd(),
    options: { keepDaemonAlive?: boolean } = {},
  ) {
    this.paths = ensureHome(home);
    this.store = new TaskStore(openDatabase(this.paths.database));
    this.daemon = new DaemonClient(home, env, options.keepDaemonAlive ?? false);
  }

  async start(options: StartOptions): Promise<TaskRecord> {
    const command = validateCommand(options.command);
    const cwd = validateCwd(options.cwd, this.baseCwd);
    const timeoutSeconds = validateTimeout(options.timeout_seconds);
    enforcePolicy(command, this.env); // read afresh on every call, from this caller's environment
    const { task } = await this.daemon.request('start', {
      command,
      cwd,
      timeoutSeconds,
      env: inheritedEnvironment(this.env),
    });
    return toRecord(task);
  }

  async status(taskId: unknown): Promise<TaskRecord> {
    return toRecord(await this.read(taskId));
  }

  async result(taskId: unknown, tailLines: unknown = DEFAULT_TAIL_LINES): Promise<TaskResult> {
    const lines = validateIntegerInRange('tail_lines', tailLines ?? DEFAULT_TAIL_LINES, 1, MAX_TAIL_LINES);
    const row = await this.read(taskId);
    const tail = readTail(logPath(this.paths.logs, row.id), lines);
    return { ...toRecord(row), output: tail.text, output_total_lines: tail.totalLines };
  }

  async cancel(taskId: unknown): Promise<CancelResult> {
    const id = validateTaskId(taskId);
    this.require(id);
    const outcome = await this.daemon.request('cancel', { id });
    const task = toRecord(outcome.task);
    const message = outcome.changed
      ? `cancelled; ended ${outcome.processesEnded} process${outcome.processesEnded === 1 ? '' : 'es'}`
      : `task had already ended (${task.status}); nothing changed`;
    return { task, changed: outcome.changed, processes_ended: outcome.processesEnded, message };
  }

  async list(limit: unknown = DEFAULT_LIST_LIMIT): Promise<TaskRecord[]> {
    const count = validateIntegerInRange('limit', limit ?? DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT);
    await this.daemon.ensureDaemon();
    const now = Date.now();
    return this.store.list(count).map((row) => toRecord(row, now));
  }

  /** The path of a task's log, for adapters that follow it. */
  logFile(taskId: string): string {
    return logPath(this.paths.logs, taskId);
  }

  /** Reads a task after making sure a daemon runs: a fresh daemon first settles tasks a dead one left. */
  async read(taskId: unknown): Promise<TaskRow> {
    const id = validateTaskId(taskId);
    this.require(id);
    await this.daemon.ensureDaemon();
    return this.require(id);
  }

  close(): void {
    this.daemon.close();
    this.store.db.close();
  }

  private require(id: string): TaskRow {
    const row = this.store.get(id);
    if (row === undefined) throw taskNotFound(id);
    return row;
  }
}

/** The caller's environment, as the task inherits it (strings only). */
function inheritedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) copy[key] = value;
  return copy;
}
