import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { describeTask } from '../render.js';
import { taskIdArgument, taskRecordShape } from '../schemas.js';

export function registerCancelTask(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'cancel_task',
    {
      title: 'Cancel a background task',
      description:
        'Stop a running task and its whole process tree: SIGTERM, a grace period, then SIGKILL, and a sweep ' +
        'for descendants that detached. The result says how many processes were ended. Cancelling a task ' +
        'that already ended changes nothing and is not an error.',
      inputSchema: z.object({ task_id: taskIdArgument }),
      outputSchema: z.object({
        ...taskRecordShape,
        cancelled: z.boolean().describe('False when the task had already ended: nothing was changed.'),
        processes_ended: z.number().int().describe('How many processes of the task were ended.'),
        message: z.string(),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ task_id }) => {
      const outcome = await backburner.cancel(task_id);
      return {
        structuredContent: {
          ...outcome.task,
          cancelled: outcome.changed,
          processes_ended: outcome.processes_ended,
          message: outcome.message,
        },
        content: [{ type: 'text', text: `${outcome.message}\n${describeTask(outcome.task)}` }],
      };
    },
  );
}
