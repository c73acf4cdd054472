import type { TaskRow } from '../shared/task.js';
import type { TaskEnding } from '../store/task-store.js';

/** The longest back-off between two attempts, however many came before. */
const MAX_BACKOFF_MS = 24 * 3600 * 1000;

/**
 * Whether an attempt that ended so is run again. A failure or a timeout is, while attempts remain; a
 * cancel never is (it stops the retries); an `interrupted` attempt only when the task said it is safe to
 * run twice, since the command may have done part of its work before supervision was lost.
 */
export function shouldRetry(row: TaskRow, ending: TaskEnding): boolean {
  if (row.attempt > row.retries) return false;
  if (ending.status === 'failed' || ending.status === 'timed_out') return true;
  return ending.status === 'interrupted' && row.retry_interrupted === 1;
}

/** The wait before the next attempt: retry_delay_seconds, doubled after each attempt. */
export function backoffMs(row: TaskRow): number {
  return Math.min(MAX_BACKOFF_MS, row.retry_delay_seconds * 1000 * 2 ** (row.attempt - 1));
}

/**
 * The line each attempt of a retried task begins with in the log: readers (and `task_result`'s
 * `attempt`) find where an attempt's output starts by it.
 */
export function attemptMarkerLine(attempt: number, attempts: number, at: number): string {
  return `[backburner] attempt ${attempt} of ${attempts}, started ${new Date(at).toISOString()}\n`;
}

/** How an attempt that is retried is described in the log, for a person reading it whole. */
export function retryNote(ending: TaskEnding, delayMs: number): string {
  const how =
    ending.status === 'timed_out'
      ? 'timed out'
      : ending.exitCode !== undefined && ending.exitCode !== null
        ? `failed with exit code ${ending.exitCode}`
        : ending.status;
  return `[backburner] attempt ${how}; retrying in ${Math.round(delayMs / 100) / 10}s\n`;
}
