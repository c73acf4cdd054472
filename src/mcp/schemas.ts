import * as z from 'zod';
import { quote } from '../shared/errors.js';
import { TASK_STATUSES } from '../shared/task.js';
import {
  MAX_RETRIES,
  MAX_RETRY_DELAY_SECONDS,
  MAX_TIMEOUT_SECONDS,
  MAX_TTY_SIZE,
} from '../shared/validate.js';
import { MAX_WAIT_SECONDS } from '../client/arguments.js';

/** A zod error message that names the argument and quotes the value the client sent. */
export const mustBe =
  (name: string, expectation: string) =>
  (issue: { input?: unknown }): string =>
    `${name} must be ${expectation}, got ${quote(issue.input)}`;

export const taskIdArgument = z
  .string({ error: mustBe('task_id', 'a string') })
  .describe(
    'The task id returned by start_task (8 hexadecimal characters; a unique prefix of 4 or more works).',
  );

export const taskRecordShape = {
  task_id: z.string().describe('The task id: 8 hexadecimal characters.'),
  command: z.string(),
  cwd: z.string(),
  status: z
    .enum(TASK_STATUSES)
    .describe(
      'queued while it waits (for a slot in its queue, a task it runs after, its start time or a retry); working while it runs; then completed, failed, cancelled, timed_out or interrupted.',
    ),
  created_at: z.string().describe('ISO 8601, UTC.'),
  started_at: z.string().optional(),
  ended_at: z.string().optional(),
  running_for_seconds: z.number().optional().describe('While working.'),
  duration_seconds: z.number().optional().describe('Once ended.'),
  timeout_seconds: z.number().optional(),
  exit_code: z.number().int().optional().describe('For completed and failed tasks only.'),
  signal: z.string().optional().describe('The signal that killed the command, if one did.'),
  terminated_by: z
    .string()
    .optional()
    .describe(
      'Why it ended: exit, signal, cancel, timeout, memory_limit, cpu_limit, spawn_error, supervisor_lost, reboot, dependency (a task it was to run after did not complete, so it never ran), or worker_lost (the worker host running it stopped answering).',
    ),
  reason: z.string().optional().describe('A plain-words reason for an unusual end.'),
  pid: z.number().int().optional().describe('The process group of a working task.'),
  label: z.string().optional(),
  max_memory_mb: z.number().int().optional(),
  max_cpu_seconds: z.number().int().optional(),
  log_removed: z.boolean().optional().describe('True when retention or the home quota removed the log.'),
  worker: z.string().optional().describe('For a task sent to workers: the worker that runs it.'),
  host: z.string().optional().describe('For a task sent to workers: the host it runs on.'),
  tags: z.array(z.string()).optional().describe('The tags it asked a worker host to have.'),
  full_log: z
    .string()
    .optional()
    .describe('For a task on a worker: where its whole log is (Redis holds only its latest part).'),
  leftovers_ended: z
    .number()
    .int()
    .optional()
    .describe(
      'Processes the command left running when it exited (daemonised, setsid), which were then ended.',
    ),
  queue: z
    .string()
    .optional()
    .describe("The queue whose parallel limit it counts against; absent for the queue 'default'."),
  not_before: z.string().optional().describe('While queued: it does not start before this time.'),
  attempt: z.number().int().optional().describe('With retries: the attempt running now, or the last one.'),
  attempts: z.number().int().optional().describe('With retries: how many attempts it may have in all.'),
  restarted_from: z.string().optional().describe('The task this one repeats (restart_task).'),
  failed_dependency: z
    .object({ task_id: z.string(), status: z.enum(TASK_STATUSES) })
    .optional()
    .describe('For terminated_by dependency: the task that did not complete, and how it ended.'),
  stdin: z.literal('pipe').optional().describe('Its standard input is open for send_input.'),
  tty: z
    .object({ cols: z.number().int(), rows: z.number().int() })
    .optional()
    .describe('It runs on a terminal of this size.'),
  input_sent: z
    .object({ count: z.number().int(), bytes: z.number().int(), last_at: z.string(), last: z.string() })
    .optional()
    .describe("What send_input sent: how often, how much, when, and the last text ('[secret]' if it was)."),
  input_closed: z.boolean().optional().describe('True once send_input(end: true) closed its input.'),
  ready_pattern: z.string().optional(),
  ready: z.boolean().optional().describe('With a ready_pattern: true once a line of output matched it.'),
  ready_at: z.string().optional(),
  ready_line: z.number().int().optional().describe('The line number of the line that matched ready_pattern.'),
  queue_position: z.number().int().optional().describe('While queued: its place in its queue (1 is next).'),
  waiting_for: z.array(z.string()).optional().describe('While queued: what it waits for.'),
  after: z.array(z.string()).optional().describe('While queued: the tasks it still waits for.'),
  attempt_history: z
    .array(
      z.object({
        attempt: z.number().int(),
        status: z.enum(TASK_STATUSES).optional(),
        exit_code: z.number().int().optional(),
        signal: z.string().optional(),
        terminated_by: z.string().optional(),
        started_at: z.string().optional(),
        ended_at: z.string().optional(),
      }),
    )
    .optional()
    .describe('With retries: each attempt that ran, with its exit code and times.'),
};

