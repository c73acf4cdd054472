import { DEFAULT_QUEUE } from './queues.js';

/**
 * The one place that says what a task is: its statuses, which fields exist in which status, and how
 * a stored row becomes the record every adapter shows.
 */

export const TASK_STATUSES = [
  'queued',
  'working',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
]);

/** Why a task reached its terminal state. */
export type TerminatedBy =
  | 'exit'
  | 'signal'
  | 'cancel'
  | 'timeout'
  | 'memory_limit'
  | 'cpu_limit'
  | 'spawn_error'
  | 'supervisor_lost'
  | 'reboot'
  /** A task it was to run after did not complete, so it never ran. */
  | 'dependency'
  /** The worker host that ran it stopped answering for longer than it was allowed: the end is unknown. */
  | 'worker_lost';

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** A task as the store keeps it (times in epoch milliseconds). */
export interface TaskRow {
  id: string;
  command: string;
  cwd: string;
  status: TaskStatus;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  timeout_seconds: number | null;
  exit_code: number | null;
  signal: string | null;
  terminated_by: TerminatedBy | null;
  reason: string | null;
  pid: number | null;
  pid_start_time: string | null;
  boot_id: string | null;
  marker: string;
  processes_ended: number | null;
  /** 1 once the supervisor has confirmed that no process of the task is left. */
  reaped: number;
  label: string | null;
  /** Set once the log was cut to its cap: the bytes of head kept. */
  log_head_bytes: number | null;
  log_dropped_bytes: number;
  /** 1 when the dropped middle is a hole in the file (punched), 0 when the tail was copied over it. */
  log_punched: number;
  /** 1 once retention or the home quota removed the log. */
  log_removed: number;
  max_memory_mb: number | null;
  max_cpu_seconds: number | null;
  /** The queue whose parallel limit the task counts against. */
  queue: string;
  /** Not to start before this time (ms): a delayed start, or a retry's back-off. */
  not_before: number | null;
  /** Runs after the first that may follow a failure or timeout. */
  retries: number;
  retry_delay_seconds: number;
  /** 1 when an `interrupted` attempt is retried too (the command is safe to run twice). */
  retry_interrupted: number;
  /** The attempt running now, or the last one (1-based). */
  attempt: number;
  restarted_from: string | null;
  /** JSON array of the names of the variables given in `env` (never their values). */
  env_names: string | null;
  /** For terminated_by 'dependency': the task that did not complete, and how it ended. */
  failed_dependency: string | null;
  failed_dependency_status: TaskStatus | null;
  /** 1 when the task reads its standard input from a FIFO that `send_input` writes to. */
  stdin_pipe: number;
  /** The terminal's size, for a task run on a pseudo-terminal. */
  tty_cols: number | null;
  tty_rows: number | null;
  input_sent_count: number;
  input_sent_bytes: number;
  input_last_at: number | null;
  /** The last input sent, cut short, or '[secret]'. */
  input_last: string | null;
  input_closed: number;
  ready_pattern: string | null;
  ready_at: number | null;
  /** The line number (1-based) of the line that matched `ready_pattern`. */
  ready_line: number | null;
}

