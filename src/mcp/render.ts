import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Backburner, TaskResult } from '../client/backburner.js';
import { isTerminal, type TaskRecord } from '../shared/task.js';
import { formatSeconds } from '../output/duration.js';

/** One short line per task, for clients that show only the text of a tool result. */
export function describeTask(task: TaskRecord): string {
  const parts = [`task ${task.task_id} ${task.status}`];
  if (task.exit_code !== undefined) parts.push(`exit code ${task.exit_code}`);
  if (task.signal !== undefined) parts.push(`signal ${task.signal}`);
  if (task.running_for_seconds !== undefined)
    parts.push(`running for ${formatSeconds(task.running_for_seconds)}`);
  if (task.duration_seconds !== undefined) parts.push(`after ${formatSeconds(task.duration_seconds)}`);
  let line = `${parts.join(', ')}: ${task.command}`;
  if (task.reason !== undefined && task.status !== 'completed') line += ` (${task.reason})`;
  return line;
}

/** The answer for a task that has ended: its record, summary and output, with the output as the text. */
export function endedTaskAnswer(result: TaskResult): CallToolResult {
  return {
    structuredContent: { ...result },
    content: [
      { type: 'text', text: `${result.summary}\n${result.output === '' ? '(no output)' : result.output}` },
    ],
  };
}

/**
 * Waits up to `waitSeconds` for a task to end and answers with its result, or, if it is still running,
 * with its record and what to call next: a tool call never blocks longer than the caller asked.
 */
export async function answerAfterWaiting(
  backburner: Backburner,
  taskId: string,
  waitSeconds: number,
): Promise<CallToolResult> {
  await backburner.wait([taskId], 'any', waitSeconds);
  const result = await backburner.result(taskId, {});
  if (isTerminal(result.status)) return endedTaskAnswer(result);
  return {
    structuredContent: { ...result },
    content: [
      {
        type: 'text',
        text: `Still running after ${waitSeconds}s: ${describeTask(result)}\nCall wait_tasks(["${taskId}"]) to wait for it, or task_result to peek at its output.`,
      },
    ],
  };
}
