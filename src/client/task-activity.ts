import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import type { TaskRow } from '../shared/task.js';
import type { Backburner } from './backburner.js';

export interface TaskActivityEvents {
  /** A task reached its end (any terminal status). */
  ended: [task: TaskRow];
  /** A working task's log changed since the last look (at most once per interval per task). */
  output: [taskId: string];
  /** A task that was not running at the last look is running now (started by any client). */
  started: [taskId: string];
}

/** How often running tasks' logs are looked at; also the most often `output` fires for one task. */
export const OUTPUT_CHECK_MS = 1000;
const MAX_WATCHED = 1000;

/**
 * What is happening to tasks, as events, for adapters that push updates (MCP resource subscriptions,
 * task status notifications). Ends come from the daemon the moment it records them; output growth is
 * seen by a cheap stat of each working task's log once a second, only while someone listens.
 */
export class TaskActivity extends EventEmitter<TaskActivityEvents> {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, string>();
  private listening = 0;
  private looked = false;

  constructor(private readonly backburner: Backburner) {
    super();
    backburner.daemon.on('ended', (task) => this.emit('ended', task));
  }

  /** Registers an interest; output checks run while at least one is registered. Returns the release. */
  retain(): () => void {
    this.listening += 1;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.checkOutput(), OUTPUT_CHECK_MS);
      this.timer.unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.listening -= 1;
      if (this.listening === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.seen.clear();
        this.looked = false;
      }
    };
  }

  private checkOutput(): void {
    let working: TaskRow[];
    try {
      working = this.backburner.workingTasks(MAX_WATCHED);
    } catch {
      return; // an unusable home is reported by the calls themselves
    }
    const current = new Set<string>();
    for (const task of working) {
      current.add(task.id);
      let signature = 'no log yet';
      try {
        const stat = statSync(this.backburner.logFile(task.id));
        signature = `${stat.size}:${stat.mtimeMs}`;
      } catch {
        // not created yet: compare against that
      }
      const before = this.seen.get(task.id);
      this.seen.set(task.id, signature);
      // The first look only records: a listener hears of changes from the moment it started listening.
      if (!this.looked) continue;
      if (before === undefined) this.emit('started', task.id);
      else if (before !== signature) this.emit('output', task.id);
    }
    this.looked = true;
    for (const id of this.seen.keys()) if (!current.has(id)) this.seen.delete(id);
  }
}
