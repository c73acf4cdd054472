import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskRow } from '../engine/task.js';
import { cutLog, type LogLayout } from './log-cap.js';
import { exitStatusPath, logPath } from './logs.js';
import type { TaskStore } from './task-store.js';

export interface LogLimits {
  /** Per-task cap: a larger log keeps its head and tail. */
  maxLogBytes: number;
  /** Quota for all logs together: the oldest ended tasks' logs go first. */
  maxHomeBytes: number;
  /** Ended tasks older than this are deleted; 0 keeps them forever. */
  retentionMs: number;
}

export interface SweepReport {
  deletedTasks: number;
  removedLogs: number;
}

const layoutOf = (row: TaskRow): LogLayout => ({
  headBytes: row.log_head_bytes,
  droppedBytes: row.log_dropped_bytes,
});

/** Keeps the home bounded: caps each log, enforces the quota and the retention period. */
export class LogKeeper {
  /** Each live log's size at the last look, and whether it had changed since the look before. */
  private readonly looks = new Map<string, { size: number; growing: boolean }>();

  constructor(
    private readonly store: TaskStore,
    private readonly logsDir: string,
    private readonly limits: LogLimits,
  ) {}

  /** Whether the log grew between the last two looks: a busy writer is looked at more often. */
  isGrowing(id: string): boolean {
    return this.looks.get(id)?.growing ?? true;
  }

  forget(id: string): void {
    this.looks.delete(id);
  }

  /**
   * Cuts a task's log to the cap if it has grown past it. Never throws: a log that cannot be cut now
   * is tried again at the next look, and the task itself is never disturbed.
   */
  cap(id: string): void {
    const path = logPath(this.logsDir, id);
    try {
      const size = statSync(path).size;
      this.looks.set(id, { size, growing: size !== this.looks.get(id)?.size });
      if (size <= this.limits.maxLogBytes) return;
      const row = this.store.get(id);
      if (row === undefined) return;
      const layout = cutLog(path, this.limits.maxLogBytes, layoutOf(row));
      if (layout !== null) this.store.setLogLayout(id, layout);
    } catch {
      // no log yet, or it vanished: nothing to cap
    }
  }

  /** Deletes an ended task's record and files; false if it is running or unknown. */
  deleteTask(id: string): boolean {
    if (!this.store.remove(id)) return false;
    this.removeFiles(id);
    return true;
  }

  /** Applies the retention period, then the quota. */
  sweep(now: number = Date.now()): SweepReport {
    const report: SweepReport = { deletedTasks: 0, removedLogs: 0 };
    if (this.limits.retentionMs > 0) {
      for (const row of this.store.endedBefore(now - this.limits.retentionMs)) {
        if (this.deleteTask(row.id)) report.deletedTasks++;
      }
    }
    let total = this.logsBytes();
    if (total <= this.limits.maxHomeBytes) return report;
    for (const row of this.store.endedWithLogs()) {
      if (total <= this.limits.maxHomeBytes) break;
      total -= this.fileBytes(logPath(this.logsDir, row.id));
      this.removeFiles(row.id);
      this.store.markLogRemoved(row.id);
      report.removedLogs++;
    }
    return report;
  }

  private removeFiles(id: string): void {
    rmSync(logPath(this.logsDir, id), { force: true });
    rmSync(exitStatusPath(this.logsDir, id), { force: true });
  }

  private logsBytes(): number {
    return readdirSync(this.logsDir).reduce((sum, name) => sum + this.fileBytes(join(this.logsDir, name)), 0);
  }

  private fileBytes(path: string): number {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  }
}
