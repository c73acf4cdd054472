import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { Backburner } from '../../client/backburner.js';
import { MAX_INPUT_BYTES } from '../../shared/validate.js';
import { describeTask } from '../render.js';
import { insightShape, mustBe, taskIdArgument, taskRecordShape } from '../schemas.js';

export function registerSendInput(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'send_input',
    {
      title: 'Type into a running task',
      description:
        'Write text to the standard input of a running task started with stdin: "pipe" or tty: true: the ' +
        'answer to a prompt ("y\\n"), a line for a REPL, a password. Include "\\n" where Enter would be ' +
        'pressed. end: true then closes the input (the program reads end of file). secret: true keeps the ' +
        'text out of every result and listing. To wait for a prompt first, use wait_tasks with until_output.',
      inputSchema: z.object({
        task_id: taskIdArgument,
        text: z
          .string({ error: mustBe('text', 'a string') })
          .max(MAX_INPUT_BYTES, { error: () => `text must be at most ${MAX_INPUT_BYTES} characters` })
          .describe('What to type; "\\n" presses Enter.'),
        end: z
          .boolean({ error: mustBe('end', 'true or false') })
          .optional()
          .describe('Close the input after the text (default false).'),
        secret: z
          .boolean({ error: mustBe('secret', 'true or false') })
          .optional()
          .describe('Never show the text in results or listings (default false).'),
      }),
      outputSchema: z.object({ ...taskRecordShape, ...insightShape }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async ({ task_id, text, end, secret }) => {
      const task = await backburner.sendInput(task_id, text, { end, secret });
      const sent = task.input_sent;
      return {
        structuredContent: { ...task },
        content: [
          {
            type: 'text',
            text: `Sent${end === true ? ' and closed the input' : ''} (${sent?.count ?? 0} inputs, ${sent?.bytes ?? 0} bytes so far): ${describeTask(task)}\nCall wait_tasks with until_output to wait for what it prints next.`,
          },
        ],
      };
    },
  );
}
