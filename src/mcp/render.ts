import type { TaskRecord } from '../engine/task.js';
import { formatSeconds } from '../output/duration.js';

/** One short line per task, for clients that show only the text of a tool result. */
export function describeTask(task: TaskRecord): string {
  const parts = [`task ${task.task_id} ${task.status}`];
  if (task.exit_code !== undefined) parts.push(`exit code ${task.exit_code}`);
  if (task.signal !== undefined) parts.push(`signal ${task.signal}`);
  if (task.running_for_seconds !== undefined)
    parts.push(`running for ${formatSeconds(task.running_for_seconds)}`);
  if (task.duration_seconds !== undefined) parts.push(`after ${formatSeconds(task.duration_seconds)}`);
  let line = `${parts.join(', ')}: ${task.command}`;
  if (task.reason !== undefined && task.status !== 'completed') line += ` (${task.reason})`;
  return line;
}