export const taskRecordSchema = z.object(taskRecordShape);

const statusArgument = z.enum(TASK_STATUSES, {
  error: mustBe('status', `one of ${TASK_STATUSES.join(', ')}`),
});

/** A `status` filter: one status or a list of them. */
export const statusFilter = z
  .union([statusArgument, z.array(statusArgument)], {
    error: mustBe('status', `a status or a list of them (${TASK_STATUSES.join(', ')})`),
  })
  .optional()
  .describe('Only tasks in this status (or any of these statuses).');

export const labelFilter = z
  .string({ error: mustBe('label', 'a string') })
  .optional()
  .describe('Only tasks with this label.');

export const queueFilter = z
  .string({ error: mustBe('queue', 'a string') })
  .optional()
  .describe('Only tasks of this queue.');

export const insightShape = {
  summary: z
    .string()
    .describe('One line in plain words: how it ended (or how long it has run) and its last line.'),
  progress: z
    .object({
      percent: z.number().optional(),
      current: z.number().optional(),
      total: z.number().optional(),
      message: z.string().optional(),
    })
    .optional()
    .describe(
      'Parsed from the latest output of a working task: percentages, n/m counters, test runner counts.',
    ),
  typical_duration_seconds: z
    .number()
    .optional()
    .describe('Median duration of earlier completed runs of the same command in the same directory.'),
  eta_seconds: z.number().optional().describe('Estimated seconds left.'),
};

export const outputViewShape = {
  output: z
    .string()
    .describe('The requested part of the output (stdout and stderr merged), cleaned unless raw.'),
  output_total_lines: z.number().int().describe('Lines in the stored log.'),
  next_cursor: z.string().describe('Pass as `since` to read only what comes after this read.'),
  dropped_bytes: z
    .number()
    .int()
    .optional()
    .describe('Bytes the log cap dropped from the middle of the output.'),
  missed_bytes: z
    .number()
    .int()
    .optional()
    .describe('With since: bytes after the cursor that the cap dropped.'),
  truncated: z
    .string()
    .optional()
    .describe('Present when the answer was cut: what was left out and how to read it.'),
  match_count: z.number().int().optional().describe('With grep: how many lines matched in all.'),
  output_attempt: z
    .number()
    .int()
    .optional()
    .describe('With retries: the attempt whose output this is (line numbers count from its start).'),
};

/** A queue as list_queues and the tasks view show it. */
export const queueShape = {
  name: z.string(),
  max_parallel: z.number().int().describe('At most this many of its tasks run at once.'),
  paused: z.boolean().describe('A paused queue starts nothing new; its running tasks go on.'),
  max_parallel_from: z
    .enum(['configured', 'policy file', 'default'])
    .describe(
      'Where the limit comes from: configure_queue or the CLI, the policy file, or the built-in default.',
    ),
  running: z.number().int(),
  waiting: z.number().int().describe('Tasks queued in it, whatever they wait for.'),
};

export const taskDetailsSchema = z.object({ ...taskRecordShape, ...insightShape });

export const positiveInteger = (name: string, min: number, max: number) =>
  z
    .number({ error: mustBe(name, 'a number') })
    .int({ error: mustBe(name, 'an integer') })
    .min(min, { error: mustBe(name, `at least ${min}`) })
    .max(max, { error: mustBe(name, `at most ${max}`) });

/** How a tool that runs a command is annotated: it changes things, and what it does reaches outside. */
export const RUNS_A_COMMAND = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
};

/** The arguments every tool that runs a command takes. */
export const commandArguments = {
  command: z
    .string({ error: mustBe('command', 'a string') })
    .describe('The command line, run by /bin/sh -c (stdin is /dev/null; stdout and stderr are merged).'),
  cwd: z
    .string({ error: mustBe('cwd', 'a string') })
    .optional()
    .describe("Working directory (absolute, or relative to the server's). Defaults to the server's."),
  timeout_seconds: z
    .number({ error: mustBe('timeout_seconds', 'a number') })
    .positive({ error: mustBe('timeout_seconds', 'positive') })
    .max(MAX_TIMEOUT_SECONDS, {
      error: mustBe('timeout_seconds', `at most ${MAX_TIMEOUT_SECONDS} (30 days)`),
    })
    .optional()
    .describe('Kill the task (status timed_out) if it runs longer than this. No limit by default.'),
};

