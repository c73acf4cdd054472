import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { isRunning, liveTaskIds } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

interface Queue {
  name: string;
  max_parallel: number;
  paused: boolean;
  max_parallel_from: string;
  running: number;
  waiting: number;
}

interface Attempt {
  attempt: number;
  status?: string;
  exit_code?: number;
  started_at?: string;
  ended_at?: string;
}

const LIMIT = { timeout: 120_000 };

describe('scheduling: queues, dependencies, retries, delayed starts, restarts', LIMIT, () => {
  let home: TestHome;
  let mcp: McpSession;

  beforeEach(async () => {
    home = makeHome();
    mcp = await connectMcp(home);
  });
  afterEach(async () => {
    await mcp.close().catch(() => undefined);
    await home.cleanup();
  });

  const gate = (name: string): { path: string; open: () => void; command: (code?: number) => string } => {
    const path = join(home.path, `gate-${name}`);
    return {
      path,
      open: () => writeFileSync(path, ''),
      command: (code = 0) => `${fixture('exit-after.sh')} ${path} ${code}`,
    };
  };
  const status = (id: string): Promise<Task> => mcp.ok<Task>('task_status', { task_id: id });
  const queues = async (): Promise<Queue[]> => (await mcp.ok<{ queues: Queue[] }>('list_queues')).queues;

  it('a queue never runs more than its limit: counted in /proc, not in the records', async () => {
    await mcp.ok('configure_queue', { queue: 'shards', max_parallel: 2 });
    const { open, command } = gate('shards');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push((await mcp.ok<Task>('start_task', { command: command(), queue: 'shards' })).task_id);
    let most = 0;
    const sample = (): number => {
      const live = [...liveTaskIds(home.path)].filter((id) => ids.includes(id)).length;
      most = Math.max(most, live);
      return live;
    };
    await waitFor('two shards to run', () => sample() === 2);
    const waiting = await status(ids[5] as string);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.queue_position, 4);
    assert.deepEqual(waiting.waiting_for, ["a free slot in queue 'shards' (2 of 2 running)"]);
    const listed = (await queues()).find((queue) => queue.name === 'shards');
    assert.deepEqual(listed, {
      name: 'shards',
      max_parallel: 2,
      paused: false,
      max_parallel_from: 'configured',
      running: 2,
      waiting: 4,
    });
    open();
    await waitFor('every shard to end', async () => {
      sample();
      const tasks = await Promise.all(ids.map(status));
      return tasks.every((task) => task.status === 'completed');
    });
    assert.equal(most, 2, 'at most two shards ran at once, and two did');
  });

  it('a paused queue starts nothing until it is resumed; running tasks go on', async () => {
    const { open, command } = gate('paused');
    const running = await mcp.ok<Task>('start_task', { command: command(), queue: 'nightly' });
    await mcp.ok('configure_queue', { queue: 'nightly', paused: true, max_parallel: 5 });
    const held: string[] = [];
    for (let i = 0; i < 2; i++)
      held.push((await mcp.ok<Task>('start_task', { command: 'echo held', queue: 'nightly' })).task_id);
    // Another queue's task runs to its end: the scheduler has looked at the paused queue since.
    const other = await mcp.ok<Task>('start_task', { command: 'echo other', wait_seconds: 20 });
    assert.equal(other.status, 'completed');
    for (const id of held) {
      const task = await status(id);
      assert.equal(task.status, 'queued');
      assert.deepEqual(task.waiting_for, ["queue 'nightly' to be resumed (it is paused)"]);
    }
    assert.deepEqual(
      [...liveTaskIds(home.path)].filter((id) => held.includes(id)),
      [],
    );
    assert.equal((await status(running.task_id)).status, 'working');
    const wait = await mcp.ok<{ message: string; timed_out: boolean }>('wait_tasks', {
      task_ids: [...held, running.task_id],
      timeout_seconds: 0,
    });
    assert.equal(wait.timed_out, true);
    assert.match(wait.message, /^1 of 3 still working, 2 of 3 queued \(not started yet\) after /);
    const paused = (await queues()).find((queue) => queue.name === 'nightly');
    assert.deepEqual([paused?.paused, paused?.running, paused?.waiting], [true, 1, 2]);
    open();
    assert.equal((await ended(mcp, running.task_id)).status, 'completed');
    assert.equal((await status(held[0] as string)).status, 'queued');
    await mcp.ok('configure_queue', { queue: 'nightly', paused: false });
    for (const id of held) assert.equal((await ended(mcp, id)).status, 'completed');
  });

  it('a chain runs in order, and a failure fails its dependants, transitively, with the cause named', async () => {
    const order = join(home.path, 'order');
    const { open, command } = gate('chain');
    const a = await mcp.ok<Task>('start_task', { command: `${command()} && echo a >> ${order}` });
    const b = await mcp.ok<Task>('start_task', { command: `echo b >> ${order}`, after: [a.task_id] });
    const c = await mcp.ok<Task>('start_task', {
      command: `echo c >> ${order}`,
      after: [b.task_id.slice(0, 5)], // a unique prefix works too
    });
    assert.equal(b.status, 'queued');
    assert.deepEqual(b.after, [a.task_id]);
    assert.deepEqual(b.waiting_for, [`task ${a.task_id} to complete (it is working)`]);
    open();
    assert.equal((await ended(mcp, c.task_id)).status, 'completed');
    assert.equal(readFileSync(order, 'utf8'), 'a\nb\nc\n');
    const times = await Promise.all([a, b, c].map((task) => status(task.task_id)));
    for (let i = 1; i < times.length; i++)
      assert.ok(Date.parse(String(times[i]?.started_at)) >= Date.parse(String(times[i - 1]?.ended_at)));

    const failing = gate('failing');
    const never = join(home.path, 'never-ran');
    const x = await mcp.ok<Task>('start_task', { command: failing.command(3) });
    const y = await mcp.ok<Task>('start_task', { command: `touch ${never}`, after: [x.task_id] });
    const z = await mcp.ok<Task>('start_task', { command: `touch ${never}`, after: [y.task_id, a.task_id] });
    failing.open();
    const yEnd = await ended(mcp, y.task_id);
    const zEnd = await ended(mcp, z.task_id);
    assert.deepEqual(
      [yEnd.status, yEnd.terminated_by, yEnd.failed_dependency],
      ['failed', 'dependency', { task_id: x.task_id, status: 'failed' }],
    );
    assert.match(
      String(yEnd.reason),
      new RegExp(`task ${x.task_id}, which it was to run after, ended failed with exit code 3`),
    );
    assert.deepEqual(
      [zEnd.status, zEnd.terminated_by, zEnd.failed_dependency],
      ['failed', 'dependency', { task_id: x.task_id, status: 'failed' }],
    );
    assert.match(String(zEnd.reason), new RegExp(`task ${y.task_id}`));
    assert.equal(existsSync(never), false, 'a task whose dependency failed never ran');
    // A task submitted after its dependency failed never runs either.
    const late = await mcp.ok<Task>('start_task', { command: `touch ${never}`, after: [x.task_id] });
    assert.deepEqual([late.status, late.terminated_by], ['failed', 'dependency']);
    assert.match(
      await mcp.error('start_task', { command: 'true', after: ['ffff0000'] }),
      /after\[0\] names no task: "ffff0000"/,
    );
  });

  it('retries run the stated number of times with the back-off, and keep each attempt’s output', async () => {
    const count = join(home.path, 'count');
    const flaky = `n=$(cat ${count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${count}; echo "run $n"; [ $n -ge 3 ]`;
    const task = await mcp.ok<Task>('start_task', { command: flaky, retries: 4, retry_delay_seconds: 0.3 });
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.attempt, done.attempts], ['completed', 3, 5]);
    const history = done.attempt_history as Attempt[];
    assert.deepEqual(
      history.map((entry) => [entry.attempt, entry.status, entry.exit_code]),
      [
        [1, 'failed', 1],
        [2, 'failed', 1],
        [3, 'completed', 0],
      ],
    );
    const gap = (from: Attempt | undefined, to: Attempt | undefined): number =>
      Date.parse(String(to?.started_at)) - Date.parse(String(from?.ended_at));
    assert.ok(gap(history[0], history[1]) >= 300, `first back-off ${gap(history[0], history[1])} ms`);
    assert.ok(gap(history[1], history[2]) >= 600, `second back-off ${gap(history[1], history[2])} ms`);
    const last = await mcp.ok<Task>('task_result', { task_id: task.task_id });
    assert.equal(last.output_attempt, 3);
    assert.match(String(last.output), /^\[backburner\] attempt 3 of 5, started \S+\nrun 3$/);
    const first = await mcp.ok<Task>('task_result', { task_id: task.task_id, attempt: 1 });
    assert.match(
      String(first.output),
      /^\[backburner\] attempt 1 of 5, started \S+\nrun 1\n\[backburner\] attempt failed with exit code 1; retrying in 0\.3s$/,
    );
    const grep = await mcp.ok<Task>('task_result', { task_id: task.task_id, attempt: 2, grep: '^run' });
    assert.equal(grep.output, '2:run 2');
    assert.match(
      await mcp.error('task_result', { task_id: task.task_id, attempt: 4 }),
      /attempt must be between 1 and 3 .*got 4/,
    );
    // The whole log, read from the start, holds every attempt.
    const whole = await mcp.ok<Task>('task_result', { task_id: task.task_id, since: '0' });
    assert.equal(
      String(whole.output)
        .match(/^run \d$/gm)
        ?.join(','),
      'run 1,run 2,run 3',
    );

    const always = join(home.path, 'always');
    const hopeless = await mcp.ok<Task>('start_task', {
      command: `echo x >> ${always}; exit 4`,
      retries: 2,
      retry_delay_seconds: 0,
    });
    const gaveUp = await ended(mcp, hopeless.task_id);
    assert.deepEqual([gaveUp.status, gaveUp.exit_code, gaveUp.attempt], ['failed', 4, 3]);
    assert.equal(readFileSync(always, 'utf8'), 'x\nx\nx\n');
  });

  it('a cancel stops the retries, and a timeout is retried', async () => {
    const runs = join(home.path, 'runs');
    const task = await mcp.ok<Task>('start_task', {
      command: `echo run >> ${runs}; exit 1`,
      retries: 5,
      retry_delay_seconds: 60,
    });
    const backingOff = await waitFor('the first attempt to fail', async () => {
      const current = await status(task.task_id);
      const waits = String((current.waiting_for as string[] | undefined)?.[0]);
      return current.status === 'queued' && current.attempt === 2 && waits.startsWith('the back-off')
        ? current
        : undefined;
    });
    assert.match(String((backingOff.waiting_for as string[])[0]), /^the back-off before attempt 2, until /);
    const cancelled = await mcp.ok<Task>('cancel_task', { task_id: task.task_id });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(readFileSync(runs, 'utf8'), 'run\n');

    const slow = await mcp.ok<Task>('start_task', {
      command: `echo try >> ${join(home.path, 'tries')}; sleep 30`,
      timeout_seconds: 0.5,
      retries: 1,
      retry_delay_seconds: 0,
    });
    const timedOut = await ended(mcp, slow.task_id);
    assert.deepEqual([timedOut.status, timedOut.attempt], ['timed_out', 2]);
    assert.equal(readFileSync(join(home.path, 'tries'), 'utf8'), 'try\ntry\n');
  });

  it('queued, delayed and retrying tasks and their env survive kill -9 of the daemon, and run exactly once', async () => {
    await mcp.ok('configure_queue', { queue: 'one', max_parallel: 1 });
    const blocker = gate('blocker');
    const blocking = await mcp.ok<Task>('start_task', { command: blocker.command(), queue: 'one' });
    const queued = await mcp.ok<Task>('start_task', {
      command: `echo "$DEPLOY_KEY" >> ${join(home.path, 'queued-runs')}`,
      queue: 'one',
      env: { DEPLOY_KEY: 'k3y-survives' },
    });
    assert.equal(queued.status, 'queued');
    const envFile = join(home.path, 'pending-env', `${queued.task_id}.json`);
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    const delayed = await mcp.ok<Task>('start_task', {
      command: `echo d >> ${join(home.path, 'delayed-runs')}`,
      not_before: 3,
    });
    assert.equal(delayed.status, 'queued');
    const count = join(home.path, 'retry-count');
    const retrying = await mcp.ok<Task>('start_task', {
      command: `echo r >> ${count}; [ $(wc -l < ${count}) -ge 2 ]`,
      retries: 2,
      retry_delay_seconds: 3,
    });
    await waitFor('the retrying task to back off', async () => {
      const current = await status(retrying.task_id);
      return current.status === 'queued' && current.attempt === 2;
    });

    // Its dependency ends while no daemon runs: the next daemon must still hear of it.
    const chained = await mcp.ok<Task>('start_task', {
      command: `echo c >> ${join(home.path, 'chained-runs')}`,
      after: [blocking.task_id],
    });

    const daemon = home.daemonPid();
    assert.ok(daemon !== undefined && isRunning(daemon));
    process.kill(daemon, 'SIGKILL');
    await waitFor('the daemon to die', () => !isRunning(daemon));
    blocker.open(); // the running task ends while no daemon runs

    // The next call starts a daemon, which carries on with the schedule.
    for (const task of [blocking, queued, delayed, retrying, chained])
      assert.equal((await ended(mcp, task.task_id)).status, 'completed', String(task.command));
    assert.equal(readFileSync(join(home.path, 'queued-runs'), 'utf8'), 'k3y-survives\n');
    assert.equal(readFileSync(join(home.path, 'delayed-runs'), 'utf8'), 'd\n');
    assert.equal(readFileSync(join(home.path, 'chained-runs'), 'utf8'), 'c\n');
    assert.equal(readFileSync(count, 'utf8'), 'r\nr\n');
    const delayedEnd = await status(delayed.task_id);
    assert.ok(Date.parse(String(delayedEnd.started_at)) >= Date.parse(String(delayed.not_before)));
    assert.deepEqual(readdirSync(join(home.path, 'pending-env')), []);
    assert.notEqual(home.daemonPid(), daemon);
  });

  it('restart_task repeats a task, and asks again for the values of its env', async () => {
    const first = await mcp.ok<Task>('start_task', {
      command: 'echo "$TOKEN_A"',
      queue: 'jobs',
      label: 'deploy',
      env: { TOKEN_A: 'one' },
      wait_seconds: 20,
    });
    assert.equal(first.output, 'one');
    assert.match(
      await mcp.error('restart_task', { task_id: first.task_id }),
      new RegExp(`task ${first.task_id} was started with env TOKEN_A, whose values are never kept`),
    );
    const again = await mcp.ok<Task>('restart_task', { task_id: first.task_id, env: { TOKEN_A: 'two' } });
    assert.deepEqual(
      [again.restarted_from, again.queue, again.label, again.command],
      [first.task_id, 'jobs', 'deploy', first.command],
    );
    const done = await mcp.ok<Task>('task_result', { task_id: (await ended(mcp, again.task_id)).task_id });
    assert.equal(done.output, 'two');
  });

  it('the policy file sets queues and caps what a call may set; bad input is named', async () => {
    writeFileSync(
      join(home.path, 'policy.json'),
      JSON.stringify({ queues: { gpu: { max_parallel: 3 } }, max_parallel_limit: 4 }),
    );
    const gpu = (await queues()).find((queue) => queue.name === 'gpu');
    assert.deepEqual([gpu?.max_parallel, gpu?.max_parallel_from], [3, 'policy file']);
    assert.match(
      await mcp.error('configure_queue', { queue: 'gpu', max_parallel: 5 }),
      /max_parallel must be at most 4 \(max_parallel_limit in the policy file\), got 5/,
    );
    const set = await mcp.ok<Queue>('configure_queue', { queue: 'gpu', max_parallel: 4 });
    assert.deepEqual([set.max_parallel, set.max_parallel_from], [4, 'configured']);
    assert.match(
      await mcp.error('start_task', { command: 'true', queue: 'no spaces' }),
      /queue must be a name .* got "no spaces"/,
    );
    assert.match(
      await mcp.error('start_task', { command: 'true', retries: 11 }),
      /retries must be at most 10, got 11/,
    );
    assert.match(
      await mcp.error('start_task', { command: 'true', not_before: 'tomorrow' }),
      /not_before must be an ISO 8601 time .* got "tomorrow"/,
    );
    assert.match(await mcp.error('configure_queue', { queue: 'gpu' }), /needs max_parallel, paused, or both/);
    // Nothing was started by the refused calls.
    assert.deepEqual((await mcp.ok<{ tasks: Task[] }>('list_tasks', {})).tasks, []);
  });

  it('the CLI adds, chains, retries, delays, restarts and manages queues', async () => {
    const cli = (...args: string[]) => home.cli(args);
    assert.equal(cli('queue', 'set', 'cli-q', '--max-parallel', '3').code, 0);
    assert.equal(cli('queue', 'pause', 'cli-q').code, 0);
    const added = cli('add', '--queue', 'cli-q', '--json', '--', 'echo', 'hello world', "it's");
    assert.equal(added.code, 0, added.stderr);
    const first = JSON.parse(added.stdout) as Task;
    assert.deepEqual([first.status, first.command], ['queued', `echo 'hello world' 'it'\\''s'`]);
    const chained = JSON.parse(
      cli(
        'add',
        '--json',
        '--after',
        first.task_id,
        '--retries',
        '1',
        '--not-before',
        '0',
        '--label',
        'next',
        '--',
        'true',
      ).stdout,
    ) as Task;
    assert.deepEqual([chained.status, chained.after, chained.attempts], ['queued', [first.task_id], 2]);
    const listing = cli('ls').stdout;
    assert.match(listing, new RegExp(`${first.task_id}\\s+queued #1\\s+cli-q`));
    assert.match(cli('queue', 'ls').stdout, /cli-q\s+0\s+1\s+3\s+paused\s+configured/);
    assert.equal(cli('queue', 'resume', 'cli-q').code, 0);
    assert.equal(cli('wait', chained.task_id, first.task_id, '--all', '--timeout', '60').code, 0);
    assert.match(cli('logs', first.task_id).stdout, /^hello world it's\n$/);
    const restarted = JSON.parse(cli('restart', first.task_id, '--json').stdout) as Task;
    assert.equal(restarted.restarted_from, first.task_id);
    const bad = cli('add', '--retries', 'many', '--', 'true');
    assert.deepEqual(
      [bad.code, bad.stderr.split('\n')[0]],
      [2, "backburner: --retries must be a whole number, got 'many'"],
    );
  });
});
