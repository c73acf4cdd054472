import type { McpServer, ServerNotifier } from '@modelcontextprotocol/server';
import type { TaskActivity } from '../client/task-activity.js';
import { toRecord, type TaskRow } from '../shared/task.js';
import { TASKS_URI, outputUri, taskUri } from './resources.js';

/** The resources a task event changes. */
function changedBy(event: 'ended' | 'output' | 'started', taskId: string): string[] {
  if (event === 'output') return [outputUri(taskId), taskUri(taskId)];
  if (event === 'started') return [TASKS_URI];
  return [outputUri(taskId), taskUri(taskId), TASKS_URI];
}

/** Calls `send` with each resource a task event changes, until the returned function is called. */
function onResourceChanges(activity: TaskActivity, send: (uri: string) => void): () => void {
  const release = activity.retain();
  const onEnded = (task: TaskRow): void => changedBy('ended', task.id).forEach(send);
  const onOutput = (id: string): void => changedBy('output', id).forEach(send);
  const onStarted = (id: string): void => changedBy('started', id).forEach(send);
  activity.on('ended', onEnded);
  activity.on('output', onOutput);
  activity.on('started', onStarted);
  return () => {
    activity.off('ended', onEnded);
    activity.off('output', onOutput);
    activity.off('started', onStarted);
    release();
  };
}

/** Runs `cleanup` when the server's connection closes, keeping any close handler already set. */
function whenClosed(server: McpServer, cleanup: () => void): void {
  const previous = server.server.onclose;
  server.server.onclose = () => {
    previous?.();
    cleanup();
  };
}

/**
 * Resource subscriptions on a 2025-era connection: the client subscribes to URIs with
 * `resources/subscribe`, and hears `notifications/resources/updated` for those only — when a task ends,
 * and (at most once a second) while its output grows. Must be called before the server connects.
 */
export function serveLegacySubscriptions(server: McpServer, activity: TaskActivity): void {
  const subscribed = new Set<string>();
  let stop: (() => void) | undefined;
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler('resources/subscribe', (request) => {
    subscribed.add(request.params.uri);
    stop ??= onResourceChanges(activity, (uri) => {
      if (subscribed.has(uri)) server.server.sendResourceUpdated({ uri }).catch(() => undefined);
    });
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', (request) => {
    subscribed.delete(request.params.uri);
    if (subscribed.size === 0) {
      stop?.();
      stop = undefined;
    }
    return {};
  });
  whenClosed(server, () => stop?.());
  serveLegacyLogging(server, activity);
}

/**
 * 2025-era logging (`logging/setLevel`; deprecated by 2026-07-28 in favour of stderr and OpenTelemetry):
 * the connection hears, at level `info`, of every task of the home that ends, in one line. The SDK drops
 * messages below the level the client set.
 */
function serveLegacyLogging(server: McpServer, activity: TaskActivity): void {
  server.server.registerCapabilities({ logging: {} });
  const onEnded = (task: TaskRow): void => {
    const record = toRecord(task);
    const how =
      record.exit_code === undefined
        ? (record.reason ?? record.terminated_by ?? '')
        : `exit code ${record.exit_code}`;
    server
      .sendLoggingMessage({
        level: 'info',
        logger: 'backburner',
        data: `task ${task.id} ${task.status} (${how}): ${task.command}`,
      })
      .catch(() => undefined);
  };
  activity.on('ended', onEnded);
  whenClosed(server, () => activity.off('ended', onEnded));
}

/**
 * 2026-07-28 clients subscribe with `subscriptions/listen`, which the SDK's serving entry answers and
 * filters: the connection's server sends every change and the entry forwards only what each listen
 * stream asked for. Over stdio that is this connection's server instance.
 */
export function serveModernStdioSubscriptions(server: McpServer, activity: TaskActivity): void {
  server.server.registerCapabilities({ resources: { subscribe: true } });
  const stop = onResourceChanges(activity, (uri) => {
    server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  });
  whenClosed(server, stop);
}

/** Over HTTP, 2026-07-28 servers live for one request; changes go to the handler's listen streams. */
export function publishSubscriptions(notify: ServerNotifier, activity: TaskActivity): () => void {
  return onResourceChanges(activity, (uri) => notify.resourceUpdated(uri));
}