/** How a command talks with the world while it runs: its input, a terminal, and when it is ready. */
export const interactionArguments = {
  stdin: z
    .enum(['pipe', 'null'], { error: mustBe('stdin', '"pipe" or "null"') })
    .optional()
    .describe('"pipe" keeps its standard input open for send_input (default "null": /dev/null).'),
  tty: z
    .boolean({ error: mustBe('tty', 'true or false') })
    .optional()
    .describe(
      'Run it on a pseudo-terminal (TERM=xterm-256color), for programs that need one (REPLs, installers, progress bars); its input is open for send_input, and the terminal echoes what is typed.',
    ),
  tty_cols: positiveInteger('tty_cols', 1, MAX_TTY_SIZE).optional().describe('Terminal width (default 120).'),
  tty_rows: positiveInteger('tty_rows', 1, MAX_TTY_SIZE).optional().describe('Terminal height (default 40).'),
  ready_pattern: z
    .string({ error: mustBe('ready_pattern', 'a string (a regular expression)') })
    .optional()
    .describe(
      'A regex for the line that says it is ready (e.g. "ready on|listening"): the record then says ready: true, and wait_tasks(mode: "ready") wakes on it. For dev servers and watchers.',
    ),
};

/** How a command is scheduled: its queue, what it runs after, retries and a delayed start. */
export const schedulingArguments = {
  tags: z
    .array(z.string({ error: mustBe('tags', 'a list of words') }), {
      error: mustBe('tags', 'a list of words'),
    })
    .optional()
    .describe(
      'Run it on a worker host that has all these tags (e.g. ["gpu"]); needs Redis and workers (BACKBURNER_REDIS_URL, backburner worker). A queue other than default that a live worker serves also sends tasks there.',
    ),
  queue: z
    .string({ error: mustBe('queue', 'a string (a queue name)') })
    .optional()
    .describe(
      "The queue it waits in (default 'default', which runs 2 per CPU core at once; any other queue runs 1 at a time until configure_queue raises it). For a fan-out of many commands, put them in one queue instead of starting them all at once.",
    ),
  after: z
    .array(z.string({ error: mustBe('after', 'an array of task ids') }), {
      error: mustBe('after', 'an array of task ids'),
    })
    .optional()
    .describe(
      'Task ids (or unique prefixes) this one runs after: it starts only when every one has completed with exit code 0, and ends failed (terminated_by dependency) without running if one does not. Chain steps with it instead of waiting for each yourself.',
    ),
  retries: positiveInteger('retries', 0, MAX_RETRIES)
    .optional()
    .describe(
      `Run it again, under the same task_id, up to this many more times (0 to ${MAX_RETRIES}) when it fails or times out.`,
    ),
  retry_delay_seconds: z
    .number({ error: mustBe('retry_delay_seconds', 'a number') })
    .min(0, { error: mustBe('retry_delay_seconds', 'at least 0') })
    .max(MAX_RETRY_DELAY_SECONDS, {
      error: mustBe('retry_delay_seconds', `at most ${MAX_RETRY_DELAY_SECONDS}`),
    })
    .optional()
    .describe('Wait before the first retry (default 1 s), doubled before each next one.'),
  retry_interrupted: z
    .boolean({ error: mustBe('retry_interrupted', 'true or false') })
    .optional()
    .describe('Also retry an attempt that ended interrupted (only if the command is safe to run twice).'),
  not_before: z
    .union([z.string(), z.number()], {
      error: mustBe('not_before', 'an ISO 8601 time or a number of seconds'),
    })
    .optional()
    .describe('Do not start before this: an ISO 8601 time with a zone, or seconds from now.'),
};

export const waitSecondsArgument = (fallback: number) =>
  z
    .number({ error: mustBe('wait_seconds', 'a number') })
    .min(0, { error: mustBe('wait_seconds', 'at least 0') })
    .max(MAX_WAIT_SECONDS, { error: mustBe('wait_seconds', `at most ${MAX_WAIT_SECONDS}`) })
    .optional()
    .describe(
      `Wait up to this long (0 to ${MAX_WAIT_SECONDS}, default ${fallback}) for the command to end; if it does, the answer has its exit code and output.`,
    );

/** The output fields, present once a task has ended (or when a wait ended with it still running). */
export const outputWhenDone = Object.fromEntries(
  Object.entries(outputViewShape).map(([key, schema]) => [key, schema.optional()]),
) as { [K in keyof typeof outputViewShape]: z.ZodOptional<(typeof outputViewShape)[K]> };
