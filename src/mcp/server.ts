import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { Backburner } from '../client/backburner.js';
import { VERSION } from '../version.js';
import { registerCancelTask } from './tools/cancel-task.js';
import { registerListTasks } from './tools/list-tasks.js';
import { registerStartTask } from './tools/start-task.js';
import { registerTaskResult } from './tools/task-result.js';
import { registerTaskStatus } from './tools/task-status.js';

const INSTRUCTIONS = `backburner runs slow shell commands in the background so you never block on them.
Workflow: start_task returns a task_id at once; keep working; poll with task_status; read output with
task_result (it works mid-run); stop with cancel_task. Tasks outlive this server: list_tasks finds tasks
from earlier sessions. Status 'interrupted' means supervision was lost and the true end is unknown.`;

export function createMcpServer(backburner: Backburner): McpServer {
  const server = new McpServer({ name: 'backburner', version: VERSION }, { instructions: INSTRUCTIONS });
  registerStartTask(server, backburner);
  registerTaskStatus(server, backburner);
  registerTaskResult(server, backburner);
  registerCancelTask(server, backburner);
  registerListTasks(server, backburner);
  return server;
}

/** Serves MCP on stdio until the client closes it. The tasks do not depend on this process. */
export function serveMcpStdio(backburner: Backburner): void {
  serveStdio(() => createMcpServer(backburner), {
    onerror: (error) => process.stderr.write(`backburner: ${error.message}\n`),
  });
  // Start (or find) the daemon now, so that the first tool call does not pay for it.
  backburner.daemon.connect().catch((error: Error) => process.stderr.write(`backburner: ${error.message}\n`));
}
