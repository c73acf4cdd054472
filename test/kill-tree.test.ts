import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { isRunning, readPid } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('ending tasks: the whole tree, and exactly one outcome', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  const output = async (id: string): Promise<string> =>
    (await mcp.ok<Task>('task_result', { task_id: id })).output ?? '';

  it('a process that ignores SIGTERM is killed after the grace period', async () => {
    const pidFile = join(home.path, 'stubborn.pid');
    const task = await mcp.ok<Task>('start_task', { command: `${fixture('ignore-term.sh')} ${pidFile}` });
    await waitFor('the fixture to be ready', async () => (await output(task.task_id)) === 'ready');
    const stubborn = readPid(pidFile);
    const cancelled = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(isRunning(stubborn), false, 'the SIGTERM-ignoring process is gone when cancel returns');
    // the inner shell, the fixture and its sleep
    assert.ok((cancelled.processes_ended ?? 0) >= 2, `processes_ended = ${cancelled.processes_ended}`);
  });

  it('a grandchild that left the process group (setsid) is found by its marker and killed', async () => {
    const pidFile = join(home.path, 'grandchild.pid');
    const task = await mcp.ok<Task>('start_task', {
      command: `${fixture('detached-grandchild.sh')} ${pidFile}`,
    });
    const grandchild = await waitFor('the grandchild pid', () => {
      try {
        return readPid(pidFile) || undefined;
      } catch {
        return undefined;
      }
    });
    assert.ok(isRunning(grandchild));
    const cancelled = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
    assert.equal(isRunning(grandchild), false, 'the detached grandchild is gone');
    assert.ok((cancelled.processes_ended ?? 0) >= 3, `processes_ended = ${cancelled.processes_ended}`);
  });

  it('processes a completed command left behind are ended too', async () => {
    const pidFile = join(home.path, 'leftover.pid');
    const task = await mcp.ok<Task>('start_task', {
      command: `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' & while [ ! -s ${pidFile} ]; do sleep 0.02; done; echo done`,
    });
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.exit_code], ['completed', 0]);
    const leftover = readPid(pidFile);
    await waitFor('the leftover process to be ended', () => !isRunning(leftover));
    const record = await waitFor('the record to count it', async () => {
      const status = await mcp.ok<Task>('task_status', { task_id: task.task_id });
      return status.leftovers_ended !== undefined ? status : undefined;
    });
    assert.equal(record.leftovers_ended, 1);
  });

  it('a cancel racing a natural exit resolves to one outcome that never changes', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const task = await mcp.ok<Task>('start_task', { command: `sleep 0.${String(i % 4)}${i}` });
        await new Promise((resolve) => setTimeout(resolve, (i % 4) * 100));
        const cancel = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
        return { id: task.task_id, cancel };
      }),
    );
    for (const { id, cancel } of outcomes) {
      const final = await ended(mcp, id);
      if (cancel.cancelled) assert.equal(final.status, 'cancelled');
      else assert.equal(final.status, 'completed');
      assert.equal(cancel.status, final.status, 'cancel_task reported the outcome that stuck');
    }
  });

  it('a timeout racing a cancel resolves to one outcome', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const task = await mcp.ok<Task>('start_task', { command: 'sleep 30', timeout_seconds: 0.3 });
        await new Promise((resolve) => setTimeout(resolve, 250 + i * 15));
        return { id: task.task_id, cancel: await mcp.ok<Task>('cancel_task', { task_id: task.task_id }) };
      }),
    );
    for (const { id, cancel } of outcomes) {
      const final = await ended(mcp, id);
      assert.ok(['cancelled', 'timed_out'].includes(final.status), final.status);
      assert.equal(final.status, cancel.cancelled ? 'cancelled' : 'timed_out');
      assert.equal(cancel.status, final.status);
    }
  });
});
