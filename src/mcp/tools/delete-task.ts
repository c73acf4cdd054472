import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { taskIdArgument } from '../schemas.js';

export function registerDeleteTask(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'delete_task',
    {
      title: 'Delete an ended task',
      description:
        'Delete an ended task: its record and its log. A running task must be cancelled first. Old tasks ' +
        'are also removed automatically after the retention period (BACKBURNER_RETENTION_DAYS).',
      inputSchema: z.object({ task_id: taskIdArgument }),
      outputSchema: z.object({ task_id: z.string(), deleted: z.boolean() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ task_id }) => {
      const result = await backburner.delete(task_id);
      return {
        structuredContent: { ...result },
        content: [
          { type: 'text', text: `${result.task_id}: ${result.deleted ? 'deleted' : 'was already gone'}` },
        ],
      };
    },
  );
}
