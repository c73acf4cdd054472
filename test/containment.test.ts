import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, connectMcp, openSession, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';

describe('containment: resource limits per task, private files', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  it('a CPU limit is enforced by the kernel, and the record says so', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'while :; do :; done', max_cpu_seconds: 1 });
    assert.equal(task.max_cpu_seconds, 1);
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.signal, done.terminated_by], ['failed', 'SIGXCPU', 'cpu_limit']);
    assert.match(done.reason as string, /CPU time limit of 1s/);
  });

  it('a memory limit makes allocations fail, and the record names the limit', async () => {
    const task = await mcp.ok<Task>('start_task', {
      command: 'python3 -c "x = bytearray(300 * 1024 * 1024)"',
      max_memory_mb: 64,
    });
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.terminated_by], ['failed', 'memory_limit']);
    assert.match(done.reason as string, /limit of 64 MB/);
    const free = await mcp.ok<Task>('start_task', {
      command: 'python3 -c "x = bytearray(300 * 1024 * 1024)"',
      wait_seconds: 20,
    });
    assert.equal(free.status, 'completed', 'without the limit the same command succeeds');
  });

  it('defaults come from the caller’s environment; bad limits are refused by name', async () => {
    const limited = await connectMcp(home, { env: { BACKBURNER_MAX_CPU_SECONDS: '7' } });
    try {
      const task = await limited.ok<Task>('start_task', { command: 'ulimit -t', wait_seconds: 10 });
      assert.equal(task.output, '7');
    } finally {
      await limited.close();
    }
    assert.match(
      await mcp.error('start_task', { command: 'true', max_memory_mb: 0 }),
      /max_memory_mb must be at least 1, got 0/,
    );
    assert.match(
      await mcp.error('start_task', { command: 'true', max_cpu_seconds: 'lots' }),
      /max_cpu_seconds must be a number, got "lots"/,
    );
  });

  it('the home, database, logs, audit log and socket are owner-only', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'echo private', wait_seconds: 10 });
    const mode = (path: string): number => statSync(join(home.path, path)).mode & 0o777;
    assert.equal(mode('.'), 0o700);
    assert.equal(mode('logs'), 0o700);
    assert.equal(mode('jobs.db'), 0o600);
    assert.equal(mode(`logs/${task.task_id}.log`), 0o600);
    assert.equal(mode('daemon.sock'), 0o600);
  });

  it('refuses a home that belongs to another user, saying how to fix it, and keeps serving', async () => {
    const foreign = join(home.path, 'foreign-home');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 65534, 65534);
    const session = await connectMcp(home, { env: { BACKBURNER_HOME: foreign } });
    try {
      const error = await session.error('start_task', { command: 'echo hi' });
      assert.match(
        error,
        /refusing to use .*foreign-home: it belongs to uid 65534, not to you .*choose another BACKBURNER_HOME/,
      );
      assert.match(await session.error('list_tasks'), /belongs to uid 65534/);
    } finally {
      await session.close();
    }
  });

  it('tightens a home of ours that others could write into', async () => {
    const loose = join(home.path, 'loose-home');
    mkdirSync(loose, { mode: 0o777 });
    chmodSync(loose, 0o777);
    const other = await connectMcp(home, { env: { BACKBURNER_HOME: loose } });
    try {
      await other.ok('list_tasks');
      assert.equal(statSync(loose).mode & 0o777, 0o700, 'our own home is tightened to 0700');
    } finally {
      await other.close();
      process.kill(Number.parseInt(readFileSync(join(loose, 'daemon.pid'), 'utf8'), 10), 'SIGTERM');
    }
  });
});
