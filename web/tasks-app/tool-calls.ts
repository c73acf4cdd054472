import type { App } from '@modelcontextprotocol/ext-apps';
import type { TaskRow } from '../shared/types.js';

type CallResult = Awaited<ReturnType<App['callServerTool']>>;

/** A tool's answer as the view uses it: the structured part, the text, or what went wrong. */
export interface ToolAnswer {
  structured?: Record<string, unknown>;
  text: string;
  error?: string;
}

/** Which tasks the view follows: what it asks poll_tasks_view, and the named tasks if it names them. */
export interface Scope {
  pollArguments: Record<string, unknown>;
  taskIds?: string[];
}

const VIEW_ARGUMENTS = ['task_ids', 'status', 'queue', 'label', 'limit'];

export function answerOf(result: CallResult): ToolAnswer {
  const text = result.content
    .map((block) => (block.type === 'text' ? block.text : ''))
    .filter((part) => part !== '')
    .join('\n');
  const structured = result.structuredContent as Record<string, unknown> | undefined;
  if (result.isError === true) {
    const error = (structured?.error as { message?: unknown } | undefined)?.message;
    return { text, error: typeof error === 'string' ? error : text };
  }
  return structured === undefined ? { text } : { structured, text };
}

export async function callTool(app: App, name: string, args: Record<string, unknown>): Promise<ToolAnswer> {
  return answerOf(await app.callServerTool({ name, arguments: args }));
}

const named = (taskIds: string[]): Scope => ({ pollArguments: { task_ids: taskIds }, taskIds });

/**
 * What to show for the result the view was opened with: show_tasks' filters (its input), the task
 * start_task or run_command started, or the tasks wait_tasks waited for. A failed call shows the
 * newest tasks, with the failure.
 */
export function scopeOfResult(
  result: CallResult,
  input: Record<string, unknown>,
): { scope: Scope; tasks?: TaskRow[]; problem?: string } {
  const answer = answerOf(result);
  if (answer.error !== undefined) return { scope: { pollArguments: {} }, problem: answer.error };
  const structured = answer.structured ?? {};
  if (typeof structured.task_id === 'string')
    return { scope: named([structured.task_id]), tasks: [structured as unknown as TaskRow] };
  const tasks = structured.tasks;
  if (!Array.isArray(tasks)) return { scope: { pollArguments: {} } };
  const rows = tasks as TaskRow[];
  if (!Array.isArray(structured.queues))
    return { scope: named(rows.map((task) => task.task_id)), tasks: rows };
  const pollArguments = Object.fromEntries(
    Object.entries(input).filter(([name]) => VIEW_ARGUMENTS.includes(name)),
  );
  const taskIds = pollArguments.task_ids;
  return {
    scope: Array.isArray(taskIds) ? { pollArguments, taskIds: taskIds as string[] } : { pollArguments },
    tasks: rows,
  };
}
