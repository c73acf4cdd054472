import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { daemonsFor, isRunning, pidsWithEnv } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('failure model: tasks outlive the processes around them', () => {
  let home: TestHome;
  let sessions: McpSession[];

  beforeEach(() => {
    home = makeHome();
    sessions = [];
  });
  afterEach(async () => {
    for (const session of sessions) await session.close().catch(() => undefined);
    await home.cleanup();
  });

  const connect = async (): Promise<McpSession> => {
    const session = await connectMcp(home);
    sessions.push(session);
    return session;
  };
  const gated = (name: string, code: number): { gate: string; command: string } => {
    const gate = join(home.path, `gate-${name}`);
    return { gate, command: `seq 1 1000; ${fixture('exit-after.sh')} ${gate} ${code}` };
  };
  const killDaemon = async (): Promise<void> => {
    const pid = home.daemonPid();
    assert.ok(pid !== undefined && isRunning(pid), 'a daemon runs');
    process.kill(pid, 'SIGKILL');
    await waitFor('the daemon to die', () => !isRunning(pid));
  };

  it('kill -9 of the MCP server: the task finishes and a new server reports its true exit code and full output', async () => {
    const first = await connect();
    const { gate, command } = gated('server', 7);
    const task = await first.ok<Task>('start_task', { command });
    process.kill(first.pid, 'SIGKILL');
    await waitFor('the server to die', () => !isRunning(first.pid));
    writeFileSync(gate, '');
    const second = await connect();
    const done = await ended(second, task.task_id);
    assert.deepEqual([done.status, done.exit_code, done.terminated_by], ['failed', 7, 'exit']);
    const result = await second.ok<Task>('task_result', { task_id: task.task_id, tail_lines: 2 });
    assert.equal(result.output, '1000\nfinishing with 7');
    assert.equal(result.output_total_lines, 1001);
  });

  it('kill -9 of the daemon: a task that ends while no daemon runs gets its true outcome', async () => {
    const mcp = await connect();
    const { gate, command } = gated('dead-daemon', 0);
    const task = await mcp.ok<Task>('start_task', { command });
    await killDaemon();
    writeFileSync(gate, '');
    await waitFor('the task to exit', () => task.pid !== undefined && !isRunning(task.pid));
    const done = await ended(mcp, task.task_id); // this read restarts the daemon, which recovers
    assert.deepEqual([done.status, done.exit_code], ['completed', 0]);
    assert.equal((await mcp.ok<Task>('task_result', { task_id: task.task_id })).output_total_lines, 1001);
  });

  it('a task that ended while no daemon ran keeps the time it really ended, not the time it was found', async () => {
    const mcp = await connect();
    const { gate, command } = gated('ended-at', 0);
    const task = await mcp.ok<Task>('start_task', { command });
    await mcp.close(); // no server left to restart the daemon at once
    await killDaemon();
    writeFileSync(gate, '');
    const statusFile = join(home.path, 'logs', `${task.task_id}.exit`);
    await waitFor('the exit status to be written', () => existsSync(statusFile));
    const endedAt = statSync(statusFile).mtimeMs;
    await waitFor('a second to pass', () => Date.now() - endedAt > 1500);
    const found = home.cli(['status', task.task_id, '--json']); // starts a daemon, which recovers the task
    assert.equal(found.code, 0, found.stderr);
    const record = JSON.parse(found.stdout) as Task;
    assert.equal(record.status, 'completed');
    const recorded = Date.parse(String(record.ended_at));
    assert.ok(
      Math.abs(recorded - endedAt) < 50,
      `ended_at ${record.ended_at} is the exit, ${new Date(endedAt).toISOString()}`,
    );
  });

  it('kill -9 of the daemon: a task still running is adopted and supervised to its true end', async () => {
    const mcp = await connect();
    const { gate, command } = gated('adopted', 9);
    const task = await mcp.ok<Task>('start_task', { command });
    await killDaemon();
    // A new daemon starts on the next call and finds the task alive (same pid, same start time).
    assert.equal((await mcp.ok<Task>('task_status', { task_id: task.task_id })).status, 'working');
    const newDaemon = home.daemonPid();
    assert.ok(newDaemon !== undefined && isRunning(newDaemon));
    writeFileSync(gate, '');
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.exit_code], ['failed', 9]);
  });

  it('kill -9 of the daemon: a timeout is still enforced by the next daemon', async () => {
    const mcp = await connect();
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60', timeout_seconds: 2 });
    await killDaemon();
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'timed_out');
    await waitFor('the sleep to be gone', () => !isRunning(task.pid as number));
  });

  it('supervision lost (wrapper killed while no daemon runs): interrupted with a reason, no process left', async () => {
    const mcp = await connect();
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    const marker = await waitFor('the task marker', () => markerOf(task.task_id));
    await killDaemon();
    process.kill(task.pid as number, 'SIGKILL'); // the wrapper: the exit status can no longer be known
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'interrupted');
    assert.equal(done.terminated_by, 'supervisor_lost');
    assert.match(done.reason ?? '', /exit status/);
    assert.equal(done.exit_code, undefined);
    await waitFor(
      'no process of the task to remain',
      () => pidsWithEnv('BACKBURNER_TASK_MARKER', marker).length === 0,
    );
  });

  it('a reused pid is not mistaken for the task: the start time must match too', async () => {
    const mcp = await connect();
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    await killDaemon();
    // Pretend the recorded process was another one that happened to get the same pid.
    withDb((db) => db.prepare('UPDATE tasks SET pid_start_time = ? WHERE id = ?').run('1', task.task_id));
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'interrupted', 'never completed on the word of a reused pid');
    assert.notEqual(done.status, 'completed');
  });

  it('a task whose daemon died while starting it is interrupted, and its processes found by marker', async () => {
    const mcp = await connect();
    await mcp.ok('list_tasks'); // a daemon and a schema
    await killDaemon();
    // What a daemon killed between spawning a task and recording its pid leaves: a queued row, and a
    // process carrying the task's marker that no record names.
    const marker = 'f00dfeedf00dfeedf00dfeedf00dfeed';
    withDb((db) =>
      db
        .prepare(
          `INSERT INTO tasks (id, command, cwd, status, created_at, marker) VALUES ('abcdef01', 'sleep 60', '/', 'queued', ?, ?)`,
        )
        .run(Date.now(), marker),
    );
    const orphan = spawn('sleep', ['60'], {
      env: { ...process.env, BACKBURNER_TASK_MARKER: marker },
      detached: true,
      stdio: 'ignore',
    });
    orphan.unref();
    const done = await ended(mcp, 'abcdef01');
    assert.deepEqual([done.status, done.terminated_by], ['interrupted', 'supervisor_lost']);
    await waitFor('the orphan to be ended', () => !isRunning(orphan.pid as number));
  });

  it('a reboot since the task started makes it interrupted at once', async () => {
    const mcp = await connect();
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    const marker = await waitFor('the task marker', () => markerOf(task.task_id));
    await killDaemon();
    withDb((db) => db.prepare('UPDATE tasks SET boot_id = ? WHERE id = ?').run('another-boot', task.task_id));
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.terminated_by], ['interrupted', 'reboot']);
    for (const pid of pidsWithEnv('BACKBURNER_TASK_MARKER', marker)) process.kill(pid, 'SIGKILL'); // no real reboot here
  });

  it('several servers and CLIs on one home: one daemon, every row kept, no SQLITE_BUSY', async () => {
    const servers = await Promise.all([connect(), connect(), connect()]);
    const perServer = 8;
    const started = await Promise.all(
      servers.flatMap((mcp, s) =>
        Array.from({ length: perServer }, (_, i) => mcp.call('start_task', { command: `echo s${s}-t${i}` })),
      ),
    );
    for (const result of started) assert.equal(result.isError, undefined, JSON.stringify(result.content));
    const cliRuns = [home.cli(['ls', '--json', '--limit', '1000']), home.cli(['ls'])];
    for (const run of cliRuns) assert.equal(run.code, 0, run.stderr);
    const daemons = daemonsFor(home.path);
    assert.equal(daemons.length, 1, `exactly one daemon, found ${daemons.join(', ')}`);
    const [first, second] = servers;
    assert.ok(first !== undefined && second !== undefined);
    const { tasks } = await first.ok<{ tasks: Task[] }>('list_tasks', { limit: 1000 });
    assert.equal(tasks.length, servers.length * perServer);
    for (const task of tasks) {
      const done = await ended(second, task.task_id);
      assert.equal(done.status, 'completed');
    }
  });

  function withDb<T>(action: (db: Database.Database) => T): T {
    const db = new Database(join(home.path, 'jobs.db'));
    try {
      db.pragma('busy_timeout = 5000');
      return action(db);
    } finally {
      db.close();
    }
  }

  function markerOf(id: string): string | undefined {
    if (!existsSync(join(home.path, 'jobs.db'))) return undefined;
    return withDb(
      (db) =>
        (db.prepare('SELECT marker FROM tasks WHERE id = ?').get(id) as { marker: string } | undefined)
          ?.marker,
    );
  }
});
