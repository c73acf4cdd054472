import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { Backburner } from '../client/backburner.js';
import { BackburnerError } from '../shared/errors.js';
import { isTerminal } from '../shared/task.js';
import { endedTaskAnswer } from './render.js';
import { detailedTask, type TaskTiming } from './tasks-extension.js';

/** The one tool that may run as a 2025-11-25 task. */
const TASK_TOOL = 'run_command';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const LIST_PAGE = 50;
/** tasks/result waits for the end; one wait is at most this long, then it waits again. */
const WAIT_SLICE_SECONDS = 50;

type Id = string | number;
type Message = {
  id?: Id;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: unknown;
};

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The 2025-11-25 experimental tasks (`params.task` on `tools/call`, `tasks/get`, `tasks/result`,
 * `tasks/list`, `tasks/cancel`) for clients that connect with `initialize`. The v2 SDK no longer serves
 * them, and they share method names with the Tasks extension but not shapes, so they are served here,
 * between the SDK's server and the wire, and only on a connection that opened with `initialize`:
 * 2026-07-28 traffic passes untouched. A task is an ordinary backburner task, `run_command`'s.
 */
export class LegacyTasksTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private legacy: boolean;
  private closed = false;
  /** Requests whose answers get a 2025-11-25 touch on their way out, by id. */
  private readonly rewrites = new Map<Id, (result: Record<string, unknown>) => Message>();

  constructor(
    private readonly inner: Transport,
    private readonly backburner: Backburner,
    private readonly timing: TaskTiming,
    options: { legacy?: boolean } = {},
  ) {
    this.legacy = options.legacy ?? false;
    inner.onmessage = (message, extra) => {
      if (this.intercept(message as Message, extra)) return;
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => {
      this.closed = true;
      this.onclose?.();
    };
    inner.onerror = (error) => this.onerror?.(error);
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const outbound = message as Message;
    const rewrite = outbound.id === undefined ? undefined : this.rewrites.get(outbound.id);
    if (rewrite !== undefined && outbound.method === undefined) {
      this.rewrites.delete(outbound.id as Id);
      if (outbound.result !== undefined) {
        await this.inner.send(
          { jsonrpc: '2.0', ...rewrite(outbound.result) } as unknown as JSONRPCMessage,
          options,
        );
        return;
      }
    }
    await this.inner.send(message, options);
  }

  /** Returns true when the message was answered here and must not reach the server. */
  private intercept(message: Message, extra: MessageExtraInfo | undefined): boolean {
    if (message.method === 'initialize') {
      this.legacy = true;
      if (message.id !== undefined)
        this.rewrites.set(message.id, (result) => ({ id: message.id, result: advertise(result) }));
      return false;
    }
    if (!this.legacy || message.id === undefined || message.method === undefined) return false;
    const id = message.id;
    switch (message.method) {
      case 'tools/list':
        this.rewrites.set(id, (result) => ({ id, result: declareTaskSupport(result) }));
        return false;
      case 'tools/call':
        return this.callAsTask(id, message, extra);
      case 'tasks/get':
        this.answer(id, async () => this.taskView(this.taskIdOf(message)));
        return true;
      case 'tasks/result':
        this.answer(id, async () => this.finalResult(this.taskIdOf(message)));
        return true;
      case 'tasks/list':
        this.answer(id, async () => this.list(message.params?.cursor));
        return true;
      case 'tasks/cancel':
        this.answer(id, async () => this.cancel(this.taskIdOf(message)));
        return true;
      default:
        return false;
    }
  }

  /** A task-augmented call: run_command starts without waiting, and the answer becomes the task. */
  private callAsTask(id: Id, message: Message, extra: MessageExtraInfo | undefined): boolean {
    const params = message.params ?? {};
    if (params.task === undefined) return false;
    if (params.name !== TASK_TOOL) {
      this.reply({
        id,
        error: {
          code: -32601,
          message: `tool ${String(params.name)} does not run as a task; only ${TASK_TOOL} does`,
        },
      });
      return true;
    }
    const { task, ...plain } = params;
    const args = { ...(plain.arguments as Record<string, unknown> | undefined), wait_seconds: 0 };
    this.rewrites.set(id, (result) => {
      const record = result.structuredContent as { task_id?: string } | undefined;
      if (result.isError === true || record?.task_id === undefined) {
        const text = (result.content as { text?: string }[] | undefined)
          ?.map((part) => part.text ?? '')
          .join('\n');
        return { id, error: { code: -32602, message: text ?? 'the command could not be started' } };
      }
      return { id, result: { task: this.pendingView(record as never) } };
    });
    this.onmessage?.(
      { ...message, params: { ...plain, arguments: args } } as unknown as JSONRPCMessage,
      extra,
    );
    return true;
  }

  private answer(id: Id, produce: () => Promise<Record<string, unknown>>): void {
    produce().then(
      (result) => this.reply({ id, result }),
      (error: unknown) => {
        const code = error instanceof RpcError ? error.code : isUnknownTask(error) ? -32602 : -32603;
        this.reply({ id, error: { code, message: error instanceof Error ? error.message : String(error) } });
      },
    );
  }

  private reply(message: Message): void {
    if (this.closed) return;
    this.inner
      .send({ jsonrpc: '2.0', ...message } as unknown as JSONRPCMessage)
      .catch((error: Error) => this.onerror?.(error));
  }

  private taskIdOf(message: Message): string {
    const taskId = message.params?.taskId;
    if (typeof taskId !== 'string')
      throw new RpcError(-32602, `taskId must be a string, got ${JSON.stringify(taskId)}`);
    return taskId;
  }

  /** The 2025-11-25 Task: the extension's fields under their older names (ttl, pollInterval). */
  private async taskView(taskId: string): Promise<Record<string, unknown>> {
    const task = await this.backburner.result(taskId, {});
    return toV1(detailedTask(task, this.backburner.logFile(task.task_id), this.timing));
  }

  private pendingView(record: Parameters<typeof detailedTask>[0]): Record<string, unknown> {
    return toV1(detailedTask(record, this.backburner.logFile(record.task_id), this.timing));
  }

  /** tasks/result: blocks until the task has ended, then answers with what the call itself would have. */
  private async finalResult(taskId: string): Promise<Record<string, unknown>> {
    let task = await this.backburner.result(taskId, {});
    while (!isTerminal(task.status)) {
      if (this.closed) throw new RpcError(-32603, 'the connection closed');
      await this.backburner.wait([task.task_id], 'any', WAIT_SLICE_SECONDS);
      task = await this.backburner.result(task.task_id, {});
    }
    const view = detailedTask(task, this.backburner.logFile(task.task_id), this.timing);
    const error = view.error as { code: number; message: string } | undefined;
    if (error !== undefined) throw new RpcError(error.code, error.message);
    return { ...endedTaskAnswer(task), _meta: { [RELATED_TASK]: { taskId: task.task_id } } };
  }

  private async list(cursor: unknown): Promise<Record<string, unknown>> {
    const page = await this.backburner.list({
      limit: LIST_PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const tasks = await Promise.all(page.tasks.map((task) => this.taskView(task.task_id)));
    return page.next_cursor === undefined ? { tasks } : { tasks, nextCursor: page.next_cursor };
  }

  private async cancel(taskId: string): Promise<Record<string, unknown>> {
    const before = await this.backburner.status(taskId);
    if (isTerminal(before.status)) {
      throw new RpcError(
        -32602,
        `Cannot cancel task ${before.task_id}: it has already ended (${before.status})`,
      );
    }
    await this.backburner.cancel(before.task_id);
    return this.taskView(before.task_id);
  }
}

const isUnknownTask = (error: unknown): boolean =>
  error instanceof BackburnerError && (error.code === 'TASK_NOT_FOUND' || error.code === 'INVALID_ARGUMENT');

function toV1(view: Record<string, unknown>): Record<string, unknown> {
  const { ttlMs, pollIntervalMs, result, error, ...rest } = view;
  return { ...rest, ttl: ttlMs, pollInterval: pollIntervalMs };
}

/** The initialize answer, with the 2025-11-25 tasks capability: tool calls, listing, cancelling. */
function advertise(result: Record<string, unknown>): Record<string, unknown> {
  const capabilities = (result.capabilities ?? {}) as Record<string, unknown>;
  return {
    ...result,
    capabilities: { ...capabilities, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
  };
}

/** tools/list, with run_command declared as able to run as a task (optionally). */
function declareTaskSupport(result: Record<string, unknown>): Record<string, unknown> {
  const tools = (result.tools ?? []) as Record<string, unknown>[];
  return {
    ...result,
    tools: tools.map((tool) =>
      tool.name === TASK_TOOL
        ? { ...tool, execution: { ...(tool.execution as object), taskSupport: 'optional' } }
        : tool,
    ),
  };
}
