import {
  SUBSCRIPTION_ID_META_KEY,
  type JSONRPCMessage,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { Backburner } from '../client/backburner.js';
import type { TaskActivity } from '../client/task-activity.js';
import type { TaskRow } from '../shared/task.js';
import { detailedTask, envelopeDeclaresTasks, TASKS_EXTENSION, type TaskTiming } from './tasks-extension.js';

/** At most this many task ids per listen stream. */
const MAX_TASK_IDS = 1000;

type Id = string | number;
export type Message = Record<string, unknown> & {
  id?: Id;
  method?: string;
  params?: Record<string, unknown>;
};

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** The task ids a `subscriptions/listen` request asks status notifications for, if any. */
export function requestedTaskIds(message: Message): string[] | undefined {
  if (message.method !== 'subscriptions/listen') return undefined;
  const ids = asRecord(message.params?.notifications)?.taskIds;
  if (!Array.isArray(ids)) return undefined;
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))].slice(0, MAX_TASK_IDS);
}

export function declaresExtension(message: Message): boolean {
  return envelopeDeclaresTasks(asRecord(message.params?._meta));
}

/**
 * `notifications/tasks` for 2026-07-28 clients on stdio. A client asks for them with
 * `subscriptions/listen { notifications: { taskIds } }`, but the SDK's stdio entry serves
 * `subscriptions/listen` itself and knows nothing of `taskIds` (it acknowledges the rest of the filter
 * and drops them). So this transport sits between the entry and the wire: it notes the task ids of each
 * listen request (refusing them with -32021 when the request did not declare the extension), adds the ids
 * to the entry's acknowledgement, and sends each listed task's full state, as tasks/get would give it,
 * when the task ends (at once for a task that had already ended). Everything else passes through.
 */
export class TaskNotifyingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  /** Listen requests with task ids, waiting for the entry's acknowledgement. */
  private readonly pending = new Map<Id, string[]>();
  /** Acknowledged listen streams and the task ids each asked for. */
  private readonly active = new Map<Id, string[]>();
  private readonly onEnded = (task: TaskRow): void => {
    for (const [listenId, ids] of this.active) if (ids.includes(task.id)) void this.notify(listenId, task.id);
  };

  constructor(
    private readonly inner: Transport,
    private readonly backburner: Backburner,
    private readonly activity: TaskActivity,
    private readonly timing: TaskTiming,
  ) {
    inner.onmessage = (message, extra) => {
      if (this.intercept(message as Message)) return;
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => {
      this.activity.off('ended', this.onEnded);
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
    activity.on('ended', this.onEnded);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async close(): Promise<void> {
    this.activity.off('ended', this.onEnded);
    await this.inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const outbound = message as Message;
    if (outbound.method === 'notifications/subscriptions/acknowledged') {
      const listenId = asRecord(outbound.params?._meta)?.[SUBSCRIPTION_ID_META_KEY] as Id | undefined;
      const ids = listenId === undefined ? undefined : this.pending.get(listenId);
      if (listenId !== undefined && ids !== undefined) {
        this.pending.delete(listenId);
        this.active.set(listenId, ids);
        const notifications = { ...asRecord(outbound.params?.notifications), taskIds: ids };
        await this.inner.send(
          { ...outbound, params: { ...outbound.params, notifications } } as unknown as JSONRPCMessage,
          options,
        );
        for (const id of ids) void this.notifyIfEnded(listenId, id);
        return;
      }
    } else if (outbound.id !== undefined && outbound.method === undefined) {
      // The final answer to a listen request (the stream closed) or its refusal.
      this.pending.delete(outbound.id);
      this.active.delete(outbound.id);
    }
    await this.inner.send(message, options);
  }

  /** Returns true when the message was answered here and must not reach the entry. */
  private intercept(message: Message): boolean {
    if (message.method === 'notifications/cancelled') {
      const requestId = message.params?.requestId as Id | undefined;
      if (requestId !== undefined) {
        this.pending.delete(requestId);
        this.active.delete(requestId);
      }
      return false;
    }
    const ids = message.id === undefined ? undefined : requestedTaskIds(message);
    if (ids === undefined || ids.length === 0) return false;
    if (!declaresExtension(message)) {
      void this.inner.send(missingExtension(message.id) as unknown as JSONRPCMessage);
      return true;
    }
    this.pending.set(message.id as Id, ids);
    return false;
  }

  private async notifyIfEnded(listenId: Id, taskId: string): Promise<void> {
    if (await hasEnded(this.backburner, taskId)) await this.notify(listenId, taskId);
  }

  private async notify(listenId: Id, taskId: string): Promise<void> {
    try {
      const notification = await taskNotification(this.backburner, this.timing, taskId, listenId);
      if (this.active.has(listenId)) await this.inner.send(notification as unknown as JSONRPCMessage);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** The -32021 answer to a request for task notifications from a client that did not declare the extension. */
export function missingExtension(id: Id | undefined): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id: id ?? null,
    error: {
      code: -32021,
      message: `task status notifications need the ${TASKS_EXTENSION} extension declared in the request's client capabilities`,
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    },
  };
}

/** Whether a task has ended (false for an unknown id: there is nothing to tell about it, ever). */
export async function hasEnded(backburner: Backburner, taskId: string): Promise<boolean> {
  try {
    const task = await backburner.status(taskId);
    return task.status !== 'working' && task.status !== 'queued';
  } catch {
    return false;
  }
}

/** `notifications/tasks` for one task on one listen stream: its full state, as tasks/get gives it. */
export async function taskNotification(
  backburner: Backburner,
  timing: TaskTiming,
  taskId: string,
  listenId: Id,
): Promise<Record<string, unknown>> {
  const task = await backburner.result(taskId, {});
  const params = {
    ...detailedTask(task, backburner.logFile(task.task_id), timing),
    _meta: { [SUBSCRIPTION_ID_META_KEY]: listenId },
  };
  return { jsonrpc: '2.0', method: 'notifications/tasks', params };
}
