import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LogLimits } from '../shared/config.js';
import { diskBytes, punchHole } from './hole-punch.js';
import { cutLog, layoutOf, planPunch } from './log-cap.js';
import { exitStatusPath, logPath } from './logs.js';
import type { TaskStore } from './task-store.js';

export interface SweepReport {
  deletedTasks: number;
  removedLogs: number;
}

export interface CapOptions {
  /**
   * Whether the logs' file system can punch holes (`canPunchHoles`); otherwise logs are cut by copying.
   * A function is asked once, when a log first passes the cap: a daemon whose logs stay small never
   * pays for the probe (nor loads the FFI it uses). No log is cut until the answer is known.
   */
  holes: boolean | (() => Promise<boolean>);
  /** Told when a hole could not be punched (the log stays readable; its disk use is not freed). */
  onError?: (id: string, error: Error) => void;
}

/** Keeps the home bounded: caps each log, enforces the quota and the retention period. */
export class LogKeeper {
  /** Each live log's size at the last look, and whether it had changed since the look before. */
  private readonly looks = new Map<string, { size: number; growing: boolean }>();

  /** Logs with a hole being punched: one punch at a time per log. */
  private readonly punching = new Set<string>();
  /**
   * Logs looked at while a punch was under way, or before the probe answered: looked at again when it
   * is done, since that look may have been a task's last.
   */
  private readonly lookAgain = new Set<string>();

  /** Whether holes can be punched; undefined until the probe has answered. */
  private holes: boolean | undefined;
  private probing = false;

  constructor(
    private readonly store: TaskStore,
    private readonly logsDir: string,
    private readonly limits: LogLimits,
    private readonly options: CapOptions = { holes: false },
  ) {
    if (typeof options.holes === 'boolean') this.holes = options.holes;
  }

  /** Asks, once, whether holes can be punched; looks again at the logs that waited for the answer. */
  private probeHoles(probe: () => Promise<boolean>): void {
    if (this.probing) return;
    this.probing = true;
    void probe().then((holes) => {
      this.holes = holes;
      for (const id of [...this.lookAgain]) {
        this.lookAgain.delete(id);
        this.cap(id);
      }
    });
  }

  /** Whether the log grew between the last two looks: a busy writer is looked at more often. */
  isGrowing(id: string): boolean {
    return this.looks.get(id)?.growing ?? true;
  }

  forget(id: string): void {
    this.looks.delete(id);
  }

  /**
   * Cuts a task's log to the cap if what it keeps has grown past it. Never throws: a log that cannot be
   * cut now is tried again at the next look, and the task itself is never disturbed.
   *
   * A punched cut is recorded in the store before the hole is punched: a reader in between skips bytes
   * that are about to go, never reads a hole as output.
   */
  cap(id: string): void {
    const path = logPath(this.logsDir, id);
    try {
      const size = statSync(path).size;
      this.looks.set(id, { size, growing: size !== this.looks.get(id)?.size });
      if (size <= this.limits.maxLogBytes) return;
      if (this.holes === undefined || this.punching.has(id)) {
        this.lookAgain.add(id);
        if (typeof this.options.holes === 'function') this.probeHoles(this.options.holes);
        return;
      }
      const row = this.store.get(id);
      if (row === undefined) return;
      const layout = layoutOf(row);
      const byHoles = this.holes && (layout.headBytes === null || layout.punched);
      if (!byHoles) {
        const cut = cutLog(path, this.limits.maxLogBytes, layout);
        if (cut !== null) this.store.setLogLayout(id, cut);
        return;
      }
      const next = planPunch(path, this.limits.maxLogBytes, layout);
      if (next === null || next.headBytes === null) return;
      this.store.setLogLayout(id, next);
      this.punching.add(id);
      punchHole(path, next.headBytes, next.droppedBytes)
        .catch((error: unknown) => this.options.onError?.(id, error as Error))
        .finally(() => {
          this.punching.delete(id);
          if (this.lookAgain.delete(id)) this.cap(id);
        });
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

  /** What the quota counts: every log and status file, and the audit log with its older generation. */
  private logsBytes(): number {
    const home = dirname(this.logsDir);
    const audit = ['audit.log', 'audit.log.1'].reduce(
      (sum, name) => sum + this.fileBytes(join(home, name)),
      0,
    );
    return readdirSync(this.logsDir).reduce(
      (sum, name) => sum + this.fileBytes(join(this.logsDir, name)),
      audit,
    );
  }

  /** What a file costs on disk: a punched log costs its kept bytes, not its size. */
  private fileBytes(path: string): number {
    return diskBytes(path);
  }
}
