import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { describeTask } from '../render.js';
import { insightShape, mustBe, RUNS_A_COMMAND, taskIdArgument, taskRecordShape } from '../schemas.js';

export function registerRestartTask(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'restart_task',
    {
      title: 'Run a task again',
      description:
        'Start a new task with the same command, cwd, queue, limits, retries and label as an earlier one ' +
        '(for example after fixing what made it fail). The new task has its own task_id and says which task it ' +
        'repeats (restarted_from). A task started with env needs those values given again: they are never kept.',
      inputSchema: z.object({
        task_id: taskIdArgument,
        env: z
          .record(z.string(), z.string({ error: () => 'env values must be strings' }), {
            error: mustBe('env', 'an object of NAME: "value" strings'),
          })
          .optional()
          .describe('Values for the variables the earlier task was given in env (required if it had any).'),
      }),
      outputSchema: z.object({ ...taskRecordShape, ...insightShape }),
      annotations: RUNS_A_COMMAND,
    },
    async ({ task_id, env }) => {
      const task = await backburner.restart(task_id, env === undefined ? {} : { env });
      return {
        structuredContent: { ...task },
        content: [{ type: 'text', text: `Restarted ${task_id} as ${describeTask(task)}` }],
      };
    },
  );
}
