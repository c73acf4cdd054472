import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';

interface Page {
  tasks: Task[];
  next_cursor?: string;
}

describe('labels, filters, cursors, id prefixes and secret environment values', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  it('env values reach the task but never a result, listing, record or log of ours', async () => {
    const secret = 'hunter2-very-secret-value';
    const task = await mcp.ok<Task>('start_task', {
      // the command must not contain the value itself: it checks a digest of it instead
      command: 'printf %s "$API_TOKEN" | cksum',
      env: { API_TOKEN: secret },
      label: 'secret-check',
      wait_seconds: 10,
    });
    assert.equal(task.output, '4190216623 25');
    const everything = JSON.stringify([
      task,
      await mcp.call('task_status', { task_id: task.task_id }),
      await mcp.call('task_result', { task_id: task.task_id }),
      await mcp.call('list_tasks', { limit: 100 }),
      await mcp.call('wait_tasks', { task_ids: [task.task_id] }),
    ]);
    assert.equal(everything.includes(secret), false);
    for (const name of readdirSync(home.path)) {
      if (name === 'logs' || name.endsWith('.sock')) continue;
      // A waiting task's environment is kept here, and removed the moment it starts.
      if (name === 'pending-env') {
        assert.deepEqual(
          readdirSync(join(home.path, name)),
          [],
          'a started task left its environment behind',
        );
        continue;
      }
      assert.equal(readFileSync(join(home.path, name)).includes(secret), false, `${name} holds the secret`);
    }
    assert.match(
      await mcp.error('start_task', { command: 'true', env: { 'BAD-NAME': 'x' } }),
      /env variable name "BAD-NAME" is not a valid name/,
    );
  });

  it('filters by status, label, cwd and since, and pages with a cursor', async () => {
    const dir = join(home.path, 'project');
    mkdirSync(dir);
    const labelled: string[] = [];
    for (let i = 0; i < 5; i++) {
      labelled.push(
        (await mcp.ok<Task>('start_task', { command: `echo ${i}`, label: 'batch', cwd: dir })).task_id,
      );
    }
    const failing = await mcp.ok<Task>('start_task', { command: 'exit 1', label: 'other' });
    for (const id of [...labelled, failing.task_id]) await ended(mcp, id);

    const byLabel = await mcp.ok<Page>('list_tasks', { label: 'batch' });
    assert.deepEqual(
      byLabel.tasks.map((task) => task.task_id),
      [...labelled].reverse(),
    );
    assert.ok(byLabel.tasks.every((task) => task.label === 'batch'));
    const failed = await mcp.ok<Page>('list_tasks', { status: 'failed' });
    assert.deepEqual(
      failed.tasks.map((task) => task.task_id),
      [failing.task_id],
    );
    const both = await mcp.ok<Page>('list_tasks', { status: ['failed', 'completed'], cwd: dir });
    assert.equal(both.tasks.length, 5);
    assert.equal((await mcp.ok<Page>('list_tasks', { since: '1h' })).tasks.length >= 6, true);
    assert.equal((await mcp.ok<Page>('list_tasks', { since: '2999-01-01T00:00:00Z' })).tasks.length, 0);

    const first = await mcp.ok<Page>('list_tasks', { label: 'batch', limit: 2 });
    assert.equal(first.tasks.length, 2);
    assert.ok(first.next_cursor !== undefined);
    const second = await mcp.ok<Page>('list_tasks', { label: 'batch', limit: 2, cursor: first.next_cursor });
    const third = await mcp.ok<Page>('list_tasks', { label: 'batch', limit: 2, cursor: second.next_cursor });
    assert.equal(third.next_cursor, undefined);
    assert.deepEqual(
      [...first.tasks, ...second.tasks, ...third.tasks].map((task) => task.task_id),
      [...labelled].reverse(),
    );
    assert.match(await mcp.error('list_tasks', { status: 'done' }), /status must be/);
    assert.match(
      await mcp.error('list_tasks', { since: 'yesterday' }),
      /since must be an ISO 8601 time .* got "yesterday"/,
    );
    assert.match(
      await mcp.error('list_tasks', { cursor: 'zzz' }),
      /cursor must be a next_cursor value returned by list_tasks, got "zzz"/,
    );
  });

  it('any unique prefix of 4+ characters names a task; an ambiguous one lists the candidates', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'echo prefix' });
    await ended(mcp, task.task_id);
    const viaPrefix = await mcp.ok<Task>('task_status', { task_id: task.task_id.slice(0, 4).toUpperCase() });
    assert.equal(viaPrefix.task_id, task.task_id);
    // A second task sharing the first 6 characters, written into the store as a past task.
    const twin = `${task.task_id.slice(0, 6)}${task.task_id.endsWith('00') ? 'ff' : '00'}`;
    const db = new Database(join(home.path, 'jobs.db'));
    db.prepare(
      `INSERT INTO tasks (id, command, cwd, status, created_at, marker, reaped) VALUES (?, 'echo twin', '/', 'completed', 0, 'm', 1)`,
    ).run(twin);
    db.close();
    const error = await mcp.error('task_status', { task_id: task.task_id.slice(0, 6) });
    assert.match(error, new RegExp(`prefix '${task.task_id.slice(0, 6)}' is ambiguous: it matches 2 tasks`));
    assert.match(error, new RegExp(task.task_id));
    assert.match(error, new RegExp(twin));
    assert.match(await mcp.error('task_status', { task_id: 'abc' }), /no task with id "abc"/);
  });
});
