import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('bounded disk: home quota, retention, delete_task', () => {
  let home: TestHome | undefined;
  let mcp: McpSession | undefined;
  afterEach(async () => {
    await mcp?.close();
    await home?.cleanup();
  });
  const open = async (env: Record<string, string> = {}): Promise<McpSession> => {
    home = makeHome(env);
    mcp = await connectMcp(home);
    return mcp;
  };
  const logOf = (id: string): string => join(home?.path ?? '', 'logs', `${id}.log`);

  it('over the home quota, the oldest ended logs go first and the records say so', async () => {
    const session = await open({ BACKBURNER_MAX_HOME_BYTES: '350K' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      // 100 KiB of output each
      const task = await session.ok<Task>('start_task', {
        command: 'head -c 102400 /dev/zero | tr "\\0" "a"',
      });
      await ended(session, task.task_id);
      ids.push(task.task_id);
    }
    const [oldest, second, third, newest] = ids as [string, string, string, string];
    await waitFor('the oldest log to be removed', () => !existsSync(logOf(oldest)));
    assert.equal(existsSync(logOf(third)), true);
    assert.equal(existsSync(logOf(newest)), true);
    assert.equal(existsSync(logOf(second)), true, 'only as many as needed are removed');
    const record = await session.ok<Task>('task_result', { task_id: oldest });
    assert.equal(record.log_removed, true);
    assert.equal(record.status, 'completed', 'the record stays');
    assert.match(record.output ?? '', /removed by the retention policy or the home quota/);
  });

  it('tasks that ended longer ago than the retention period are deleted', async () => {
    const session = await open({ BACKBURNER_RETENTION_DAYS: '0.00002' }); // about 1.7 seconds
    const old = await session.ok<Task>('start_task', { command: 'echo old' });
    await ended(session, old.task_id);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let it age past the retention period
    const fresh = await session.ok<Task>('start_task', { command: 'echo fresh' });
    await ended(session, fresh.task_id); // an end triggers a sweep
    await waitFor(
      'the old task to be gone',
      async () => (await session.call('task_status', { task_id: old.task_id })).isError === true,
    );
    assert.match(await session.error('task_status', { task_id: old.task_id }), /no task with id/);
    assert.equal(existsSync(logOf(old.task_id)), false);
    assert.equal((await session.ok<Task>('task_status', { task_id: fresh.task_id })).status, 'completed');
  });

  it('delete_task removes an ended task and refuses a running one', async () => {
    const session = await open();
    const done = await session.ok<Task>('start_task', { command: 'echo bye' });
    await ended(session, done.task_id);
    assert.deepEqual(await session.ok('delete_task', { task_id: done.task_id }), {
      task_id: done.task_id,
      deleted: true,
    });
    assert.equal(existsSync(logOf(done.task_id)), false);
    assert.match(await session.error('task_status', { task_id: done.task_id }), /no task with id/);
    const running = await session.ok<Task>('start_task', { command: 'sleep 30' });
    assert.match(
      await session.error('delete_task', { task_id: running.task_id }),
      /still working: cancel it first/,
    );
    assert.equal((await session.ok<Task>('task_status', { task_id: running.task_id })).status, 'working');
    await session.ok('cancel_task', { task_id: running.task_id });
    assert.equal(
      (await session.ok<{ deleted: boolean }>('delete_task', { task_id: running.task_id })).deleted,
      true,
    );
  });
});
