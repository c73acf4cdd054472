import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type Backburner } from '../../client/backburner.js';
import { describeTask } from '../render.js';
import { mustBe, taskRecordSchema } from '../schemas.js';

export function registerListTasks(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'list_tasks',
    {
      title: 'List background tasks',
      description:
        'Tasks, newest first, from this and earlier sessions: use it to find a task_id you lost or to see ' +
        'what is still running.',
      inputSchema: z.object({
        limit: z
          .number({ error: mustBe('limit', 'a number') })
          .int({ error: mustBe('limit', 'an integer') })
          .min(1, { error: mustBe('limit', 'at least 1') })
          .max(MAX_LIST_LIMIT, { error: mustBe('limit', `at most ${MAX_LIST_LIMIT}`) })
          .optional()
          .describe(`How many tasks to return (1 to ${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT}).`),
      }),
      outputSchema: z.object({ tasks: z.array(taskRecordSchema) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ limit }) => {
      const tasks = await backburner.list(limit);
      const text = tasks.length === 0 ? 'no tasks yet' : tasks.map(describeTask).join('\n');
      return { structuredContent: { tasks }, content: [{ type: 'text', text }] };
    },
  );
}
