import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { DEFAULT_TAIL_LINES, MAX_TAIL_LINES, type Backburner } from '../../client/backburner.js';
import { describeTask } from '../render.js';
import { mustBe, taskIdArgument, taskRecordShape } from '../schemas.js';

export function registerTaskResult(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'task_result',
    {
      title: 'Output of a background task',
      description:
        'The task record plus the last lines of its output (stdout and stderr merged). Works while the ' +
        'task is still running, to peek at progress. output_total_lines tells how long the whole log is.',
      inputSchema: z.object({
        task_id: taskIdArgument,
        tail_lines: z
          .number({ error: mustBe('tail_lines', 'a number') })
          .int({ error: mustBe('tail_lines', 'an integer') })
          .min(1, { error: mustBe('tail_lines', 'at least 1') })
          .max(MAX_TAIL_LINES, { error: mustBe('tail_lines', `at most ${MAX_TAIL_LINES}`) })
          .optional()
          .describe(`How many lines from the end of the output to return (default ${DEFAULT_TAIL_LINES}).`),
      }),
      outputSchema: z.object({
        ...taskRecordShape,
        output: z.string().describe('The last tail_lines lines of the output.'),
        output_total_lines: z.number().int().describe('Lines in the whole output.'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ task_id, tail_lines }) => {
      const result = await backburner.result(task_id, tail_lines);
      const shown = result.output === '' ? 0 : result.output.split('\n').length;
      const header = `${describeTask(result)}\n--- last ${shown} of ${result.output_total_lines} lines ---`;
      return {
        structuredContent: { ...result },
        content: [
          {
            type: 'text',
            text: result.output === '' ? `${header}\n(no output yet)` : `${header}\n${result.output}`,
          },
        ],
      };
    },
  );
}
