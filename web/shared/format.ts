import type { TaskRow } from './types.js';

/** 75 → "1m 15s"; 3700 → "1h 01m". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** How long a task has run: its recorded duration, or (running) counted from its start to `now`. */
export function taskDuration(task: TaskRow, now: number): number | undefined {
  if (task.duration_seconds !== undefined) return task.duration_seconds;
  if (task.started_at !== undefined && task.ended_at === undefined)
    return (now - Date.parse(task.started_at)) / 1000;
  return task.running_for_seconds;
}

/** Why a task ended as it did, in a few words ("exit 2", "SIGKILL: memory limit", "cancelled"). */
export function exitCause(task: TaskRow): string {
  if (task.status === 'working' || task.status === 'queued') {
    if (task.status === 'queued' && task.queue_position !== undefined)
      return `#${task.queue_position} in queue`;
    return '';
  }
  const parts: string[] = [];
  if (task.exit_code !== undefined) parts.push(`exit ${task.exit_code}`);
  if (task.signal !== undefined) parts.push(task.signal);
  if (task.terminated_by !== undefined && task.terminated_by !== 'exit')
    parts.push(task.terminated_by.replace(/_/g, ' '));
  if (task.failed_dependency !== undefined)
    parts.push(`after ${task.failed_dependency.task_id} ${task.failed_dependency.status}`);
  if (parts.length === 0 && task.reason !== undefined) parts.push(task.reason);
  return parts.join(' · ');
}

export const progressPercent = (task: TaskRow): number | undefined => {
  const progress = task.progress;
  if (progress === undefined) return undefined;
  if (progress.percent !== undefined) return progress.percent;
  if (progress.current !== undefined && progress.total !== undefined && progress.total > 0)
    return (100 * progress.current) / progress.total;
  return undefined;
};

// Colour and cursor sequences (CSI, OSC), which a browser would show as garbage.
const ANSI =
  // eslint-disable-next-line no-control-regex -- these are the control characters to remove
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;

/** One line as a terminal would leave it: colours dropped, and only what the last carriage return redrew. */
export function cleanLine(line: string): string {
  const plain = line.replace(ANSI, '');
  const redrawn = plain.replace(/\r+$/, '');
  const at = redrawn.lastIndexOf('\r');
  return at === -1 ? redrawn : redrawn.slice(at + 1);
}
