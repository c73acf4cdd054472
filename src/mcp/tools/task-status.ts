import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { describeTask } from '../render.js';
import { taskIdArgument, taskRecordSchema } from '../schemas.js';

export function registerTaskStatus(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'task_status',
    {
      title: 'Status of a background task',
      description:
        'The current record of a task started with start_task: status (working, completed, failed, ' +
        'cancelled, timed_out, interrupted), timings, and exit_code once it ended. Cheap: call it to poll. ' +
        'For the output, use task_result.',
      inputSchema: z.object({ task_id: taskIdArgument }),
      outputSchema: taskRecordSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ task_id }) => {
      const task = await backburner.status(task_id);
      return { structuredContent: { ...task }, content: [{ type: 'text', text: describeTask(task) }] };
    },
  );
}
