import type { EventEmitter } from 'node:events';
import type { DaemonClientEvents } from '../daemon/client.js';
import { invalidArgument, quote } from '../shared/errors.js';
import { isTerminal, type TaskRow } from '../shared/task.js';
import { validatePattern } from '../shared/validate.js';
import { matchOffThread } from '../output/off-thread.js';
import { layoutOf, logicalOffset } from '../store/log-cap.js';
import { LogView } from '../store/log-view.js';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_TASKS, parseOutputCursor, validateWaitSeconds } from './arguments.js';
import { OutputWatch, type OutputMatch } from './output-watch.js';
import { waitForTasks, WAIT_MODES, type WaitMode, type WaitProgress } from './wait.js';

/** What `answerWait` needs of the facade: resolving ids, reading rows, and shaping records. */
export interface WaitContext<Details extends object> {
  resolveId(id: unknown): string;
  row(id: string): TaskRow;
  details(row: TaskRow): Details;
  shortTail(row: TaskRow): string;
  logFile(id: string): string;
  patternBudgetMs(): number;
  /** Makes sure a daemon runs (a fresh one settles what a dead one left) before waiting on its events. */
  ready(): Promise<void>;
  events: EventEmitter<DaemonClientEvents>;
}

export interface WaitArguments {
  taskIds: unknown;
  mode?: unknown;
  timeoutSeconds?: unknown;
  onProgress?: ((progress: WaitProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  until_output?: unknown;
  since?: unknown;
}

export interface WaitResult<Details = unknown> {
  tasks: (Details & { output_tail?: string })[];
  /** With until_output: the line that ended the wait. */
  output_match?: OutputMatch;
  /** With until_output and no match: how far each task's output was looked at (a `since` for the next wait). */
  output_cursors?: Record<string, string>;
  /** True when time ran out before the condition was met. */
  timed_out: boolean;
  waited_seconds: number;
  message: string;
}

export function parseWaitMode(mode: unknown): WaitMode {
  if (mode === undefined || mode === null) return 'any';
  if (typeof mode !== 'string' || !(WAIT_MODES as readonly string[]).includes(mode))
    throw invalidArgument(`mode must be one of ${WAIT_MODES.join(', ')}, got ${quote(mode)}`);
  return mode as WaitMode;
}

/** "2 of 5 still working, 1 queued": what has not ended among `rows`. */
function notEnded(rows: TaskRow[]): string {
  const working = rows.filter((row) => row.status === 'working').length;
  const queued = rows.filter((row) => row.status === 'queued').length;
  const parts = [];
  if (working > 0) parts.push(`${working} of ${rows.length} still working`);
  if (queued > 0) parts.push(`${queued} of ${rows.length} queued (not started yet)`);
  return parts.join(', ');
}

/** The logical offset of the end of a task's log now: where a wait for new output starts. */
function logicalEnd(path: string, row: TaskRow): number {
  const layout = layoutOf(row);
  const log = LogView.open(path, layout);
  if (log === null) return 0;
  try {
    return logicalOffset(layout, log.size);
  } finally {
    log.close();
  }
}

/**
 * `wait_tasks` from its arguments to its answer: checks them, waits (woken by the daemon's events, and
 * for `until_output` by a look at the logs' sizes every 20 ms), and says what happened and what to call
 * next.
 */
export async function answerWait<Details extends object>(
  context: WaitContext<Details>,
  args: WaitArguments,
): Promise<WaitResult<Details>> {
  const { taskIds } = args;
  if (!Array.isArray(taskIds) || taskIds.length === 0) {
    throw invalidArgument(`task_ids must be a non-empty array of task ids, got ${quote(taskIds)}`);
  }
  if (taskIds.length > MAX_WAIT_TASKS)
    throw invalidArgument(`task_ids may list at most ${MAX_WAIT_TASKS} tasks, got ${taskIds.length}`);
  const mode = parseWaitMode(args.mode);
  const seconds = validateWaitSeconds('timeout_seconds', args.timeoutSeconds ?? DEFAULT_WAIT_SECONDS);
  const pattern = validatePattern('until_output', args.until_output);
  const ids = [...new Set(taskIds.map((id) => context.resolveId(id)))];
  if (mode === 'ready') {
    const without = ids.map((id) => context.row(id)).find((row) => row.ready_pattern === null);
    if (without !== undefined)
      throw invalidArgument(
        `mode "ready" needs tasks started with a ready_pattern; task ${without.id} has none`,
      );
  }
  const since = parseOutputCursor(args.since);
  if (since !== undefined && (pattern === null || ids.length !== 1))
    throw invalidArgument('since goes with until_output and a single task id');
  await context.ready();
  const output =
    pattern === null
      ? undefined
      : new OutputWatch(
          new Map(ids.map((id) => [id, since ?? logicalEnd(context.logFile(id), context.row(id))])),
          (id) => context.logFile(id),
          (id, from, final) =>
            matchOffThread(
              context.logFile(id),
              layoutOf(context.row(id)),
              from,
              pattern,
              final,
              context.patternBudgetMs(),
            ),
        );
  const started = Date.now();
  const { rows, match } = await waitForTasks({
    ids,
    mode,
    timeoutMs: seconds * 1000,
    read: (id) => context.row(id),
    events: context.events,
    onProgress: args.onProgress,
    signal: args.signal,
    output,
  });
  const ended = rows.filter((row) => isTerminal(row.status));
  const ready = rows.filter((row) => row.ready_at !== null);
  const timedOut =
    match === undefined &&
    (mode === 'any'
      ? ended.length === 0
      : mode === 'all'
        ? ended.length < rows.length
        : ready.length < rows.length && !ended.some((row) => row.ready_at === null));
  const tasks = rows.map((row) => {
    const details = { ...context.details(row) } as Details & { output_tail?: string };
    if (isTerminal(row.status)) details.output_tail = context.shortTail(row);
    return details;
  });
  const waited = Math.round((Date.now() - started) / 100) / 10;
  const working = rows.length - ended.length;
  let message: string;
  if (match !== undefined)
    message = `task ${match.task_id} printed a line matching ${quote(pattern?.source)} (line ${match.line_number}); read on with task_result(since: "${match.next_cursor}")`;
  else if (timedOut)
    message = `${notEnded(rows)}${mode === 'ready' ? ` (${ready.length} of ${rows.length} ready)` : ''} after ${waited}s; call wait_tasks again with the same task_ids to keep waiting, or task_result to peek at output`;
  else if (mode === 'ready' && ready.length === rows.length)
    message = `${rows.length} of ${rows.length} ready`;
  else message = `${ended.length} of ${rows.length} ended${working > 0 ? `; ${notEnded(rows)}` : ''}`;
  const result: WaitResult<Details> = { tasks, timed_out: timedOut, waited_seconds: waited, message };
  if (match !== undefined) result.output_match = match;
  else if (output !== undefined) {
    // Nothing matched: where the look got to, so that a next wait misses nothing printed in between.
    result.output_cursors = output.positions();
    const only = ids.length === 1 ? result.output_cursors[ids[0] as string] : undefined;
    if (timedOut && only !== undefined)
      result.message += `; to go on looking without missing a line, pass since: "${only}"`;
  }
  return result;
}
