import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import type { TaskActivity } from '../../client/task-activity.js';
import type { TaskRow } from '../../shared/task.js';
import {
  declaresExtension,
  hasEnded,
  missingExtension,
  requestedTaskIds,
  taskNotification,
  type Message,
} from '../task-notifications.js';
import type { TaskTiming } from '../tasks-extension.js';

export interface TaskListenContext {
  backburner: Backburner;
  activity: TaskActivity;
  timing: TaskTiming;
}

const encoder = new TextEncoder();
const sseFrame = (message: unknown): Uint8Array =>
  encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`);

/**
 * `notifications/tasks` for 2026-07-28 clients over HTTP. The SDK's handler serves a
 * `subscriptions/listen` request as an SSE stream and drops the `taskIds` of its filter; this wraps that
 * stream: the acknowledgement gains the task ids, and each listed task's full state is written into the
 * stream when it ends (at once for one that already had). Requests without task ids pass untouched.
 */
export async function serveTaskListen(
  request: Request,
  serve: (request: Request) => Promise<Response>,
  context: TaskListenContext,
): Promise<Response> {
  if (request.method !== 'POST') return serve(request);
  let message: Message;
  try {
    message = (await request.clone().json()) as Message;
  } catch {
    return serve(request);
  }
  const taskIds = requestedTaskIds(message);
  if (taskIds === undefined || taskIds.length === 0 || message.id === undefined) return serve(request);
  if (!declaresExtension(message)) return Response.json(missingExtension(message.id));
  const response = await serve(request);
  const body = response.body;
  if (body === null || !(response.headers.get('content-type') ?? '').includes('text/event-stream'))
    return response;
  const listenId = message.id;
  const reader = body.getReader();
  let acknowledged = false;
  let closed = false;
  let buffered = '';
  let release = (): void => undefined;
  const decoder = new TextDecoder();

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (bytes: Uint8Array): void => {
        if (!closed) controller.enqueue(bytes);
      };
      const notify = (taskId: string): void => {
        taskNotification(context.backburner, context.timing, taskId, listenId).then(
          (notification) => send(sseFrame(notification)),
          () => undefined,
        );
      };
      const onEnded = (task: TaskRow): void => {
        if (acknowledged && taskIds.includes(task.id)) notify(task.id);
      };
      context.activity.on('ended', onEnded);
      release = () => context.activity.off('ended', onEnded);
      const finish = (): void => {
        if (closed) return;
        closed = true;
        release();
        controller.close();
      };
      // Pass the SDK's frames through, rewriting its acknowledgement to include the task ids. The SDK ends
      // a listen stream at once when nothing it knows of was asked for (only task ids): its closing answer
      // is held back, and the stream stays open for the task notifications until the client leaves.
      const pump = async (): Promise<void> => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          buffered += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const frame = buffered.slice(0, end + 2);
            buffered = buffered.slice(end + 2);
            const rewritten = rewrite(frame);
            if (rewritten !== undefined) send(encoder.encode(rewritten));
          }
        }
      };
      const rewrite = (frame: string): string | undefined => {
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (data === undefined) return frame;
        const parsed = JSON.parse(data) as Message;
        if (parsed.id === listenId && parsed.method === undefined) return undefined;
        const meta = parsed.params?._meta as Record<string, unknown> | undefined;
        if (
          parsed.method !== 'notifications/subscriptions/acknowledged' ||
          meta?.[SUBSCRIPTION_ID_META_KEY] !== listenId
        )
          return frame;
        acknowledged = true;
        for (const id of taskIds) void hasEnded(context.backburner, id).then((ended) => ended && notify(id));
        const notifications = { ...(parsed.params?.notifications as object), taskIds };
        return frame.replace(
          data,
          JSON.stringify({ ...parsed, params: { ...parsed.params, notifications } }),
        );
      };
      pump().catch(() => finish());
    },
    cancel(reason) {
      closed = true;
      release();
      return reader.cancel(reason);
    },
  });
  return new Response(stream, { status: response.status, headers: response.headers });
}
