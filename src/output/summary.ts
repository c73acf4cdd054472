import type { TaskRecord } from '../shared/task.js';
import { formatSeconds } from './duration.js';

const MAX_LAST_LINE = 160;

/** One line in plain words, e.g. "failed after 3m12s with exit code 1; last line: 2 failed, 416 passed". */
export function summarize(task: TaskRecord, lastLine?: string): string {
  const took = formatSeconds(task.duration_seconds ?? task.running_for_seconds ?? 0);
  let text: string;
  switch (task.status) {
    case 'queued':
      text = 'starting';
      break;
    case 'working':
      text = `working for ${took}`;
      break;
    case 'completed':
      text = `completed in ${took}`;
      break;
    case 'failed':
      text =
        task.signal !== undefined
          ? `failed after ${took}: killed by ${task.signal}`
          : task.exit_code !== undefined
            ? `failed after ${took} with exit code ${task.exit_code}`
            : `failed after ${took}${task.reason !== undefined ? `: ${task.reason}` : ''}`;
      break;
    case 'cancelled':
      text = `cancelled after ${took}`;
      break;
    case 'timed_out':
      text = `timed out after ${took}${task.timeout_seconds !== undefined ? ` (timeout ${task.timeout_seconds}s)` : ''}`;
      break;
    case 'interrupted':
      text = `interrupted after ${took}${task.reason !== undefined ? `: ${task.reason}` : ''}`;
      break;
  }
  const line = lastLine?.trim();
  if (line === undefined || line === '') return text;
  return `${text}; last line: ${line.length > MAX_LAST_LINE ? `${line.slice(0, MAX_LAST_LINE - 1)}…` : line}`;
}
