import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { TaskNotifyingTransport } from './task-notifications.js';
import { LegacyTasksTransport } from './legacy-tasks.js';
import { Backburner } from '../client/backburner.js';
import { VERSION } from '../version.js';
import { registerCancelTask } from './tools/cancel-task.js';
import { registerListTasks } from './tools/list-tasks.js';
import { registerStartTask } from './tools/start-task.js';
import { registerTaskResult } from './tools/task-result.js';
import { registerTaskStatus } from './tools/task-status.js';
import { registerWaitTasks } from './tools/wait-tasks.js';
import { registerDeleteTask } from './tools/delete-task.js';
import { registerRunCommand } from './tools/run-command.js';
import { registerRestartTask } from './tools/restart-task.js';
import { registerQueueTools } from './tools/queues.js';
import { registerSendInput } from './tools/send-input.js';
import { structuredToolErrors } from './tool-errors.js';
import { TaskActivity } from '../client/task-activity.js';
import {
  publishSubscriptions,
  serveLegacySubscriptions,
  serveModernStdioSubscriptions,
} from './live-updates.js';
import { registerResources } from './resources.js';
import { showAppsOnlyToAppClients } from './apps/app-clients.js';
import { registerTasksApp, TASKS_VIEW_URI } from './apps/tasks-view.js';
import { registerTaskMethods, type TaskTiming } from './tasks-extension.js';
import { readSettings } from '../shared/config.js';
import { DEFAULT_HTTP_PORT, serveMcpHttp, type RunningHttpServer } from './http/server.js';
import { isLoopbackHost } from '../http/guard.js';
import { loadOrCreateToken, tokenFile } from '../http/token.js';

const INSTRUCTIONS = `backburner runs slow shell commands in the background so you never block on them.
Workflow: start_task returns a task_id at once (or, with wait_seconds, the result of a fast command);
keep working; wait_tasks returns the moment tasks end (call it again if it times out); task_result reads
output mid-run (since=next_cursor for only the new part, grep to search); cancel_task stops a task and
its whole process tree. Tasks outlive this server: list_tasks finds tasks from earlier sessions.
run_command runs a command and answers with its result if it ends within wait_seconds (default 10),
otherwise like start_task. Each task's output is also the resource backburner://tasks/{task_id}/output.
Status 'interrupted' means supervision was lost and the true end is unknown.
Scheduling: for many commands at once, give them one queue (configure_queue sets how many run at once);
for steps that depend on each other, start them all now with after=[previous task_id] instead of waiting
for each; retries reruns a flaky command; not_before delays a start. A queued task says what it waits for.
Interaction: stdin "pipe" (or tty: true for programs that need a terminal) lets send_input answer prompts;
wait_tasks(until_output: "regex") wakes on a line such as a prompt. A dev server: start_task with
ready_pattern, wait_tasks(mode: "ready"), use it, cancel_task when done.`;

/**
 * How this server instance hears of task changes to push to its client:
 * - `legacy`: a 2025-era connection (stdio, or one HTTP session) that subscribes with resources/subscribe;
 * - `modern-connection`: a 2026-07-28 stdio connection, whose listen streams the SDK's entry filters;
 * - `modern-request`: one 2026-07-28 HTTP request; changes go through the handler's shared bus instead.
 */
export type Delivery = 'legacy' | 'modern-connection' | 'modern-request';

export interface McpContext {
  backburner: Backburner;
  activity: TaskActivity;
  timing: TaskTiming;
}

/** What every server instance of this process shares: the facade, the task events, the settings. */
export function mcpContext(backburner: Backburner, env: NodeJS.ProcessEnv = process.env): McpContext {
  return {
    backburner,
    activity: new TaskActivity(backburner),
    timing: { retentionMs: readSettings(env).retentionMs },
  };
}

