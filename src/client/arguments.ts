import type { ReadRequest } from '../output/reader.js';
import { invalidArgument, quote } from '../shared/errors.js';
import { TASK_STATUSES, type TaskStatus } from '../shared/task.js';
import { validateIntegerInRange } from '../shared/validate.js';

/**
 * The arguments every adapter passes to the facade (`Backburner`), as they arrive (unknown), with their
 * limits and defaults, and the parsing that turns them into checked values or an error naming the bad
 * argument and its value.
 */

export interface StartOptions {
  command: unknown;
  cwd?: unknown;
  timeout_seconds?: unknown;
  label?: unknown;
  env?: unknown;
  max_memory_mb?: unknown;
  max_cpu_seconds?: unknown;
  queue?: unknown;
  after?: unknown;
  retries?: unknown;
  retry_delay_seconds?: unknown;
  retry_interrupted?: unknown;
  not_before?: unknown;
  stdin?: unknown;
  tty?: unknown;
  tty_cols?: unknown;
  tty_rows?: unknown;
  ready_pattern?: unknown;
  /** Words a worker host must have: the task goes to workers (with Redis configured). */
  tags?: unknown;
}

export interface InputOptions {
  end?: unknown;
  secret?: unknown;
}

export interface RestartOptions {
  env?: unknown;
}

export interface QueueOptions {
  max_parallel?: unknown;
  paused?: unknown;
}

export interface ResultOptions {
  tail_lines?: unknown;
  head_lines?: unknown;
  since?: unknown;
  grep?: unknown;
  context_lines?: unknown;
  max_matches?: unknown;
  max_bytes?: unknown;
  raw?: unknown;
  /** With retries: which attempt's output (1-based; default the last). */
  attempt?: unknown;
  /**
   * Only the output before this cursor (a `start_cursor` of an earlier read): with `tail_lines`, the
   * page of lines before what was shown, for views that page backwards through a long log.
   */
  before?: unknown;
}

export interface ListOptions {
  limit?: unknown;
  status?: unknown;
  label?: unknown;
  cwd?: unknown;
  since?: unknown;
  cursor?: unknown;
  queue?: unknown;
}

export const DEFAULT_TAIL_LINES = 100;
export const MAX_LINES = 100_000;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_MAX_BYTES = 16 * 1024;
export const MAX_MAX_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_MATCHES = 50;
export const MAX_CONTEXT_LINES = 50;
export const DEFAULT_WAIT_SECONDS = 30;
/** Under a client's ~60 s tool-call limit, with room to answer. */
export const MAX_WAIT_SECONDS = 50;
export const MAX_WAIT_TASKS = 100;

export const MAX_MEMORY_MB = 1024 * 1024;
export const MAX_CPU_SECONDS = 30 * 24 * 3600;

/** A resource limit from the call, else from the caller's environment default, else none. */
export function validateLimit(
  name: string,
  value: unknown,
  fallback: string | undefined,
  max: number,
): number | null {
  if (value === undefined || value === null) {
    if (fallback === undefined || fallback.trim() === '') return null;
    const variable = `BACKBURNER_${name.toUpperCase()}`;
    const parsed = Number(fallback);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
      throw invalidArgument(`${variable} must be an integer between 1 and ${max}, got '${fallback}'`);
    }
    return parsed;
  }
  return validateIntegerInRange(name, value, 1, max);
}

export function validateWaitSeconds(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidArgument(`${name} must be a number, got ${quote(value)}`);
  if (value < 0 || value > MAX_WAIT_SECONDS) {
    throw invalidArgument(`${name} must be between 0 and ${MAX_WAIT_SECONDS}, got ${value}`);
  }
  return value;
}

export function optionalInteger(name: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined || value === null ? undefined : validateIntegerInRange(name, value, min, max);
}

export function parseReadRequest(options: ResultOptions): ReadRequest {
  const headLines = optionalInteger('head_lines', options.head_lines, 1, MAX_LINES);
  let tailLines = optionalInteger('tail_lines', options.tail_lines, 1, MAX_LINES);
  if (tailLines === undefined && headLines === undefined) tailLines = DEFAULT_TAIL_LINES;
  const since = parseOutputCursor(options.since);
  const before = parseBeforeCursor(options.before);
  if (before !== undefined && (since !== undefined || headLines !== undefined))
    throw invalidArgument(
      'before pages backwards from a cursor: give it with tail_lines only, not since or head_lines',
    );
  let grep: RegExp | undefined;
  if (options.grep !== undefined && options.grep !== null) {
    if (typeof options.grep !== 'string' || options.grep === '')
      throw invalidArgument(`grep must be a non-empty regular expression, got ${quote(options.grep)}`);
    try {
      grep = new RegExp(options.grep);
    } catch (error) {
      throw invalidArgument(
        `grep is not a valid regular expression: ${quote(options.grep)} (${(error as Error).message})`,
      );
    }
  }
  if (options.raw !== undefined && options.raw !== null && typeof options.raw !== 'boolean') {
    throw invalidArgument(`raw must be true or false, got ${quote(options.raw)}`);
  }
  return {
    tailLines,
    headLines,
    since,
    grep,
    contextLines: optionalInteger('context_lines', options.context_lines, 0, MAX_CONTEXT_LINES) ?? 0,
    maxMatches: optionalInteger('max_matches', options.max_matches, 1, 10_000) ?? DEFAULT_MAX_MATCHES,
    maxBytes: optionalInteger('max_bytes', options.max_bytes, 256, MAX_MAX_BYTES) ?? DEFAULT_MAX_BYTES,
    raw: options.raw === true,
    ...(before === undefined ? {} : { before }),
  };
}

function parseBeforeCursor(before: unknown): number | undefined {
  if (before === undefined || before === null) return undefined;
  if (typeof before !== 'string' || !/^\d{1,16}$/.test(before))
    throw invalidArgument(
      `before must be a start_cursor value returned by an earlier read, got ${quote(before)}`,
    );
  return Number(before);
}

/** `since`: a cursor into a task's output (a `next_cursor` or `output_cursors` value), or undefined. */
export function parseOutputCursor(since: unknown): number | undefined {
  if (since === undefined || since === null) return undefined;
  if (typeof since !== 'string' || !/^\d{1,16}$/.test(since))
    throw invalidArgument(
      `since must be a next_cursor value returned by an earlier call, got ${quote(since)}`,
    );
  return Number(since);
}

export function parseStatuses(status: unknown): TaskStatus[] | undefined {
  if (status === undefined || status === null) return undefined;
  const list = Array.isArray(status) ? status : [status];
  return list.map((value) => {
    if (typeof value !== 'string' || !(TASK_STATUSES as readonly string[]).includes(value)) {
      throw invalidArgument(`status must be one of ${TASK_STATUSES.join(', ')}, got ${quote(value)}`);
    }
    return value as TaskStatus;
  });
}

export function parseListCursor(cursor: unknown): { createdAt: number; id: string } | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const match = typeof cursor === 'string' ? /^(\d{1,16})\.([0-9a-f]{8})$/.exec(cursor) : null;
  if (match === null)
    throw invalidArgument(`cursor must be a next_cursor value returned by list_tasks, got ${quote(cursor)}`);
  return { createdAt: Number(match[1]), id: match[2] ?? '' };
}
