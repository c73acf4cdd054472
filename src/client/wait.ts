import type { EventEmitter } from 'node:events';
import { isTerminal, type TaskRow } from '../shared/task.js';
import type { DaemonClientEvents } from '../daemon/client.js';
import type { OutputMatch, OutputWatch } from './output-watch.js';

/** `any`/`all`: until any or every task ended; `ready`: until every task is ready (or one ended unready). */
export type WaitMode = 'any' | 'all' | 'ready';
export const WAIT_MODES: readonly WaitMode[] = ['any', 'all', 'ready'];

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
  /** Also return as soon as a new line of output matches (`until_output`). */
  output?: OutputWatch | undefined;
}

export interface WaitOutcome {
  rows: TaskRow[];
  /** The line that ended the wait, when `output` was watched and a line matched. */
  match?: OutputMatch;
}

/** A check now and then, in case an event was missed while the daemon restarted. Events do the work. */
const SAFETY_CHECK_MS = 1000;
/** How often a wait for output looks at the logs' sizes (a stat each): the wake-up latency it allows. */
const OUTPUT_POLL_MS = 20;
const PROGRESS_EVERY_MS = 5000;

/**
 * Resolves with the tasks' rows as soon as any (or all) of them have ended, or when time runs out.
 * The daemon pushes an `ended` event the moment it records an end, so this wakes within milliseconds.
 */
export function waitForTasks(request: WaitRequest): Promise<WaitOutcome> {
  const { ids, mode, timeoutMs, read, events, onProgress, signal, output } = request;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const stop = (): void => {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      events.off('ended', onEnded);
      events.off('ready', onEnded);
      events.off('disconnected', check);
      signal?.removeEventListener('abort', onAbort);
    };
    const finish = (rows: TaskRow[], match?: OutputMatch): void => {
      if (settled) return;
      stop();
      resolve(match === undefined ? { rows } : { rows, match });
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      stop();
      reject(error as Error);
    };
    /** Runs `step`, turning a failure (a task deleted meanwhile) into the wait's answer, never a throw. */
    const guarded = (step: () => void) => (): void => {
      try {
        step();
      } catch (error) {
        fail(error);
      }
    };
    const onAbort = guarded(() => finish(rows()));
    const rows = (): TaskRow[] => ids.map(read);
    const satisfied = (current: TaskRow[]): boolean => {
      const ended = current.filter((row) => isTerminal(row.status)).length;
      if (mode === 'ready') {
        const ready = current.filter((row) => row.ready_at !== null).length;
        return (
          ready === current.length || current.some((row) => isTerminal(row.status) && row.ready_at === null)
        );
      }
      return mode === 'any' ? ended > 0 : ended === current.length;
    };
    let finalLook: Promise<void> | undefined;
    const check = guarded(() => {
      const current = rows();
      if (!satisfied(current)) return;
      if (output === undefined) return finish(current);
      // A line printed just before the end still counts: one last look at what ended, then answer.
      finalLook ??= output
        .last(current.filter((row) => isTerminal(row.status)).map((row) => row.id))
        .then((match) => finish(rows(), match ?? undefined), fail);
    });
    function onEnded(task: TaskRow): void {
      if (ids.includes(task.id)) check();
    }
    events.on('ended', onEnded);
    events.on('ready', onEnded);
    events.on('disconnected', check);
    signal?.addEventListener('abort', onAbort);
    timers.push(setInterval(check, SAFETY_CHECK_MS));
    if (output !== undefined) {
      let looking = false;
      timers.push(
        setInterval(() => {
          if (looking || settled) return;
          looking = true;
          output
            .poll()
            .then((match) => {
              if (match !== null) finish(rows(), match);
            }, fail)
            .finally(() => (looking = false));
        }, OUTPUT_POLL_MS),
      );
    }
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
