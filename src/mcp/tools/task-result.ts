import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { type Backburner } from '../../client/backburner.js';
import { MAX_RETRIES } from '../../shared/validate.js';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_MATCHES,
  DEFAULT_TAIL_LINES,
  MAX_CONTEXT_LINES,
  MAX_LINES,
  MAX_MAX_BYTES,
} from '../../client/arguments.js';
import {
  insightShape,
  mustBe,
  outputViewShape,
  positiveInteger,
  taskIdArgument,
  taskRecordShape,
} from '../schemas.js';

export function registerTaskResult(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'task_result',
    {
      title: 'Output of a background task',
      description:
        'The task record plus part of its output (stdout and stderr merged); works while the task runs. ' +
        `By default the last ${DEFAULT_TAIL_LINES} lines, at most ${DEFAULT_MAX_BYTES} bytes. To read only what ` +
        'is new since your last call, pass since=<next_cursor of that call>. To search, pass grep (a regex): ' +
        'matching lines come with their line numbers (N:line, context N-line). head_lines reads from the ' +
        'start. ANSI colours are stripped and progress-bar redraws collapsed unless raw=true.',
      inputSchema: z.object({
        task_id: taskIdArgument,
        tail_lines: positiveInteger('tail_lines', 1, MAX_LINES)
          .optional()
          .describe(`Lines from the end (default ${DEFAULT_TAIL_LINES} when head_lines is not given).`),
        head_lines: positiveInteger('head_lines', 1, MAX_LINES).optional().describe('Lines from the start.'),
        since: z
          .string({ error: mustBe('since', 'a string (a next_cursor)') })
          .optional()
          .describe('The next_cursor of an earlier task_result: returns only output written after it.'),
        grep: z
          .string({ error: mustBe('grep', 'a string (a regular expression)') })
          .optional()
          .describe('A JavaScript regular expression; returns only matching lines (with line numbers).'),
        context_lines: positiveInteger('context_lines', 0, MAX_CONTEXT_LINES)
          .optional()
          .describe('With grep: lines of context before and after each match (default 0).'),
        max_matches: positiveInteger('max_matches', 1, 10_000)
          .optional()
          .describe(`With grep: at most this many matching lines (default ${DEFAULT_MAX_MATCHES}).`),
        max_bytes: positiveInteger('max_bytes', 256, MAX_MAX_BYTES)
          .optional()
          .describe(
            `Cap on the size of output (default ${DEFAULT_MAX_BYTES}); a cut answer says how to read the rest.`,
          ),
        attempt: positiveInteger('attempt', 1, MAX_RETRIES + 1)
          .optional()
          .describe('For a task with retries: which attempt’s output to read (default the last).'),
        raw: z
          .boolean({ error: mustBe('raw', 'true or false') })
          .optional()
          .describe('Keep ANSI escapes and carriage-return redraws as written (default false).'),
      }),
      outputSchema: z.object({ ...taskRecordShape, ...insightShape, ...outputViewShape }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ task_id, ...options }) => {
      const result = await backburner.result(task_id, options);
      const notes = [
        result.truncated,
        result.missed_bytes
          ? `${result.missed_bytes} bytes since your cursor were dropped by the log cap`
          : undefined,
      ]
        .filter((note) => note !== undefined)
        .map((note) => `[${note}]`);
      const text = [
        `${result.task_id}: ${result.summary}`,
        result.output === ''
          ? options.grep !== undefined
            ? '(no matching lines)'
            : '(no output)'
          : result.output,
        ...notes,
      ].join('\n');
      return { structuredContent: { ...result }, content: [{ type: 'text', text }] };
    },
  );
}