export function createMcpServer(context: McpContext, delivery: Delivery): McpServer {
  const { backburner, activity, timing } = context;
  const server = new McpServer({ name: 'backburner', version: VERSION }, { instructions: INSTRUCTIONS });
  structuredToolErrors(server);
  showAppsOnlyToAppClients(server, TASKS_VIEW_URI);
  registerStartTask(server, backburner);
  registerTaskStatus(server, backburner);
  registerTaskResult(server, backburner);
  registerCancelTask(server, backburner);
  registerListTasks(server, backburner);
  registerWaitTasks(server, backburner);
  registerDeleteTask(server, backburner);
  registerRunCommand(server, backburner, timing);
  registerRestartTask(server, backburner);
  registerQueueTools(server, backburner);
  registerSendInput(server, backburner);
  registerTaskMethods(server, backburner, timing);
  registerResources(server, backburner);
  registerTasksApp(server, backburner);
  if (delivery === 'legacy') serveLegacySubscriptions(server, activity);
  else if (delivery === 'modern-connection') serveModernStdioSubscriptions(server, activity);
  else server.server.registerCapabilities({ resources: { subscribe: true } });
  return server;
}

const reportError = (error: Error): void => {
  process.stderr.write(`backburner: ${error.message}\n`);
};

/** Serves MCP on stdio until the client closes it. The tasks do not depend on this process. */
export function serveMcpStdio(backburner: Backburner): void {
  const context = mcpContext(backburner);
  const transport = new TaskNotifyingTransport(
    new LegacyTasksTransport(new StdioServerTransport(), backburner, context.timing),
    backburner,
    context.activity,
    context.timing,
  );
  serveStdio(({ era }) => createMcpServer(context, era === 'modern' ? 'modern-connection' : 'legacy'), {
    transport,
    onerror: reportError,
  });
  warmUp(backburner);
}

/**
 * Serves MCP over Streamable HTTP until SIGINT or SIGTERM. Prints the URL (and where the token is) on
 * stderr. The tasks do not depend on this process either.
 */
export async function serveMcpOverHttp(
  backburner: Backburner,
  options: {
    host: string;
    port: number;
    env?: NodeJS.ProcessEnv;
    /** What serves the other paths of the same port (the web dashboard), given what it shares with MCP. */
    web?: (shared: { activity: TaskActivity; token: string }) => (request: Request) => Promise<Response>;
  },
): Promise<RunningHttpServer> {
  const env = options.env ?? process.env;
  const home = backburner.paths.root; // an unusable home fails here, before the port is taken
  const token = loadOrCreateToken(home, env);
  const context = mcpContext(backburner, env);
  const { web, ...listen } = options;
  const running = await serveMcpHttp(
    {
      modern: () => createMcpServer(context, 'modern-request'),
      legacy: () => createMcpServer(context, 'legacy'),
    },
    {
      ...listen,
      ...(web === undefined ? {} : { web: web({ activity: context.activity, token }) }),
      token,
      env,
      onerror: reportError,
      taskListen: context,
      wrapLegacyTransport: (transport) =>
        new LegacyTasksTransport(transport, backburner, context.timing, { legacy: true }),
    },
  );
  publishSubscriptions(running.notify, context.activity);
  const where = env.BACKBURNER_TOKEN ? 'the token is BACKBURNER_TOKEN' : `the token is in ${tokenFile(home)}`;
  // The warning comes first: whoever waits for the URL line has seen it by then.
  if (!isLoopbackHost(options.host.replace(/^\[(.*)\]$/, '$1'))) {
    process.stderr.write(
      `backburner: listening beyond loopback (${options.host}): anyone who can reach it and has the token can run commands as you; requests must name ${options.host} or a host in BACKBURNER_ALLOWED_HOSTS; put TLS in front of it on a network\n`,
    );
  }
  process.stderr.write(
    `backburner: serving MCP at ${running.url} (send "Authorization: Bearer <token>"; ${where})\n`,
  );
  if (web !== undefined) {
    const port = new URL(running.url).port;
    process.stderr.write(
      `backburner: the dashboard is at ${running.url.replace(/\/mcp$/, '/')}; log in with: backburner dashboard${port === String(DEFAULT_HTTP_PORT) ? '' : ` --port ${port}`}\n`,
    );
  }
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  warmUp(backburner);
  return running;
}

function warmUp(backburner: Backburner): void {
  // Start (or find) the daemon now, so that the first tool call does not pay for it. An unusable home
  // is reported here and again by every tool call, which is where an agent will see it.
  Promise.resolve()
    .then(() => backburner.paths && backburner.daemon.connect())
    .catch((error: Error) => process.stderr.write(`backburner: ${error.message}\n`));
}
