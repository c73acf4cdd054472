import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('progress, ETA and summaries through task_status', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  it('reports the latest n/m counter of a working task', async () => {
    const gate = join(home.path, 'gate-progress');
    const task = await mcp.ok<Task>('start_task', {
      command: `echo "[1/8] compiling"; echo "[3/8] linking"; ${fixture('exit-after.sh')} ${gate} 0`,
    });
    const status = await waitFor('progress', async () => {
      const current = await mcp.ok<Task>('task_status', { task_id: task.task_id });
      return current.progress !== undefined ? current : undefined;
    });
    assert.equal(status.progress?.current, 3);
    assert.equal(status.progress?.total, 8);
    assert.equal(status.progress?.percent, 37.5);
    assert.match(status.summary ?? '', /^working for .*; last line: \[3\/8\] linking$/);
    writeFileSync(gate, '');
    const done = await ended(mcp, task.task_id);
    assert.equal(done.progress, undefined, 'no progress once ended');
    assert.match(done.summary ?? '', /^completed in .*; last line: finishing with 0$/);
  });

  it('estimates the duration and the time left from earlier runs of the same command', async () => {
    const command = 'sleep 0.6; echo run';
    for (let i = 0; i < 2; i++) {
      const run = await mcp.ok<Task>('start_task', { command, wait_seconds: 20 });
      assert.equal(run.status, 'completed');
    }
    const third = await mcp.ok<Task>('start_task', { command });
    const status = await mcp.ok<Task>('task_status', { task_id: third.task_id });
    assert.equal(status.status, 'working');
    assert.ok(status.typical_duration_seconds !== undefined && status.typical_duration_seconds >= 0.6);
    assert.ok(status.typical_duration_seconds < 5);
    assert.ok(status.eta_seconds !== undefined && status.eta_seconds <= status.typical_duration_seconds);
    await ended(mcp, third.task_id);
  });
});
