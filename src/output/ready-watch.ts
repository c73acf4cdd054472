import { statSync } from 'node:fs';
import { isTerminal, type TaskRow } from '../shared/task.js';
import { layoutOf } from '../store/log-cap.js';
import { logPath } from '../store/logs.js';
import { matchOffThread } from './off-thread.js';

interface Watched {
  pattern: RegExp;
  /** Logical offset up to which lines were looked at. */
  cursor: number;
  /** The log's size at the last look: a log that did not grow is not looked at again. */
  size: number;
}

/**
 * Watches the output of running tasks that have a `ready_pattern`, in the daemon: each new line is
 * matched once, in a worker thread within the grep time budget, and the first match marks the task
 * ready. A daemon that starts looks at a not-yet-ready task's log once from its start.
 */
export class ReadyWatch {
  private readonly watched = new Map<string, Watched | null>();
  private readonly busy = new Set<string>();
  /** Tasks that ended while a look was under way: one last look follows it. */
  private readonly ended = new Set<string>();

  constructor(
    private readonly logsDir: string,
    private readonly read: (id: string) => TaskRow | undefined,
    private readonly budgetMs: number,
    private readonly onReady: (id: string, line: number) => void,
    private readonly onError: (id: string, error: Error) => void,
  ) {}

  /** The task ended: a last look (its last line is complete now), then it is forgotten. */
  taskEnded(id: string): void {
    if (this.busy.has(id)) this.ended.add(id);
    else this.look(id, true);
  }

  /** Looks at a task's new output if it grew (or, `final`, once more after the task ended). */
  look(id: string, final = false): void {
    if (this.busy.has(id)) return;
    let entry = this.watched.get(id);
    if (entry === undefined) {
      const row = this.read(id);
      entry =
        row === undefined || row.ready_pattern === null || row.ready_at !== null
          ? null
          : { pattern: new RegExp(row.ready_pattern), cursor: 0, size: -1 };
      this.watched.set(id, entry);
    }
    if (entry === null) {
      if (final) this.forget(id);
      return;
    }
    const path = logPath(this.logsDir, id);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return; // no output yet
    }
    if (size === entry.size && !final) return;
    if (final) this.watched.delete(id); // whatever this look finds, it is the last
    const row = this.read(id);
    if (row === undefined) return this.forget(id);
    const watched = entry;
    watched.size = size;
    this.busy.add(id);
    matchOffThread(
      path,
      layoutOf(row),
      watched.cursor,
      watched.pattern,
      final || isTerminal(row.status),
      this.budgetMs,
    )
      .then((scan) => {
        watched.cursor = scan.cursor;
        if (scan.match !== null) {
          if (this.watched.has(id)) this.watched.set(id, null);
          this.onReady(id, scan.match.line_number);
        }
      })
      .catch((error: unknown) => {
        if (this.watched.has(id)) this.watched.set(id, null); // it would run out of time again: stop
        this.onError(id, error as Error);
      })
      .finally(() => {
        this.busy.delete(id);
        if (this.ended.delete(id)) this.look(id, true);
      });
  }

  forget(id: string): void {
    this.watched.delete(id);
  }
}
