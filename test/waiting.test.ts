import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

interface WaitResult {
  tasks: (Task & { output_tail?: string })[];
  timed_out: boolean;
  waited_seconds: number;
  message: string;
}

describe('waiting: wait_tasks and start_task(wait_seconds)', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));
  const gatedTask = async (name: string, code = 0): Promise<{ id: string; open: () => void }> => {
    const gate = join(home.path, `gate-${name}`);
    const task = await mcp.ok<Task>('start_task', {
      command: `echo begin; ${fixture('exit-after.sh')} ${gate} ${code}`,
    });
    return { id: task.task_id, open: () => writeFileSync(gate, '') };
  };

  it('wakes within 100 ms of a task’s end (median of 5), driven by the daemon’s events', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { id, open } = await gatedTask(`latency-${i}`);
      await waitFor(
        'the task to start',
        async () => (await mcp.ok<Task>('task_result', { task_id: id })).output === 'begin',
      );
      const waiting = mcp.ok<WaitResult>('wait_tasks', { task_ids: [id], timeout_seconds: 30 });
      await new Promise((resolve) => setTimeout(resolve, 150)); // let the wait begin before the end
      open();
      const result = await waiting;
      const returnedAt = Date.now();
      const [task] = result.tasks;
      assert.equal(result.timed_out, false);
      assert.equal(task?.status, 'completed');
      latencies.push(returnedAt - Date.parse(task?.ended_at ?? ''));
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[2] ?? Infinity;
    assert.ok(median < 100, `median wake-up ${median} ms (all: ${latencies.join(', ')})`);
  });

  it('mode "any" returns at the first end, "all" at the last, each with exit code, summary and tail', async () => {
    const first = await gatedTask('any-1', 3);
    const second = await gatedTask('any-2', 0);
    const waitingAny = mcp.ok<WaitResult>('wait_tasks', { task_ids: [first.id, second.id.slice(0, 6)] });
    first.open();
    const any = await waitingAny;
    assert.equal(any.timed_out, false);
    const byId = new Map(any.tasks.map((task) => [task.task_id, task]));
    assert.equal(byId.get(first.id)?.status, 'failed');
    assert.equal(byId.get(first.id)?.exit_code, 3);
    assert.match(
      byId.get(first.id)?.summary ?? '',
      /^failed after .* with exit code 3; last line: finishing with 3$/,
    );
    assert.equal(byId.get(first.id)?.output_tail, 'begin\nfinishing with 3');
    assert.equal(byId.get(second.id)?.status, 'working');
    const waitingAll = mcp.ok<WaitResult>('wait_tasks', { task_ids: [first.id, second.id], mode: 'all' });
    second.open();
    const all = await waitingAll;
    assert.deepEqual(
      all.tasks.map((task) => task.status),
      ['failed', 'completed'],
    );
  });

  it('says when time ran out, and what to call next', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 30' });
    const result = await mcp.ok<WaitResult>('wait_tasks', { task_ids: [task.task_id], timeout_seconds: 0.5 });
    assert.equal(result.timed_out, true);
    assert.equal(result.tasks[0]?.status, 'working');
    assert.match(result.message, /still working.*call wait_tasks again/);
    await mcp.ok('cancel_task', { task_id: task.task_id });
  });

  it('sends progress notifications while it waits, when the client asks for them', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 30' });
    const notes: { progress: number; total?: number; message?: string }[] = [];
    const result = (await mcp.client.callTool(
      { name: 'wait_tasks', arguments: { task_ids: [task.task_id], timeout_seconds: 6 } },
      {
        onprogress: (progress: { progress: number; total?: number; message?: string }) =>
          notes.push(progress),
      },
    )) as { structuredContent?: WaitResult };
    assert.equal(result.structuredContent?.timed_out, true);
    assert.ok(notes.length >= 1, 'at least one progress notification');
    assert.equal(notes[0]?.total, 6);
    assert.match(notes[0]?.message ?? '', /waiting: 0 of 1 ended/);
    await mcp.ok('cancel_task', { task_id: task.task_id });
  });

  it('rejects bad arguments by name', async () => {
    assert.match(await mcp.error('wait_tasks', { task_ids: [] }), /task_ids must be a non-empty array/);
    assert.match(
      await mcp.error('wait_tasks', { task_ids: ['abcd1234'], timeout_seconds: 51 }),
      /timeout_seconds must be at most 50, got 51/,
    );
    assert.match(
      await mcp.error('wait_tasks', { task_ids: ['abcd1234'], mode: 'some' }),
      /mode must be "any", "all" or "ready", got "some"/,
    );
    assert.match(await mcp.error('wait_tasks', { task_ids: ['ffff0000'] }), /no task with id 'ffff0000'/);
  });

  it('start_task with wait_seconds answers a fast command in the same call', async () => {
    const fast = await mcp.ok<Task>('start_task', { command: 'echo quick; exit 2', wait_seconds: 10 });
    assert.deepEqual([fast.status, fast.exit_code, fast.output], ['failed', 2, 'quick']);
    assert.match(fast.summary ?? '', /failed after .* with exit code 2/);
    const slow = await mcp.ok<Task>('start_task', { command: 'sleep 5', wait_seconds: 0.3 });
    assert.equal(slow.status, 'working');
    await mcp.ok('cancel_task', { task_id: slow.task_id });
    assert.match(
      await mcp.error('start_task', { command: 'true', wait_seconds: 60 }),
      /wait_seconds must be at most 50, got 60/,
    );
    await ended(mcp, fast.task_id);
  });
});
