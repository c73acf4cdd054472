import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import {
  MAX_CPU_SECONDS,
  MAX_MEMORY_MB,
  MAX_WAIT_SECONDS,
  type Backburner,
} from '../../client/backburner.js';
import { MAX_TIMEOUT_SECONDS } from '../../engine/validate.js';
import { describeTask } from '../render.js';
import { insightShape, mustBe, outputViewShape, positiveInteger, taskRecordShape } from '../schemas.js';

const outputWhenDone = Object.fromEntries(
  Object.entries(outputViewShape).map(([key, schema]) => [key, schema.optional()]),
) as { [K in keyof typeof outputViewShape]: z.ZodOptional<(typeof outputViewShape)[K]> };

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
        wait_seconds: z
          .number({ error: mustBe('wait_seconds', 'a number') })
          .min(0, { error: mustBe('wait_seconds', 'at least 0') })
          .max(MAX_WAIT_SECONDS, { error: mustBe('wait_seconds', `at most ${MAX_WAIT_SECONDS}`) })
          .optional()
          .describe(
            `Wait up to this long (0 to ${MAX_WAIT_SECONDS}, default 0) for the command to end; if it does, the answer has its exit code and output.`,
          ),
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
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async (args) => {
      const task = await backburner.start(args);
      const waitSeconds = args.wait_seconds ?? 0;
      if (waitSeconds > 0) {
        await backburner.wait([task.task_id], 'any', waitSeconds);
        const result = await backburner.result(task.task_id, {});
        if (result.status !== 'working' && result.status !== 'queued') {
          return {
            structuredContent: { ...result },
            content: [
              {
                type: 'text',
                text: `${result.summary}\n${result.output === '' ? '(no output)' : result.output}`,
              },
            ],
          };
        }
        return {
          structuredContent: { ...result },
          content: [
            {
              type: 'text',
              text: `Still running after ${waitSeconds}s: ${describeTask(result)}\nCall wait_tasks(["${task.task_id}"]) to wait for it, or task_result to peek at its output.`,
            },
          ],
        };
      }
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
