import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { CallToolResult, McpServer } from '@modelcontextprotocol/server';
import {
  RESOURCE_MIME_TYPE,
  registerAppResource,
  registerAppTool,
} from '@modelcontextprotocol/ext-apps/server';
import type { Backburner } from '../../client/backburner.js';
import { taskListSnapshot, type TaskListFilters } from '../../client/task-list-snapshot.js';
import { WEB_DIR } from '../../shared/web-build.js';
import { describeTask } from '../render.js';
import {
  insightShape,
  labelFilter,
  mustBe,
  positiveInteger,
  queueFilter,
  queueShape,
  statusFilter,
  taskRecordShape,
} from '../schemas.js';

/** The MCP App: one HTML page, built by scripts/build-web.ts with its script and styles inline. */
export const TASKS_VIEW_URI = 'ui://backburner/tasks.html';
const TASKS_VIEW_FILE = 'tasks-app.html';

const DEFAULT_SHOWN = 50;
const MAX_SHOWN = 200;
const MAX_NAMED = 50;

const viewArguments = z.object({
  task_ids: z
    .array(z.string({ error: mustBe('task_ids', 'a list of task ids') }), {
      error: mustBe('task_ids', 'a list of task ids'),
    })
    .max(MAX_NAMED, { error: `task_ids must name at most ${MAX_NAMED} tasks` })
    .optional()
    .describe('Only these tasks (ids or unique prefixes), in this order.'),
  status: statusFilter,
  queue: queueFilter,
  label: labelFilter,
  limit: positiveInteger('limit', 1, MAX_SHOWN)
    .optional()
    .describe(`How many of the newest tasks to show (1 to ${MAX_SHOWN}, default ${DEFAULT_SHOWN}).`),
});

const viewResult = z.object({
  // A working task's summary, progress and ETA; ended tasks are shown by their record.
  tasks: z.array(z.object({ ...taskRecordShape, ...insightShape, summary: insightShape.summary.optional() })),
  queues: z.array(z.object(queueShape)),
  more: z.boolean().optional().describe('True when more tasks match than are shown.'),
});

type ViewArguments = z.infer<typeof viewArguments>;

function filtersOf(args: ViewArguments): TaskListFilters {
  const filters: TaskListFilters = { limit: args.limit ?? DEFAULT_SHOWN };
  if (args.task_ids !== undefined) filters.taskIds = args.task_ids;
  if (args.status !== undefined) filters.status = Array.isArray(args.status) ? args.status : [args.status];
  if (args.queue !== undefined) filters.queue = args.queue;
  if (args.label !== undefined) filters.label = args.label;
  return filters;
}

async function viewAnswer(backburner: Backburner, args: ViewArguments): Promise<CallToolResult> {
  const snapshot = await taskListSnapshot(backburner, filtersOf(args));
  const lines = snapshot.tasks.length === 0 ? ['no tasks match'] : snapshot.tasks.map(describeTask);
  if (snapshot.more === true) lines.push('(more tasks match: the view shows the newest)');
  return { structuredContent: { ...snapshot }, content: [{ type: 'text', text: lines.join('\n') }] };
}

/**
 * The live tasks view as an MCP App (`io.modelcontextprotocol/ui`): `show_tasks` opens it, the view
 * refreshes itself through the app-only `poll_tasks_view`, and cancels and reads output through the
 * ordinary tools. Which clients see any of it is decided in app-clients.ts.
 */
export function registerTasksApp(server: McpServer, backburner: Backburner): void {
  let html: string | undefined;
  registerAppResource(
    server,
    'tasks view',
    TASKS_VIEW_URI,
    {
      title: 'backburner tasks view',
      description: 'A live view of background tasks, for clients that render MCP Apps.',
      mimeType: RESOURCE_MIME_TYPE,
    },
    (uri) => {
      html ??= readFileSync(`${WEB_DIR}${TASKS_VIEW_FILE}`, 'utf8');
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: RESOURCE_MIME_TYPE,
            text: html,
            // It talks to nothing but its host: no network, no other origin.
            _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } },
          },
        ],
      };
    },
  );

  registerAppTool(
    server,
    'show_tasks',
    {
      title: 'Show background tasks',
      description:
        'Show the user a live view of background tasks (status, progress, duration, exit cause, with buttons ' +
        'to read output and cancel) inside the chat. Filter by task_ids, status, queue or label. Use it when ' +
        'the user wants to watch tasks; to read results yourself, use task_status, task_result or list_tasks.',
      inputSchema: viewArguments,
      outputSchema: viewResult,
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: { ui: { resourceUri: TASKS_VIEW_URI } },
    },
    async (args) => viewAnswer(backburner, args),
  );

  registerAppTool(
    server,
    'poll_tasks_view',
    {
      title: 'Refresh the tasks view',
      description:
        'What the tasks view shows, looked up again: called by the view on an interval, not by the model.',
      inputSchema: viewArguments,
      outputSchema: viewResult,
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: { ui: { resourceUri: TASKS_VIEW_URI, visibility: ['app'] } },
    },
    async (args) => viewAnswer(backburner, args),
  );
}
