import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { type Backburner } from '../../client/backburner.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../client/arguments.js';
import { describeTask } from '../render.js';
import {
  labelFilter,
  mustBe,
  positiveInteger,
  queueFilter,
  statusFilter,
  taskRecordSchema,
} from '../schemas.js';

export function registerListTasks(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'list_tasks',
    {
      title: 'List background tasks',
      description:
        'Tasks, newest first, from this and earlier sessions: use it to find a task_id you lost or to see ' +
        'what is still running (status: "working"). Filter by status, label, cwd or since; when there are ' +
        'more, pass the returned next_cursor as cursor.',
      inputSchema: z.object({
        limit: positiveInteger('limit', 1, MAX_LIST_LIMIT)
          .optional()
          .describe(`How many tasks to return (1 to ${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT}).`),
        status: statusFilter,
        label: labelFilter,
        cwd: z
          .string({ error: mustBe('cwd', 'a string') })
          .optional()
          .describe('Only tasks started in this directory.'),
        queue: queueFilter,
        since: z
          .string({ error: mustBe('since', 'a string') })
          .optional()
          .describe(
            'Only tasks created since then: an ISO 8601 time, or a duration ago such as "30m", "2h", "1d".',
          ),
        cursor: z
          .string({ error: mustBe('cursor', 'a string') })
          .optional()
          .describe('The next_cursor of an earlier list_tasks call, to get the next page.'),
      }),
      outputSchema: z.object({
        tasks: z.array(taskRecordSchema),
        next_cursor: z.string().optional().describe('Present when more tasks match: pass it as cursor.'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      const page = await backburner.list(args);
      const lines = page.tasks.length === 0 ? ['no tasks'] : page.tasks.map(describeTask);
      if (page.next_cursor !== undefined) lines.push(`(more: call again with cursor "${page.next_cursor}")`);
      return { structuredContent: { ...page }, content: [{ type: 'text', text: lines.join('\n') }] };
    },
  );
}
