import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import type { TaskRow } from '../shared/task.js';
import { MAX_TIMEOUT_SECONDS, TASK_ID_PATTERN } from '../shared/validate.js';
import type { ResourceLimits } from '../supervisor/platform.js';
import { MAX_PARALLEL, QUEUE_NAME_PATTERN, type EffectiveQueue } from '../shared/queues.js';
import {
  MAX_AFTER,
  MAX_INPUT_BYTES,
  MAX_PATTERN_LENGTH,
  MAX_RETRIES,
  MAX_RETRY_DELAY_SECONDS,
  MAX_TTY_SIZE,
} from '../shared/validate.js';

/**
 * The daemon's wire protocol: one JSON object per line over a local socket. Requests carry an id and
 * get exactly one response; `ended` events are pushed to every connection, unasked.
 */
export interface DaemonMethods {
  ping: { params: Record<string, never>; result: { pid: number; version: string } };
  start: {
    params: {
      command: string;
      cwd: string;
      env: Record<string, string>;
      timeoutSeconds: number | null;
      label: string | null;
      limits: ResourceLimits;
      /** The caller's umask, for the files the task creates (absent from older clients: 022). */
      umask?: number;
      /** Absent from older clients: the default queue, no dependencies, no retries, no delay. */
      queue?: string;
      after?: string[];
      notBefore?: number | null;
      retries?: number;
      retryDelaySeconds?: number;
      retryInterrupted?: boolean;
      restartedFrom?: string | null;
      envNames?: string[];
      stdinPipe?: boolean;
      tty?: { cols: number; rows: number } | null;
      readyPattern?: string | null;
    };
    result: { task: TaskRow };
  };
  sendInput: {
    params: { id: string; text: string; end: boolean; secret: boolean };
    result: { task: TaskRow };
  };
  configureQueue: {
    params: { name: string; maxParallel: number | null; paused: boolean | null };
    result: { queue: EffectiveQueue };
  };
  cancel: { params: { id: string }; result: { task: TaskRow; changed: boolean; processesEnded: number } };
  delete: { params: { id: string }; result: { deleted: boolean } };
  shutdown: { params: Record<string, never>; result: { stopping: true } };
}

export type DaemonMethod = keyof DaemonMethods;

export interface RequestMessage {
  id: number;
  method: DaemonMethod;
  params: unknown;
}

/** An answer; `id` is null for a line that was not a request at all (it had no id to answer to). */
export type ResponseMessage =
  { id: number; result: unknown } | { id: number | null; error: { code: string; message: string } };

export type EventMessage =
  | { event: 'ended'; task: TaskRow }
  /** A task's output matched its ready pattern. */
  | { event: 'ready'; task: TaskRow }
  /** Sent before a daemon closes connections on purpose, so that clients do not take it for a crash. */
  | { event: 'stopping' };

/**
 * The longest line either side accepts. A start request carries the caller's whole environment, which
 * is rarely past 100 KiB; a line past this is a broken or hostile peer, and its connection is closed.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** What the line reader hands on: a parsed JSON value, or why a line could not be one. */
export type Frame = { ok: true; message: unknown } | { ok: false; error: string; fatal: boolean };

/**
 * Splits a byte stream into lines and parses each as JSON. Text is decoded with a streaming decoder, so
 * a character split between two chunks stays whole. A line past `maxLineBytes` is reported as fatal (the
 * caller should close the connection: the rest of the stream cannot be framed); a line that is not JSON
 * is reported and the stream goes on.
 */
export function lineReader(
  onFrame: (frame: Frame) => void,
  maxLineBytes: number = MAX_LINE_BYTES,
): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let broken = false;
  return (chunk) => {
    if (broken) return;
    pending += decoder.write(chunk);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (Buffer.byteLength(line) > maxLineBytes) return tooLong();
      if (line.trim() !== '') {
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch (error) {
          onFrame({ ok: false, error: `not JSON: ${(error as Error).message}`, fatal: false });
          newline = pending.indexOf('\n');
          continue;
        }
        onFrame({ ok: true, message });
      }
      newline = pending.indexOf('\n');
    }
    // Characters take up to 4 bytes each, so this length check is conservative and cheap.
    if (pending.length > maxLineBytes) tooLong();
  };
  function tooLong(): void {
    broken = true;
    pending = '';
    onFrame({ ok: false, error: `a line longer than ${maxLineBytes} bytes`, fatal: true });
  }
}

