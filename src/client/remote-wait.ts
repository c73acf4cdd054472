import { invalidArgument, quote } from '../shared/errors.js';
import { isTerminal, type TaskRecord } from '../shared/task.js';
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_TASKS, validateWaitSeconds } from './arguments.js';
import { parseWaitMode, type WaitResult } from './wait-answer.js';

const LOOK_MS = 250;

/**
 * wait_tasks over tasks of which some run on workers: their records are looked at four times a second
 * until any (or all) have ended. Waking on output or readiness is for local tasks only, for now.
 */
export async function waitAcrossHosts<Details extends TaskRecord>(
  status: (taskId: string) => Promise<Details>,
  args: {
    taskIds: unknown[];
    mode: unknown;
    timeoutSeconds: unknown;
    signal?: AbortSignal;
    until_output?: unknown;
    since?: unknown;
  },
): Promise<WaitResult<Details>> {
  const { taskIds } = args;
  if (taskIds.length === 0 || taskIds.length > MAX_WAIT_TASKS || taskIds.some((id) => typeof id !== 'string'))
    throw invalidArgument(
      `task_ids must be a list of 1 to ${MAX_WAIT_TASKS} task ids, got ${quote(taskIds)}`,
    );
  const mode = parseWaitMode(args.mode);
  if (mode === 'ready' || (args.until_output !== undefined && args.until_output !== null))
    throw invalidArgument(
      'mode "ready" and until_output are not available for tasks on workers yet; wait for their end instead',
    );
  const seconds = validateWaitSeconds('timeout_seconds', args.timeoutSeconds ?? DEFAULT_WAIT_SECONDS);
  const started = Date.now();
  const ids = [...new Set(taskIds as string[])];
  for (;;) {
    const tasks = await Promise.all(ids.map((id) => status(id)));
    const ended = tasks.filter((task) => isTerminal(task.status)).length;
    const done = mode === 'any' ? ended > 0 : ended === tasks.length;
    const waited = Math.round((Date.now() - started) / 100) / 10;
    if (done || waited >= seconds || args.signal?.aborted === true) {
      const message = done
        ? `${ended} of ${tasks.length} ended`
        : `${tasks.length - ended} of ${tasks.length} not ended after ${waited}s; call wait_tasks again with the same task_ids to keep waiting`;
      return { tasks, timed_out: !done, waited_seconds: waited, message };
    }
    await new Promise((resolve) => setTimeout(resolve, LOOK_MS));
  }
}
