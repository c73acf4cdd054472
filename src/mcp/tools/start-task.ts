import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { type Backburner } from '../../client/backburner.js';
import { MAX_CPU_SECONDS, MAX_MEMORY_MB } from '../../client/arguments.js';
import { answerAfterWaiting, describeTask } from '../render.js';
import {
  commandArguments,
  schedulingArguments,
  interactionArguments,
  RUNS_A_COMMAND,
  insightShape,
  mustBe,
  outputWhenDone,
  positiveInteger,
  taskRecordShape,
  waitSecondsArgument,
} from '../schemas.js';

export function registerStartTask(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'start_task',
    {
      title: 'Start a background task',
      description:
        'Start a shell command in the background and return at once with its task_id. Use it for anything ' +
        'that may take more than a few seconds (test suites, builds, installs, scrapes, batch jobs). The task ' +
        'keeps running even if this server or the client restarts. Then keep working, and later call ' +
        'wait_tasks (returns the moment it ends), task_status (cheap) or task_result (output; works while ' +
        'it runs). cancel_task stops it and its whole process tree. With wait_seconds, a command that ends ' +
        'within that time is answered in this same call, with its exit code and output.',
      inputSchema: z.object({
        ...commandArguments,
        ...schedulingArguments,
        ...interactionArguments,
        wait_seconds: waitSecondsArgument(0),
        max_memory_mb: positiveInteger('max_memory_mb', 1, MAX_MEMORY_MB)
          .optional()
          .describe(
            'Address-space limit in MB, enforced by the kernel (default: BACKBURNER_MAX_MEMORY_MB, or none).',
          ),
        max_cpu_seconds: positiveInteger('max_cpu_seconds', 1, MAX_CPU_SECONDS)
          .optional()
          .describe(
            'CPU time limit in seconds, enforced by the kernel (default: BACKBURNER_MAX_CPU_SECONDS, or none).',
          ),
        label: z
          .string({ error: mustBe('label', 'a string') })
          .optional()
          .describe('A name to find the task by later (list_tasks can filter by it).'),
        env: z
          .record(z.string(), z.string({ error: () => 'env values must be strings' }), {
            error: mustBe('env', 'an object of NAME: "value" strings'),
          })
          .optional()
          .describe(
            'Variables added to the inherited environment. Their values are never shown in any result, log or listing.',
          ),
      }),
      outputSchema: z.object({ ...taskRecordShape, ...insightShape, ...outputWhenDone }),
      annotations: RUNS_A_COMMAND,
    },
    async (args) => {
      const task = await backburner.start(args);
      const waitSeconds = args.wait_seconds ?? 0;
      if (waitSeconds > 0) return answerAfterWaiting(backburner, task.task_id, waitSeconds);
      return {
        structuredContent: { ...task },
        content: [
          {
            type: 'text',
            text: `Started ${describeTask(task)}\nCall wait_tasks(["${task.task_id}"]) to wait for it, or task_status / task_result to check on it.`,
          },
        ],
      };
    },
  );
}