/** A task as adapters show it: snake_case, ISO 8601 UTC times, fields only where they mean something. */
export interface TaskRecord {
  task_id: string;
  command: string;
  cwd: string;
  status: TaskStatus;
  created_at: string;
  started_at?: string;
  ended_at?: string;
  running_for_seconds?: number;
  duration_seconds?: number;
  timeout_seconds?: number;
  exit_code?: number;
  signal?: string;
  terminated_by?: TerminatedBy;
  reason?: string;
  pid?: number;
  label?: string;
  max_memory_mb?: number;
  max_cpu_seconds?: number;
  /** Set when retention or the home quota removed the task's log. */
  log_removed?: boolean;
  /** Processes the command left running when it exited (daemonised, setsid), which backburner ended. */
  leftovers_ended?: number;
  /** The queue it waits and runs in; absent for the default queue (most tasks), to keep records short. */
  queue?: string;
  /** While queued: the time before which it does not start. */
  not_before?: string;
  /** With retries: the attempt running now (or the last one), and how many it may have in all. */
  attempt?: number;
  attempts?: number;
  restarted_from?: string;
  /** For terminated_by 'dependency': the task that did not complete, and how it ended. */
  failed_dependency?: { task_id: string; status: TaskStatus };
  /** 'pipe' when the task's standard input is open for `send_input`. */
  stdin?: 'pipe';
  tty?: { cols: number; rows: number };
  /** What was sent to its input: how often, how much, when, and the last text (or '[secret]'). */
  input_sent?: { count: number; bytes: number; last_at: string; last: string };
  input_closed?: boolean;
  ready_pattern?: string;
  /** A task sent to workers: the worker that runs it, its host, and the tags it asked for. */
  worker?: string;
  host?: string;
  tags?: string[];
  /** With a ready_pattern: whether a line matched it, when, and which line. */
  ready?: boolean;
  ready_at?: string;
  ready_line?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const seconds = (ms: number): number => Math.round(ms) / 1000;

export function toRecord(row: TaskRow, now: number = Date.now()): TaskRecord {
  const record: TaskRecord = {
    task_id: row.id,
    command: row.command,
    cwd: row.cwd,
    status: row.status,
    created_at: iso(row.created_at),
  };
  if (row.queue !== DEFAULT_QUEUE) record.queue = row.queue;
  if (row.started_at !== null) record.started_at = iso(row.started_at);
  if (row.ended_at !== null) {
    record.ended_at = iso(row.ended_at);
    record.duration_seconds = seconds(row.ended_at - (row.started_at ?? row.created_at));
  } else if (row.started_at !== null) {
    record.running_for_seconds = seconds(Math.max(0, now - row.started_at));
  }
  if (row.timeout_seconds !== null) record.timeout_seconds = row.timeout_seconds;
  // An exit code means something only when the command itself decided how it ended.
  if ((row.status === 'completed' || row.status === 'failed') && row.exit_code !== null) {
    record.exit_code = row.exit_code;
  }
  if (row.signal !== null) record.signal = row.signal;
  if (row.terminated_by !== null) record.terminated_by = row.terminated_by;
  if (row.reason !== null) record.reason = row.reason;
  if (row.status === 'working' && row.pid !== null) record.pid = row.pid;
  if (row.label !== null) record.label = row.label;
  if (row.max_memory_mb !== null) record.max_memory_mb = row.max_memory_mb;
  if (row.max_cpu_seconds !== null) record.max_cpu_seconds = row.max_cpu_seconds;
  if (row.log_removed === 1) record.log_removed = true;
  // For a command that exited by itself, the processes ended afterwards were ones it left behind.
  if ((row.status === 'completed' || row.status === 'failed') && (row.processes_ended ?? 0) > 0) {
    record.leftovers_ended = row.processes_ended ?? 0;
  }
  if (row.status === 'queued' && row.not_before !== null && row.not_before > now)
    record.not_before = iso(row.not_before);
  if (row.retries > 0) {
    record.attempt = row.attempt;
    record.attempts = row.retries + 1;
  }
  if (row.restarted_from !== null) record.restarted_from = row.restarted_from;
  if (row.failed_dependency !== null && row.failed_dependency_status !== null)
    record.failed_dependency = { task_id: row.failed_dependency, status: row.failed_dependency_status };
  if (row.stdin_pipe === 1) {
    record.stdin = 'pipe';
    record.input_closed = row.input_closed === 1;
  }
  if (row.tty_cols !== null && row.tty_rows !== null) record.tty = { cols: row.tty_cols, rows: row.tty_rows };
  if (row.input_sent_count > 0 && row.input_last_at !== null) {
    record.input_sent = {
      count: row.input_sent_count,
      bytes: row.input_sent_bytes,
      last_at: iso(row.input_last_at),
      last: row.input_last ?? '',
    };
  }
  if (row.ready_pattern !== null) {
    record.ready_pattern = row.ready_pattern;
    record.ready = row.ready_at !== null;
    if (row.ready_at !== null) record.ready_at = iso(row.ready_at);
    if (row.ready_line !== null) record.ready_line = row.ready_line;
  }
  return record;
}
