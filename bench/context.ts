/**
 * What a tool result costs an agent's context: the bytes of `structuredContent` (what Claude Code and
 * Codex hand the model) for typical calls. Absolute figures: the baseline is the size of the output
 * itself where there is output, else none.
 */
import { rmSync } from 'node:fs';
import { add, connect, makeHome, stopDaemon, type Session, type Task } from './harness.js';

async function structuredBytes(
  session: Session,
  name: string,
  args: Record<string, unknown>,
): Promise<number> {
  const result = (await session.client.callTool({ name, arguments: args })) as {
    structuredContent?: unknown;
  };
  return Buffer.byteLength(JSON.stringify(result.structuredContent ?? null));
}

export async function contextSizes(): Promise<void> {
  const home = makeHome();
  const session = await connect(home.env);
  const rows: [string, number, number | undefined, number][] = [];
  rows.push([
    'start_task (a task that keeps running)',
    await structuredBytes(session, 'start_task', { command: 'sleep 1' }),
    undefined,
    400,
  ]);
  const done = await session.call<Task>('start_task', { command: 'seq 1 100', wait_seconds: 10 });
  const outputBytes = Buffer.byteLength(String(done.output ?? ''));
  rows.push([
    'task_result of a finished task, 100 lines of output',
    await structuredBytes(session, 'task_result', { task_id: done.task_id }),
    outputBytes,
    outputBytes + 600,
  ]);
  rows.push([
    'task_status of a finished task',
    await structuredBytes(session, 'task_status', { task_id: done.task_id }),
    undefined,
    400,
  ]);
  rows.push([
    'wait_tasks, one task ended',
    await structuredBytes(session, 'wait_tasks', { task_ids: [done.task_id] }),
    undefined,
    600,
  ]);
  for (let i = 0; i < 50; i++) await session.call('start_task', { command: 'true', wait_seconds: 10 });
  rows.push([
    'list_tasks, 50 ended tasks',
    await structuredBytes(session, 'list_tasks', { limit: 50 }),
    undefined,
    50 * 300,
  ]);
  rows.push([
    'an error (unknown task id)',
    await structuredBytes(session, 'task_status', { task_id: 'ffff0000' }),
    undefined,
    200,
  ]);
  for (const [scenario, bytes, baseline, limit] of rows) {
    add(
      {
        scenario: `structuredContent: ${scenario}`,
        measured: 'bytes of JSON',
        value: bytes,
        unit: 'B',
        ...(baseline === undefined ? {} : { baseline, ratio: Math.round((bytes / baseline) * 100) / 100 }),
        target: `≤ ${limit} B${baseline === undefined ? ' (absolute)' : ' (the output itself + 600 B)'}`,
      },
      bytes <= limit,
    );
  }
  await session.client.close();
  stopDaemon(home.path);
  rmSync(home.path, { recursive: true, force: true });
}
