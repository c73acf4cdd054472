import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';

describe('defects found from outside, each pinned', () => {
  let home: TestHome;
  let mcp: McpSession;
  const token = 'a-token-that-tasks-must-not-see-0123456789';
  before(async () => {
    home = makeHome();
    mcp = await connectMcp(home, { env: { BACKBURNER_TOKEN: token, SOME_USER_SETTING: 'kept' } });
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it("a task gets the caller's environment without backburner's own token", async () => {
    const task = await mcp.ok<Task>('start_task', {
      command: 'echo "token=${BACKBURNER_TOKEN:-none} setting=$SOME_USER_SETTING"',
      wait_seconds: 20,
    });
    assert.equal(task.output, 'token=none setting=kept');
  });

  it('wait_tasks on a task deleted while it waits answers with an error naming it, and the server goes on', async () => {
    const running = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    const done = await mcp.ok<Task>('start_task', { command: 'true' });
    await ended(mcp, done.task_id);
    const waiting = mcp.call('wait_tasks', {
      task_ids: [running.task_id, done.task_id],
      mode: 'all',
      timeout_seconds: 2,
    });
    await mcp.ok('delete_task', { task_id: done.task_id });
    const answer = await waiting;
    assert.equal(answer.isError, true);
    assert.match(answer.content[0]?.text ?? '', new RegExp(done.task_id));
    await mcp.ok('cancel_task', { task_id: running.task_id });
    assert.equal((await mcp.ok<Task>('task_status', { task_id: running.task_id })).status, 'cancelled');
  });
});
