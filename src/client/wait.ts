import type { EventEmitter } from 'node:events';
import { isTerminal, type TaskRow } from '../shared/task.js';
import type { DaemonClientEvents } from '../daemon/client.js';

export type WaitMode = 'any' | 'all';

export interface WaitProgress {
  elapsedSeconds: number;
  totalSeconds: number;
  ended: number;
  of: number;
}

export interface WaitRequest {
  ids: string[];
  mode: WaitMode;
  timeoutMs: number;
  read: (id: string) => TaskRow;
  events: EventEmitter<DaemonClientEvents>;
  onProgress?: ((progress: WaitProgress) => void) | undefined;
  /** The caller gave up (the client cancelled its request): stop waiting and answer with what is known. */
  signal?: AbortSignal | undefined;
}

/** A check now and then, in case an event was missed while the daemon restarted. Events do the work. */
const SAFETY_CHECK_MS = 1000;
const PROGRESS_EVERY_MS = 5000;

/**
 * Resolves with the tasks' rows as soon as any (or all) of them have ended, or when time runs out.
 * The daemon pushes an `ended` event the moment it records an end, so this wakes within milliseconds.
 */
export function waitForTasks(request: WaitRequest): Promise<TaskRow[]> {
  const { ids, mode, timeoutMs, read, events, onProgress, signal } = request;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const stop = (): void => {
      for (const timer of timers) clearTimeout(timer);
      events.off('ended', onEnded);
      events.off('disconnected', check);
      signal?.removeEventListener('abort', onAbort);
    };
    const finish = (rows: TaskRow[]): void => {
      stop();
      resolve(rows);
    };
    /** Runs `step`, turning a failure (a task deleted meanwhile) into the wait's answer, never a throw. */
    const guarded = (step: () => void) => (): void => {
      try {
        step();
      } catch (error) {
        stop();
        reject(error as Error);
      }
    };
    const onAbort = guarded(() => finish(rows()));
    const rows = (): TaskRow[] => ids.map(read);
    const satisfied = (current: TaskRow[]): boolean => {
      const ended = current.filter((row) => isTerminal(row.status)).length;
      return mode === 'any' ? ended > 0 : ended === current.length;
    };
    const check = guarded(() => {
      const current = rows();
      if (satisfied(current)) finish(current);
    });
    function onEnded(task: TaskRow): void {
      if (ids.includes(task.id)) check();
    }
    events.on('ended', onEnded);
    events.on('disconnected', check);
    signal?.addEventListener('abort', onAbort);
    timers.push(setInterval(check, SAFETY_CHECK_MS));
    timers.push(
      setTimeout(
        guarded(() => finish(rows())),
        timeoutMs,
      ),
    );
    if (onProgress !== undefined) {
      timers.push(
        setInterval(
          guarded(() => {
            const current = rows();
            onProgress({
              elapsedSeconds: Math.round((Date.now() - started) / 1000),
              totalSeconds: Math.round(timeoutMs / 1000),
              ended: current.filter((row) => isTerminal(row.status)).length,
              of: current.length,
            });
          }),
          PROGRESS_EVERY_MS,
        ),
      );
    }
    check();
  });
}
