import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { taskDetailsSchema, taskIdArgument } from '../schemas.js';

export function registerTaskStatus(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'task_status',
    {
      title: 'Status of a background task',
      description:
        'The current record of a task: status (working, completed, failed, cancelled, timed_out, ' +
        'interrupted), timings, exit_code once it ended, a one-line summary, and for a working task its ' +
        'progress and an ETA from earlier runs. Cheap. For output, use task_result; to wait, wait_tasks.',
      inputSchema: z.object({ task_id: taskIdArgument }),
      outputSchema: taskDetailsSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ task_id }) => {
      const task = await backburner.status(task_id);
      let text = `${task.task_id}: ${task.summary}`;
      if (task.progress?.percent !== undefined) text += `\nprogress: ${task.progress.percent}%`;
      if (task.eta_seconds !== undefined) text += `\neta: ${task.eta_seconds}s`;
      return { structuredContent: { ...task }, content: [{ type: 'text', text }] };
    },
  );
}
