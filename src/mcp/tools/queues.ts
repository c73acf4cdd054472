import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import type { QueueView } from '../../client/scheduling.js';
import { MAX_PARALLEL } from '../../shared/queues.js';
import { mustBe, positiveInteger, queueShape } from '../schemas.js';

const describeQueue = (queue: QueueView): string =>
  `${queue.name}: ${queue.running} running of at most ${queue.max_parallel}, ${queue.waiting} waiting${queue.paused ? ', paused' : ''}`;

export function registerQueueTools(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'list_queues',
    {
      title: 'List task queues',
      description:
        "Every queue with its parallel limit, whether it is paused, and how many of its tasks run and wait. Tasks go to the queue 'default' unless start_task names another.",
      inputSchema: z.object({}),
      outputSchema: z.object({ queues: z.array(z.object(queueShape)) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => {
      const queues = await backburner.listQueues();
      return {
        structuredContent: { queues },
        content: [{ type: 'text', text: queues.map(describeQueue).join('\n') }],
      };
    },
  );
  server.registerTool(
    'configure_queue',
    {
      title: 'Set a queue’s limit or pause it',
      description:
        'Set how many tasks of a queue run at once (max_parallel), or pause it (paused: true starts nothing ' +
        'new; running tasks go on) and resume it (paused: false). Settings are kept across restarts. A new ' +
        'queue runs one task at a time until this raises its limit.',
      inputSchema: z.object({
        queue: z.string({ error: mustBe('queue', 'a string (a queue name)') }).describe('The queue name.'),
        max_parallel: positiveInteger('max_parallel', 1, MAX_PARALLEL)
          .optional()
          .describe(
            `At most this many of its tasks at once (1 to ${MAX_PARALLEL}; the policy file may cap it).`,
          ),
        paused: z.boolean({ error: mustBe('paused', 'true or false') }).optional(),
      }),
      outputSchema: z.object(queueShape),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async ({ queue, max_parallel, paused }) => {
      const view = await backburner.configureQueue(queue, { max_parallel, paused });
      return { structuredContent: { ...view }, content: [{ type: 'text', text: describeQueue(view) }] };
    },
  );
}
