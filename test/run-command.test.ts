import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';

describe('run_command for a client without the tasks extension', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  it('answers a fast command with its exit code, summary and output', async () => {
    const result = await mcp.call('run_command', { command: 'echo hello; echo oops >&2; exit 3' });
    assert.equal(result.isError, undefined);
    const task = result.structuredContent as Task;
    assert.equal(task.status, 'failed');
    assert.equal(task.exit_code, 3);
    assert.equal(task.output, 'hello\noops');
    assert.match(String(task.summary), /exit code 3/);
    assert.match(result.content[0]?.text ?? '', /hello\noops/);
  });

  it('hands back a task id, not a blocked call, when the command outlasts the wait', async () => {
    const flag = join(home.path, 'finish');
    const result = await mcp.call('run_command', {
      command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo late`,
      wait_seconds: 1,
    });
    const task = result.structuredContent as Task;
    assert.equal(task.status, 'working');
    assert.match(result.content[0]?.text ?? '', new RegExp(`wait_tasks\\(\\["${task.task_id}"\\]\\)`));
    // An ordinary task: the plain tools and the CLI see it.
    const listed = await mcp.ok<{ tasks: Task[] }>('list_tasks', { status: 'working' });
    assert.ok(listed.tasks.some((t) => t.task_id === task.task_id));
    assert.equal(JSON.parse(home.cli(['status', task.task_id, '--json']).stdout).status, 'working');
    writeFileSync(flag, '');
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'completed');
    assert.equal((await mcp.ok<Task>('task_result', { task_id: task.task_id })).output, 'late');
  });

  it('refuses what start_task refuses, naming the value', async () => {
    assert.match(await mcp.error('run_command', { command: 'true', cwd: '/no/such/dir' }), /\/no\/such\/dir/);
    assert.match(
      await mcp.error('run_command', { command: 'true', wait_seconds: 51 }),
      /wait_seconds must be at most 50, got 51/,
    );
  });
});
