import type { TaskRecord, TaskStatus } from '../shared/task.js';
import { formatSeconds } from '../output/duration.js';
import type { TaskInsight } from '../output/insight.js';
import { progressText } from './progress-bar.js';

const useColor = (): boolean => process.stdout.isTTY === true && process.env.NO_COLOR === undefined;

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, gray: 90, bold: 1 } as const;
type Color = keyof typeof CODES;

export function paint(color: Color, text: string): string {
  return useColor() ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const STATUS_COLORS: Record<TaskStatus, Color> = {
  queued: 'gray',
  working: 'blue',
  completed: 'green',
  failed: 'red',
  cancelled: 'yellow',
  timed_out: 'magenta',
  interrupted: 'magenta',
};

export const paintStatus = (status: TaskStatus, text: string = status): string =>
  paint(STATUS_COLORS[status], text);

function elapsed(task: TaskRecord): string {
  const seconds = task.duration_seconds ?? task.running_for_seconds;
  return seconds === undefined ? '-' : formatSeconds(seconds);
}

export function localTime(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A table with aligned columns; the last column (the command) is cut to the terminal's width. */
export function taskTable(
  tasks: (TaskRecord & { queue_position?: number })[],
  progress: ReadonlyMap<string, string> = new Map(),
): string {
  // A PROGRESS column only when a task has something to show there.
  const withProgress = tasks.some((task) => (progress.get(task.task_id) ?? '') !== '');
  const header = [
    'ID',
    'STATUS',
    'QUEUE',
    'EXIT',
    'TIME',
    ...(withProgress ? ['PROGRESS'] : []),
    'CREATED',
    'COMMAND',
  ];
  const rows = tasks.map((task) => [
    task.task_id,
    task.queue_position === undefined ? task.status : `${task.status} #${task.queue_position}`,
    task.queue ?? 'default',
    task.exit_code !== undefined ? String(task.exit_code) : (task.signal ?? '-'),
    elapsed(task),
    ...(withProgress ? [progress.get(task.task_id) || '-'] : []),
    localTime(task.created_at),
    task.command.replace(/\s+/g, ' '),
  ]);
  const widths = header
    .slice(0, -1)
    .map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const prefix = widths.reduce((sum, width) => sum + width + 2, 0);
  const room = Math.max(20, (process.stdout.columns ?? 120) - prefix);
  const line = (cells: string[], statusOf?: TaskStatus): string =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1) return cell.length > room ? `${cell.slice(0, room - 1)}…` : cell;
        const padded = cell.padEnd(widths[i] ?? 0);
        return i === 1 && statusOf !== undefined ? paintStatus(statusOf, padded) : padded;
      })
      .join('  ');
  return [paint('bold', line(header)), ...rows.map((row, i) => line(row, tasks[i]?.status))].join('\n');
}

/** The record as labelled lines, for `backburner status`. */
export function taskDetails(
  task: TaskRecord & { queue_position?: number; waiting_for?: string[] } & Partial<TaskInsight>,
): string {
  const progress = progressText(task, process.stdout.isTTY === true, 20);
  const fields: [string, string | undefined][] = [
    ['task', task.task_id],
    ['status', paintStatus(task.status)],
    ['command', task.command],
    ['cwd', task.cwd],
    ['created', localTime(task.created_at)],
    ['started', task.started_at && localTime(task.started_at)],
    ['ended', task.ended_at && localTime(task.ended_at)],
    [
      'running for',
      task.running_for_seconds !== undefined ? formatSeconds(task.running_for_seconds) : undefined,
    ],
    ['duration', task.duration_seconds !== undefined ? formatSeconds(task.duration_seconds) : undefined],
    ['timeout', task.timeout_seconds !== undefined ? `${task.timeout_seconds}s` : undefined],
    ['exit code', task.exit_code?.toString()],
    ['signal', task.signal],
    ['ended by', task.terminated_by],
    ['reason', task.reason],
    ['pid', task.pid?.toString()],
    ['progress', progress === '' ? undefined : progress],
    ['queue', task.queue ?? 'default'],
    ['place', task.queue_position?.toString()],
    ['waiting for', task.waiting_for?.join('; ')],
    ['not before', task.not_before && localTime(task.not_before)],
    [
      'attempt',
      task.attempt === undefined ? undefined : `${task.attempt} of ${task.attempts ?? task.attempt}`,
    ],
    ['restarted from', task.restarted_from],
  ];
  return fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([label, value]) => `${paint('gray', label.padEnd(15))}${value}`)
    .join('\n');
}

/** Columns padded to their widest cell, a bold header: for the small listings (queues, workers). */
export function plainTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [paint('bold', line(header)), ...rows.map(line)].join('\n');
}
