import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { MAX_TIMEOUT_SECONDS } from '../../engine/validate.js';
import { describeTask } from '../render.js';
import { mustBe, taskRecordSchema } from '../schemas.js';

export function registerStartTask(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'start_task',
    {
      title: 'Start a background task',
      description:
        'Start a shell command in the background and return at once with its task_id. Use it for anything ' +
        'that may take more than a few seconds (test suites, builds, installs, scrapes, batch jobs). The task ' +
        'keeps running even if this server or the client restarts. Then keep working, and later call ' +
        'task_status (cheap) or task_result (with output; works while it runs) with the task_id; ' +
        'cancel_task stops it and its whole process tree.',
      inputSchema: z.object({
        command: z
          .string({ error: mustBe('command', 'a string') })
          .describe(
            'The command line, run by /bin/sh -c (stdin is /dev/null; stdout and stderr are merged).',
          ),
        cwd: z
          .string({ error: mustBe('cwd', 'a string') })
          .optional()
          .describe("Working directory (absolute, or relative to the server's). Defaults to the server's."),
        timeout_seconds: z
          .number({ error: mustBe('timeout_seconds', 'a number') })
          .positive({ error: mustBe('timeout_seconds', 'positive') })
          .max(MAX_TIMEOUT_SECONDS, {
            error: mustBe('timeout_seconds', `at most ${MAX_TIMEOUT_SECONDS} (30 days)`),
          })
          .optional()
          .describe('Kill the task (status timed_out) if it runs longer than this. No limit by default.'),
      }),
      outputSchema: taskRecordSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async (args) => {
      const task = await backburner.start(args);
      return {
        structuredContent: { ...task },
        content: [
          {
            type: 'text',
            text: `Started ${describeTask(task)}\nCheck it with task_status or task_result (task_id "${task.task_id}").`,
          },
        ],
      };
    },
  );
}