export const encode = (message: RequestMessage | ResponseMessage | EventMessage): string =>
  `${JSON.stringify(message)}\n`;

const taskId = z.string().regex(TASK_ID_PATTERN, 'a task id (8 lowercase hexadecimal digits)');
const limit = z.number().int().positive().nullable();
const nothing = z.object({}).strict();

/** The params each method accepts; anything else is answered with an error naming the field. */
const PARAMS: { [M in DaemonMethod]: z.ZodType<DaemonMethods[M]['params']> } = {
  ping: nothing as z.ZodType<Record<string, never>>,
  start: z
    .object({
      command: z.string().min(1),
      cwd: z.string().min(1),
      env: z.record(z.string(), z.string()),
      timeoutSeconds: z.number().positive().max(MAX_TIMEOUT_SECONDS).nullable(),
      label: z.string().max(1000).nullable(),
      limits: z.object({ memoryMb: limit, cpuSeconds: limit }),
      umask: z.number().int().min(0).max(0o777).optional(),
      queue: z.string().regex(QUEUE_NAME_PATTERN).optional(),
      after: z.array(taskId).max(MAX_AFTER).optional(),
      notBefore: z.number().int().nonnegative().nullable().optional(),
      retries: z.number().int().min(0).max(MAX_RETRIES).optional(),
      retryDelaySeconds: z.number().min(0).max(MAX_RETRY_DELAY_SECONDS).optional(),
      retryInterrupted: z.boolean().optional(),
      restartedFrom: taskId.nullable().optional(),
      envNames: z.array(z.string().max(1000)).max(10_000).optional(),
      stdinPipe: z.boolean().optional(),
      tty: z
        .object({
          cols: z.number().int().min(1).max(MAX_TTY_SIZE),
          rows: z.number().int().min(1).max(MAX_TTY_SIZE),
        })
        .strict()
        .nullable()
        .optional(),
      readyPattern: z.string().min(1).max(MAX_PATTERN_LENGTH).nullable().optional(),
    })
    .strict(),
  sendInput: z
    .object({ id: taskId, text: z.string().max(MAX_INPUT_BYTES), end: z.boolean(), secret: z.boolean() })
    .strict(),
  configureQueue: z
    .object({
      name: z.string().regex(QUEUE_NAME_PATTERN),
      maxParallel: z.number().int().min(1).max(MAX_PARALLEL).nullable(),
      paused: z.boolean().nullable(),
    })
    .strict(),
  cancel: z.object({ id: taskId }).strict(),
  delete: z.object({ id: taskId }).strict(),
  shutdown: nothing as z.ZodType<Record<string, never>>,
};

export type ParsedRequest =
  { ok: true; request: RequestMessage } | { ok: false; id: number | null; error: string };

const isMethod = (name: unknown): name is DaemonMethod =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(PARAMS, name);

/** Checks that a parsed line is a request the daemon knows, with params of the right shape. */
export function parseRequest(message: unknown): ParsedRequest {
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return { ok: false, id: null, error: 'a request must be a JSON object' };
  const { id, method, params } = message as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    return { ok: false, id: null, error: 'a request needs an integer "id"' };
  if (!isMethod(method))
    return { ok: false, id, error: `unknown daemon method ${JSON.stringify(method)?.slice(0, 100)}` };
  const checked = PARAMS[method].safeParse(params ?? {});
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'params' : issue.path.join('.');
    return { ok: false, id, error: `bad params for ${method}: ${where}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, request: { id, method, params: checked.data } };
}
