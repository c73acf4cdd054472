import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import { type Backburner } from '../../client/backburner.js';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, MAX_WAIT_TASKS } from '../../client/arguments.js';
import { insightShape, mustBe, taskRecordShape } from '../schemas.js';

export function registerWaitTasks(server: McpServer, backburner: Backburner): void {
  server.registerTool(
    'wait_tasks',
    {
      title: 'Wait for background tasks',
      description:
        'Block until any (mode "any", the default) or all (mode "all") of the given tasks have ended, or ' +
        `until timeout_seconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}) runs out. It returns ` +
        'the moment a task ends, with each task status, exit code, summary and the last lines of output. ' +
        'Use it instead of polling task_status in a loop. If it times out, call it again to keep waiting. ' +
        'With until_output (a regex) it also returns as soon as a new line of their output matches — a prompt ' +
        'to answer with send_input, an error, a "listening on" line — with that line, its number and a cursor. ' +
        'mode "ready" waits until tasks started with a ready_pattern are ready (a dev server: start it with ' +
        'ready_pattern, wait_tasks mode "ready", use it, then cancel_task).',
      inputSchema: z.object({
        task_ids: z
          .array(z.string({ error: mustBe('task_ids entries', 'strings') }), {
            error: mustBe('task_ids', 'an array of task ids'),
          })
          .min(1, { error: mustBe('task_ids', 'a non-empty array') })
          .max(MAX_WAIT_TASKS, { error: mustBe('task_ids', `at most ${MAX_WAIT_TASKS} ids`) })
          .describe('The tasks to wait for.'),
        mode: z
          .enum(['any', 'all', 'ready'], { error: mustBe('mode', '"any", "all" or "ready"') })
          .optional()
          .describe(
            '"any" returns when the first task ends (default); "all" when every one has; "ready" when every one is ready (its ready_pattern matched) or one ended without being ready.',
          ),
        until_output: z
          .string({ error: mustBe('until_output', 'a string (a regular expression)') })
          .optional()
          .describe(
            'A JavaScript regular expression: also return as soon as a line of new output (from now, or from since) matches it; a prompt without a newline counts.',
          ),
        since: z
          .string({ error: mustBe('since', 'a string (a next_cursor)') })
          .optional()
          .describe('With until_output and one task: look at output after this cursor instead of from now.'),
        timeout_seconds: z
          .number({ error: mustBe('timeout_seconds', 'a number') })
          .min(0, { error: mustBe('timeout_seconds', 'at least 0') })
          .max(MAX_WAIT_SECONDS, { error: mustBe('timeout_seconds', `at most ${MAX_WAIT_SECONDS}`) })
          .optional()
          .describe(`How long to wait at most (default ${DEFAULT_WAIT_SECONDS}).`),
      }),
      outputSchema: z.object({
        tasks: z.array(
          z.object({
            ...taskRecordShape,
            ...insightShape,
            output_tail: z.string().optional().describe('The last lines of output of an ended task.'),
          }),
        ),
        timed_out: z.boolean().describe('True when time ran out before the tasks ended.'),
        output_match: z
          .object({
            task_id: z.string(),
            line: z.string(),
            line_number: z.number().int(),
            next_cursor: z.string().describe('Pass as since to task_result to read what follows the line.'),
          })
          .optional()
          .describe('With until_output: the line that matched.'),
        output_cursors: z
          .record(z.string(), z.string())
          .optional()
          .describe(
            'With until_output and no match: per task, a since for the next wait, so no line is missed.',
          ),
        waited_seconds: z.number(),
        message: z.string().describe('What happened, and what to call next.'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ task_ids, mode, timeout_seconds, until_output, since }, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      const onProgress =
        token === undefined
          ? undefined
          : (progress: { elapsedSeconds: number; totalSeconds: number; ended: number; of: number }): void => {
              void ctx.mcpReq
                .notify({
                  method: 'notifications/progress',
                  params: {
                    progressToken: token,
                    progress: progress.elapsedSeconds,
                    total: progress.totalSeconds,
                    message: `waiting: ${progress.ended} of ${progress.of} ended`,
                  },
                })
                .catch(() => undefined);
            };
      const result = await backburner.wait(
        task_ids,
        mode ?? 'any',
        timeout_seconds,
        onProgress,
        ctx.mcpReq.signal,
        { until_output, since },
      );
      const lines = result.tasks.map((task) => `${task.task_id}: ${task.summary}`);
      if (result.output_match !== undefined) lines.unshift(`> ${result.output_match.line}`);
      return {
        structuredContent: { ...result },
        content: [{ type: 'text', text: [result.message, ...lines].join('\n') }],
      };
    },
  );
}
