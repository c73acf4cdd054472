import type { TaskRecord } from '../shared/task.js';
import { formatSeconds } from './duration.js';

const MAX_LAST_LINE = 160;

/** One line in plain words, e.g. "failed after 3m12s with exit code 1; last line: 2 failed, 416 passed". */
export function summarize(task: TaskRecord, lastLine?: string): string {
  const took = formatSeconds(task.duration_seconds ?? task.running_for_seconds ?? 0);
  let text: string;
  switch (task.status) {
    case 'queued':
      text =
        task.attempt !== undefined && task.attempt > 1
          ? `waiting to retry (attempt ${task.attempt} of ${task.attempts ?? task.attempt} next)`
          : `waiting in queue '${task.queue ?? 'default'}'`;
      break;
    case 'working':
      text = `working for ${took}`;
      if (task.attempt !== undefined)
        text += ` (attempt ${task.attempt} of ${task.attempts ?? task.attempt})`;
      break;
    case 'completed':
      text = `completed in ${took}`;
      break;
    case 'failed':
      text =
        task.terminated_by === 'dependency' && task.reason !== undefined
          ? task.reason
          : task.signal !== undefined
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
