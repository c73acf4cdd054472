import * as z from 'zod';
import { quote } from '../shared/errors.js';
import { TASK_STATUSES } from '../shared/task.js';
import { MAX_TIMEOUT_SECONDS } from '../shared/validate.js';
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
    .describe('working while it runs; then completed, failed, cancelled, timed_out or interrupted.'),
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
      'Why it ended: exit, signal, cancel, timeout, memory_limit, cpu_limit, spawn_error, supervisor_lost or reboot.',
    ),
  reason: z.string().optional().describe('A plain-words reason for an unusual end.'),
  pid: z.number().int().optional().describe('The process group of a working task.'),
  label: z.string().optional(),
  max_memory_mb: z.number().int().optional(),
  max_cpu_seconds: z.number().int().optional(),
  log_removed: z.boolean().optional().describe('True when retention or the home quota removed the log.'),
  leftovers_ended: z
    .number()
    .int()
    .optional()
    .describe(
      'Processes the command left running when it exited (daemonised, setsid), which were then ended.',
    ),
};

export const taskRecordSchema = z.object(taskRecordShape);

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
