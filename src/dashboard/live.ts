import { StringDecoder } from 'node:string_decoder';
import type { Backburner } from '../client/backburner.js';
import type { TaskActivity } from '../client/task-activity.js';
import { SECURITY_HEADERS } from './responses.js';
import { taskListSnapshot, type TaskListFilters } from '../client/task-list-snapshot.js';

/** How often a stream looks again even without an event (durations, progress, tasks queued elsewhere). */
const LIST_LOOK_MS = 1000;
const TASK_LOOK_MS = 500;
/** A comment line now and then, so that proxies and browsers keep an idle stream open. */
const KEEPALIVE_MS = 15_000;
/** The most output one push carries; a faster writer is followed in several pushes. */
const OUTPUT_PUSH_BYTES = 256 * 1024;

type Send = (event: string, data: unknown) => void;

/**
 * A server-sent event stream that calls `look` at once, on every `wake`, and every `intervalMs`, one
 * look at a time, until the browser goes away. `look` sends what changed.
 */
function eventStream(
  signal: AbortSignal,
  intervalMs: number,
  look: (send: Send) => Promise<void>,
  subscribe: (wake: () => void) => () => void,
): Response {
  const encoder = new TextEncoder();
  let stop = (): void => undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      let running = false;
      let again = false;
      const write = (text: string): void => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const send: Send = (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const wake = (): void => {
        if (closed) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        look(send)
          .catch((error: unknown) =>
            send('problem', { message: error instanceof Error ? error.message : String(error) }),
          )
          .finally(() => {
            running = false;
            if (again) {
              again = false;
              wake();
            }
          });
      };
      const timer = setInterval(wake, intervalMs);
      const keepalive = setInterval(() => write(': keepalive\n\n'), KEEPALIVE_MS);
      const unsubscribe = subscribe(wake);
      stop = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        clearInterval(keepalive);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed by the browser's going away
        }
      };
      signal.addEventListener('abort', stop, { once: true });
      write('retry: 2000\n\n');
      wake();
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    },
  });
}

/** Wakes on every task event the activity reports. */
function onActivity(activity: TaskActivity, wake: () => void): () => void {
  const release = activity.retain();
  activity.on('ended', wake);
  activity.on('started', wake);
  activity.on('output', wake);
  return () => {
    activity.off('ended', wake);
    activity.off('started', wake);
    activity.off('output', wake);
    release();
  };
}

/** The task list, pushed whole as `tasks` each time it changes. */
export function taskListStream(
  backburner: Backburner,
  activity: TaskActivity,
  filters: TaskListFilters,
  signal: AbortSignal,
): Response {
  let last = '';
  return eventStream(
    signal,
    LIST_LOOK_MS,
    async (send) => {
      const snapshot = await taskListSnapshot(backburner, filters);
      const text = JSON.stringify(snapshot);
      if (text === last) return;
      last = text;
      send('tasks', snapshot);
    },
    (wake) => onActivity(activity, wake),
  );
}

/**
 * One task: its record (`task`, whenever it changes) and its log from `since` on, as it grows (`output`:
 * `{text, next_cursor, missed_bytes?}`; text as written, split anywhere, UTF-8 kept whole across pushes).
 */
export function taskStream(
  backburner: Backburner,
  activity: TaskActivity,
  taskId: string,
  since: number,
  signal: AbortSignal,
): Response {
  let cursor = since;
  let lastRecord = '';
  const decoder = new StringDecoder('utf8');
  return eventStream(
    signal,
    TASK_LOOK_MS,
    async (send) => {
      const record = JSON.stringify(await backburner.status(taskId));
      if (record !== lastRecord) {
        lastRecord = record;
        send('task', JSON.parse(record));
      }
      for (;;) {
        const read = await backburner.readLog(taskId, cursor, OUTPUT_PUSH_BYTES);
        if (read.cursor === cursor && read.missedBytes === 0) return;
        const text = decoder.write(read.bytes);
        send('output', {
          text,
          next_cursor: String(read.cursor),
          ...(read.missedBytes > 0 ? { missed_bytes: read.missedBytes } : {}),
        });
        cursor = read.cursor;
        if (read.bytes.length < OUTPUT_PUSH_BYTES) return;
      }
    },
    (wake) => onActivity(activity, wake),
  );
}
