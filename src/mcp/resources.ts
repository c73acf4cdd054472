import { ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../client/backburner.js';
import { BackburnerError } from '../shared/errors.js';

export const TASKS_URI = 'backburner://tasks';
export const QUEUES_URI = 'backburner://queues';
export const taskUri = (taskId: string): string => `${TASKS_URI}/${taskId}`;
export const outputUri = (taskId: string): string => `${TASKS_URI}/${taskId}/output`;

/** How much of a log one read of the output resource returns: its end, like `tail`. */
const OUTPUT_TAIL_LINES = 2000;
const OUTPUT_MAX_BYTES = 256 * 1024;
const LISTED_TASKS = 100;
const COMPLETIONS = 20;

/** Resource errors name the URI; a missing task is "resource not found" (-32002) for the client. */
async function reading<T>(uri: URL, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND') {
      throw new ResourceNotFoundError(uri.href, `${error.message}: no resource ${uri.href}`);
    }
    throw error;
  }
}

const taskIdOf = (variables: Record<string, string | string[]>): string => {
  const id = variables.task_id;
  return Array.isArray(id) ? (id[0] ?? '') : (id ?? '');
};

/**
 * The task list and each task's record and output as MCP resources, for clients that browse, attach or
 * subscribe rather than call tools. Reads go through the same facade as the tools.
 */
export function registerResources(server: McpServer, backburner: Backburner): void {
  server.registerResource(
    'tasks',
    TASKS_URI,
    {
      title: 'backburner tasks',
      description: `The ${LISTED_TASKS} most recent tasks, newest first, as JSON (the same records list_tasks returns).`,
      mimeType: 'application/json',
    },
    async (uri) => {
      const { tasks } = await backburner.list({ limit: LISTED_TASKS });
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ tasks }, null, 2) }],
      };
    },
  );

  server.registerResource(
    'queues',
    QUEUES_URI,
    {
      title: 'backburner queues',
      description:
        'Every queue with its parallel limit, pause, and running and waiting counts, as JSON (what list_queues returns).',
      mimeType: 'application/json',
    },
    async (uri) => {
      const queues = await backburner.listQueues();
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ queues }, null, 2) },
        ],
      };
    },
  );

  const completeTaskId = { task_id: (value: string) => backburner.idsStartingWith(value, COMPLETIONS) };
  const listRecent = (suffix: (id: string) => string, what: string) => async () => {
    const { tasks } = await backburner.list({ limit: LISTED_TASKS });
    return {
      resources: tasks.map((task) => ({
        uri: suffix(task.task_id),
        name: `${task.task_id} ${what}`,
        description: `${task.status}: ${task.command}`,
        mimeType: what === 'output' ? 'text/plain' : 'application/json',
      })),
    };
  };

  server.registerResource(
    'task-output',
    new ResourceTemplate(`${TASKS_URI}/{task_id}/output`, {
      list: listRecent(outputUri, 'output'),
      complete: completeTaskId,
    }),
    {
      title: "A task's output",
      description: `The output of a task (stdout and stderr, cleaned of terminal codes): its last ${OUTPUT_TAIL_LINES} lines, at most ${OUTPUT_MAX_BYTES / 1024} KiB. Readable while the task runs; subscribe to hear when it grows or ends.`,
      mimeType: 'text/plain',
    },
    (uri, variables) =>
      reading(uri, async () => {
        const result = await backburner.result(taskIdOf(variables), {
          tail_lines: OUTPUT_TAIL_LINES,
          max_bytes: OUTPUT_MAX_BYTES,
        });
        return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: result.output }] };
      }),
  );

  server.registerResource(
    'task',
    new ResourceTemplate(`${TASKS_URI}/{task_id}`, {
      list: listRecent(taskUri, 'record'),
      complete: completeTaskId,
    }),
    {
      title: 'A task',
      description: "A task's record as JSON: status, exit code, timings, progress and a one-line summary.",
      mimeType: 'application/json',
    },
    (uri, variables) =>
      reading(uri, async () => {
        const task = await backburner.status(taskIdOf(variables));
        return {
          contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(task, null, 2) }],
        };
      }),
  );
}
