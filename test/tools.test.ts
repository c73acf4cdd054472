import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestHome } from './helpers/home.js';
import { closeSession, connectMcp, openSession, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('the core tools through a real MCP client', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  it('lists the tools with descriptions, output schemas and honest annotations', async () => {
    const { tools } = await mcp.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    assert.deepEqual([...byName.keys()].sort(), [
      'cancel_task',
      'configure_queue',
      'delete_task',
      'list_queues',
      'list_tasks',
      'restart_task',
      'run_command',
      'send_input',
      'start_task',
      'task_result',
      'task_status',
      'wait_tasks',
    ]);
    for (const tool of tools) {
      assert.ok((tool.description ?? '').length > 40, `${tool.name} has a description that teaches`);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an output schema`);
    }
    const start = byName.get('start_task');
    assert.deepEqual(Object.keys(start?.inputSchema.properties ?? {}).sort(), [
      'after',
      'command',
      'cwd',
      'env',
      'label',
      'max_cpu_seconds',
      'max_memory_mb',
      'not_before',
      'queue',
      'ready_pattern',
      'retries',
      'retry_delay_seconds',
      'retry_interrupted',
      'stdin',
      'tags',
      'timeout_seconds',
      'tty',
      'tty_cols',
      'tty_rows',
      'wait_seconds',
    ]);
    assert.deepEqual(start?.inputSchema.required, ['command']);
    assert.equal(start?.annotations?.readOnlyHint, false);
    assert.equal(byName.get('cancel_task')?.annotations?.readOnlyHint, false);
    assert.equal(byName.get('task_status')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('list_queues')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('configure_queue')?.annotations?.readOnlyHint, false);
    assert.equal(byName.get('restart_task')?.annotations?.readOnlyHint, false);
    assert.equal(byName.get('send_input')?.annotations?.readOnlyHint, false);
    // Exact: read-only where nothing changes; destructive only where something is ended or removed.
    const hints = Object.fromEntries(
      tools.map((tool) => [
        tool.name,
        `${tool.annotations?.readOnlyHint === true ? 'read' : 'write'}${tool.annotations?.destructiveHint === true ? ',destructive' : ''}`,
      ]),
    );
    assert.deepEqual(hints, {
      cancel_task: 'write,destructive',
      configure_queue: 'write',
      delete_task: 'write,destructive',
      list_queues: 'read',
      list_tasks: 'read',
      restart_task: 'write',
      run_command: 'write',
      send_input: 'write',
      start_task: 'write',
      task_result: 'read',
      task_status: 'read',
      wait_tasks: 'read',
    });
    for (const tool of tools)
      if (tool.annotations?.readOnlyHint !== true)
        assert.equal(
          typeof tool.annotations?.destructiveHint,
          'boolean',
          `${tool.name} says whether it destroys`,
        );
  });

  it('a failed call says so in its structured result too, with a stable code', async () => {
    const missing = await mcp.call('task_status', { task_id: 'ffff0000' });
    assert.equal(missing.isError, true);
    assert.deepEqual(missing.structuredContent, {
      error: { code: 'TASK_NOT_FOUND', message: "no task with id 'ffff0000'" },
    });
    const bad = await mcp.call('start_task', { command: 'true', queue: 'a b' });
    assert.equal((bad.structuredContent?.error as { code?: string } | undefined)?.code, 'INVALID_ARGUMENT');
  });

  it('runs a command to completion and returns its output with both text and structured content', async () => {
    const started = await mcp.call('start_task', { command: 'echo hello; echo world >&2' });
    assert.equal(started.isError, undefined);
    const task = started.structuredContent as Task;
    assert.match(task.task_id, /^[0-9a-f]{8}$/);
    assert.ok(['working', 'completed'].includes(task.status));
    assert.match(started.content[0]?.text ?? '', new RegExp(task.task_id));
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'completed');
    assert.equal(done.exit_code, 0);
    assert.equal(done.terminated_by, 'exit');
    assert.equal(typeof done.duration_seconds, 'number');
    assert.equal(done.running_for_seconds, undefined);
    assert.match(String(done.ended_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const result = await mcp.call('task_result', { task_id: task.task_id });
    assert.deepEqual(
      { output: result.structuredContent?.output, lines: result.structuredContent?.output_total_lines },
      { output: 'hello\nworld', lines: 2 },
    );
    assert.match(result.content[0]?.text ?? '', /hello\nworld/);
  });

  it('reports a failing command as failed with its exit code', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'echo oops; exit 3' });
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'failed');
    assert.equal(done.exit_code, 3);
  });

  it('reports a command killed by a signal with the signal', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'kill -KILL $$' });
    const done = await ended(mcp, task.task_id);
    assert.equal(done.status, 'failed');
    assert.equal(done.signal, 'SIGKILL');
    assert.equal(done.terminated_by, 'signal');
  });

  it('shows output while the task is still running', async () => {
    const gate = join(home.path, 'gate-peek');
    const task = await mcp.ok<Task>('start_task', {
      command: `echo first; while [ ! -e ${gate} ]; do sleep 0.05; done; echo second`,
    });
    const peek = await waitFor('the first line', async () => {
      const result = await mcp.ok<Task>('task_result', { task_id: task.task_id });
      return result.output === 'first' ? result : undefined;
    });
    assert.equal(peek.status, 'working');
    assert.equal(typeof peek.running_for_seconds, 'number');
    assert.equal(peek.exit_code, undefined);
    writeFileSync(gate, '');
    await ended(mcp, task.task_id);
    assert.equal((await mcp.ok<Task>('task_result', { task_id: task.task_id })).output, 'first\nsecond');
  });

  it('returns the last tail_lines lines and counts them all', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'seq 1 50' });
    await ended(mcp, task.task_id);
    const result = await mcp.ok<Task>('task_result', { task_id: task.task_id, tail_lines: 5 });
    assert.equal(result.output, '46\n47\n48\n49\n50');
    assert.equal(result.output_total_lines, 50);
  });

  it('runs in the given cwd, resolves a relative one, and defaults to the server’s', async () => {
    const dir = join(home.path, 'work dir');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const absolute = await mcp.ok<Task>('start_task', { command: 'pwd', cwd: dir });
    assert.equal(absolute.cwd, dir);
    assert.equal(
      (await ended(mcp, absolute.task_id)) &&
        (await mcp.ok<Task>('task_result', { task_id: absolute.task_id })).output,
      dir,
    );
    const other = await connectMcp(home, { cwd: dir });
    try {
      const relative = await other.ok<Task>('start_task', { command: 'pwd', cwd: 'sub' });
      assert.equal(relative.cwd, join(dir, 'sub'));
      const defaulted = await other.ok<Task>('start_task', { command: 'pwd' });
      assert.equal(defaulted.cwd, dir);
    } finally {
      await other.close();
    }
  });

  it('gives the task its id in the environment and /dev/null as stdin', async () => {
    const task = await mcp.ok<Task>('start_task', {
      command: 'echo "id=$BACKBURNER_TASK_ID"; cat; echo "stdin=$?"',
    });
    await ended(mcp, task.task_id);
    const result = await mcp.ok<Task>('task_result', { task_id: task.task_id });
    assert.equal(result.output, `id=${task.task_id}\nstdin=0`);
  });

  it('times out a task that runs too long, and leaves a fast one completed', async () => {
    const slow = await mcp.ok<Task>('start_task', { command: 'sleep 30', timeout_seconds: 0.5 });
    const fast = await mcp.ok<Task>('start_task', { command: 'true', timeout_seconds: 1 });
    const timedOut = await ended(mcp, slow.task_id);
    assert.equal(timedOut.status, 'timed_out');
    assert.equal(timedOut.terminated_by, 'timeout');
    assert.equal(timedOut.exit_code, undefined);
    assert.equal((await ended(mcp, fast.task_id)).status, 'completed');
    // Past its timeout, the completed task must still be completed.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal((await mcp.ok<Task>('task_status', { task_id: fast.task_id })).status, 'completed');
  });

  it('cancels a running task, and cancelling an ended one changes nothing', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    // Under load the default queue (2 per core) may still be full of earlier tests' tasks for a moment.
    await waitFor(
      'the task to run',
      async () => (await mcp.ok<Task>('task_status', { task_id: task.task_id })).status === 'working',
    );
    const cancelled = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.terminated_by, 'cancel');
    assert.ok((cancelled.processes_ended as number) >= 1);
    const again = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
    assert.equal(again.cancelled, false);
    assert.equal(again.processes_ended, 0);
    assert.equal(again.status, 'cancelled');
    assert.match(String(again.message), /already ended/);
    const finished = await mcp.ok<Task>('start_task', { command: 'exit 4' });
    await ended(mcp, finished.task_id);
    const noop = await mcp.ok<Task>('cancel_task', { task_id: finished.task_id });
    assert.deepEqual([noop.status, noop.exit_code, noop.cancelled], ['failed', 4, false]);
  });

  it('lists tasks newest first, honouring limit', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await mcp.ok<Task>('start_task', { command: `echo ${i}` })).task_id);
    const { tasks } = await mcp.ok<{ tasks: Task[] }>('list_tasks', { limit: 3 });
    assert.deepEqual(
      tasks.map((task) => task.task_id),
      ids.reverse(),
    );
    const all = await mcp.ok<{ tasks: Task[] }>('list_tasks');
    assert.ok(all.tasks.length > 3 && all.tasks.length <= 20);
  });
});
