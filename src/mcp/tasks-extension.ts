import { statSync } from 'node:fs';
import * as z from 'zod';
import {
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Backburner, TaskResult } from '../client/backburner.js';
import { BackburnerError } from '../shared/errors.js';
import { isTerminal, type TaskStatus } from '../shared/task.js';
import { endedTaskAnswer } from './render.js';
import { declaresExtension, envelopeCapabilities } from './client-extensions.js';

/** The official Tasks extension (SEP-2663): a tools/call may be answered with a task handle. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** A command that ends within this long is answered inline, even to a client that could take a task. */
export const INLINE_RESULT_MS = 1000;
/** What we suggest a client waits between polls of tasks/get. */
export const POLL_INTERVAL_MS = 1000;

type McpTaskStatus = 'working' | 'completed' | 'failed' | 'cancelled';

/**
 * backburner's statuses on the extension's. A command that exited non-zero still ran to its end: the tool
 * call completed and its result says how. Only an end whose truth is not the command's own (a timeout,
 * lost supervision) is `failed` at the protocol level, with the reason; `cancelled` is `cancelled`.
 */
export function mcpStatus(status: TaskStatus): McpTaskStatus {
  switch (status) {
    case 'queued':
    case 'working':
      return 'working';
    case 'completed':
    case 'failed':
      return 'completed';
    case 'cancelled':
      return 'cancelled';
    case 'timed_out':
    case 'interrupted':
      return 'failed';
  }
}

/** Whether the request that is being handled declared the extension (2026-07-28: per request, in `_meta`). */
export function declaresTasksExtension(ctx: ServerContext): boolean {
  return envelopeDeclaresTasks(ctx.mcpReq.envelope);
}

/** Whether a per-request `_meta` envelope's client capabilities list the extension. */
export function envelopeDeclaresTasks(envelope: unknown): boolean {
  return declaresExtension(envelopeCapabilities(envelope), TASKS_EXTENSION);
}

const requireDeclaration = (ctx: ServerContext, method: string): void => {
  if (!declaresTasksExtension(ctx)) {
    throw new MissingRequiredClientCapabilityError(
      { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      `${method} needs the ${TASKS_EXTENSION} extension declared in the request's client capabilities`,
    );
  }
};

/** Unknown (or malformed) task ids are invalid params, as the extension says. */
async function withTask<T>(taskId: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (
      error instanceof BackburnerError &&
      (error.code === 'TASK_NOT_FOUND' || error.code === 'INVALID_ARGUMENT')
    )
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Failed to retrieve task ${JSON.stringify(taskId)}: ${error.message}`,
      );
    throw error;
  }
}

export interface TaskTiming {
  /** How long ended tasks are kept (BACKBURNER_RETENTION_DAYS); 0 keeps them forever. */
  retentionMs: number;
}

/** The extension's view of a task: its handle fields, and once ended, the inline result or error. */
export function detailedTask(task: TaskResult, logFile: string, timing: TaskTiming): Record<string, unknown> {
  const status = mcpStatus(task.status);
  const created = Date.parse(task.created_at);
  let updated = Date.parse(task.ended_at ?? task.started_at ?? task.created_at);
  if (!isTerminal(task.status)) {
    try {
      updated = Math.max(updated, Math.floor(statSync(logFile).mtimeMs)); // output counts as progress
    } catch {
      // no log yet
    }
  }
  const ended = task.ended_at === undefined ? undefined : Date.parse(task.ended_at);
  const detailed: Record<string, unknown> = {
    taskId: task.task_id,
    status,
    statusMessage: task.status === 'queued' ? queuedMessage(task) : task.summary,
    createdAt: new Date(created).toISOString(),
    lastUpdatedAt: new Date(updated).toISOString(),
    // A running task is never discarded; an ended one is kept for the retention period after its end.
    ttlMs: ended === undefined || timing.retentionMs === 0 ? null : ended - created + timing.retentionMs,
    pollIntervalMs: POLL_INTERVAL_MS,
  };
  if (status === 'completed') detailed.result = { ...endedTaskAnswer(task), resultType: 'complete' };
  if (status === 'failed') {
    detailed.error = {
      code: ProtocolErrorCode.InternalError,
      message: task.reason ?? task.summary,
      data: { status: task.status, terminated_by: task.terminated_by, output: task.output },
    };
  }
  return detailed;
}

/** The extension has no status for "waiting to start": a queued task is `working`, and its message says why. */
function queuedMessage(task: TaskResult): string {
  const place = task.queue_position === undefined ? '' : ` (place ${task.queue_position})`;
  const waits = task.waiting_for === undefined ? '' : `: waiting for ${task.waiting_for.join('; ')}`;
  return `queued in '${task.queue ?? 'default'}'${place}${waits}`;
}

/** The handle a tools/call returns when its command is still running. */
export function taskHandle(task: TaskResult, logFile: string, timing: TaskTiming): Record<string, unknown> {
  const { result, error, ...handle } = detailedTask(task, logFile, timing);
  return { resultType: 'task', ...handle };
}

/**
 * run_command's answer for a client that declared the extension: the result itself if the command ends
 * within about a second, otherwise a task handle whose id is the backburner task id.
 */
export async function answerWithTask(
  backburner: Backburner,
  taskId: string,
  timing: TaskTiming,
): Promise<CallToolResult> {
  await backburner.wait([taskId], 'any', INLINE_RESULT_MS / 1000);
  const result = await backburner.result(taskId, {});
  if (isTerminal(result.status)) return endedTaskAnswer(result);
  // structuredContent (the task record) also satisfies the SDK's output-schema check for run_command.
  return {
    ...taskHandle(result, backburner.logFile(taskId), timing),
    structuredContent: { ...result },
  } as unknown as CallToolResult;
}

const taskIdParams = z.object({ taskId: z.string() }).passthrough();

/**
 * tasks/get, tasks/update and tasks/cancel. The SDK's v2 line has no helper for the extension, so they are
 * registered as custom methods (the three-argument form, which binds our params schema rather than the
 * 2025-11-25 task schema). Every one needs the extension declared on the request itself.
 */
export function registerTaskMethods(server: McpServer, backburner: Backburner, timing: TaskTiming): void {
  server.server.registerCapabilities({ extensions: { [TASKS_EXTENSION]: {} } });
  server.server.setRequestHandler('tasks/get', { params: taskIdParams }, async ({ taskId }, ctx) => {
    requireDeclaration(ctx, 'tasks/get');
    const task = await withTask(taskId, () => backburner.result(taskId, {}));
    return { resultType: 'complete', ...detailedTask(task, backburner.logFile(task.task_id), timing) };
  });
  server.server.setRequestHandler('tasks/update', { params: taskIdParams }, async ({ taskId }, ctx) => {
    requireDeclaration(ctx, 'tasks/update');
    // backburner never asks for input, so no response is outstanding: they are ignored, as the extension says.
    await withTask(taskId, () => backburner.status(taskId));
    return { resultType: 'complete' };
  });
  server.server.setRequestHandler('tasks/cancel', { params: taskIdParams }, async ({ taskId }, ctx) => {
    requireDeclaration(ctx, 'tasks/cancel');
    await withTask(taskId, () => backburner.cancel(taskId));
    return { resultType: 'complete' };
  });
}
