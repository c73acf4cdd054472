import * as z from 'zod';
import { quote } from '../engine/errors.js';
import { TASK_STATUSES } from '../engine/task.js';

/** A zod error message that names the argument and quotes the value the client sent. */
export const mustBe =
  (name: string, expectation: string) =>
  (issue: { input?: unknown }): string =>
    `${name} must be ${expectation}, got ${quote(issue.input)}`;

export const taskIdArgument = z
  .string({ error: mustBe('task_id', 'a string') })
  .describe('The task id returned by start_task (8 hexadecimal characters).');

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
    .describe('Why it ended: exit, signal, cancel, timeout, spawn_error, supervisor_lost or reboot.'),
  reason: z.string().optional().describe('A plain-words reason for an unusual end.'),
  pid: z.number().int().optional().describe('The process group of a working task.'),
};

export const taskRecordSchema = z.object(taskRecordShape);
