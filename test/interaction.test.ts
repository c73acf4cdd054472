import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CLI, fixture } from './helpers/paths.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { isRunning } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

interface Wait {
  tasks: Task[];
  timed_out: boolean;
  message: string;
  output_match?: { task_id: string; line: string; line_number: number; next_cursor: string };
}

const LIMIT = { timeout: 120_000 };

describe('interaction: input, terminals, and waking on output', LIMIT, () => {
  let home: TestHome;
  let mcp: McpSession;
  const sessions: McpSession[] = [];

  beforeEach(async () => {
    home = makeHome();
    mcp = await connectMcp(home);
    sessions.push(mcp);
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.close().catch(() => undefined);
    await home.cleanup();
  });

  /** Waits (in slices of the tool's limit) until a new line of the task's output matches. */
  const until = async (session: McpSession, id: string, pattern: string, since?: string): Promise<Wait> => {
    for (;;) {
      const result = await session.ok<Wait>('wait_tasks', {
        task_ids: [id],
        until_output: pattern,
        timeout_seconds: 20,
        ...(since === undefined ? {} : { since }),
      });
      if (!result.timed_out) return result;
    }
  };

  it('answers a script’s two questions, one secretly, and closes its input', async () => {
    const task = await mcp.ok<Task>('start_task', { command: fixture('ask.sh'), stdin: 'pipe' });
    assert.equal(task.stdin, 'pipe');
    const asked = await until(mcp, task.task_id, 'name\\?', '0');
    assert.deepEqual(
      [asked.output_match?.line, asked.output_match?.line_number, asked.output_match?.task_id],
      ['name? ', 1, task.task_id],
    );
    await mcp.ok('send_input', { task_id: task.task_id, text: 'Ada\n' });
    await until(mcp, task.task_id, 'password\\?', asked.output_match?.next_cursor);
    const secret = 's3cr3t-Value-91';
    const sent = await mcp.ok<Task>('send_input', {
      task_id: task.task_id,
      text: `${secret}\n`,
      secret: true,
    });
    assert.deepEqual(sent.input_sent, {
      count: 2,
      bytes: 4 + secret.length + 1,
      last_at: (sent.input_sent as { last_at: string }).last_at,
      last: '[secret]',
    });
    await mcp.ok('send_input', { task_id: task.task_id, text: 'one more\n', end: true });
    const done = await ended(mcp, task.task_id);
    assert.deepEqual([done.status, done.input_closed], ['completed', true]);
    const result = await mcp.ok<Task>('task_result', { task_id: task.task_id });
    assert.equal(
      result.output,
      `name? password? hello Ada, your password has ${secret.length} characters\nmore: one more\nend of input`,
    );
    // The secret is nowhere: not in any result, listing or wait, nor in any file of the home.
    const everything = JSON.stringify([
      sent,
      result,
      await mcp.call('task_status', { task_id: task.task_id }),
      await mcp.call('list_tasks', {}),
      await mcp.call('wait_tasks', { task_ids: [task.task_id] }),
    ]);
    assert.equal(everything.includes(secret), false);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        const stat = statSync(path);
        return stat.isDirectory() ? files(path) : stat.isFile() ? [path] : [];
      });
    for (const path of files(home.path))
      assert.equal(readFileSync(path).includes(secret), false, `${path} holds the secret`);

    assert.match(
      await mcp.error('send_input', { task_id: task.task_id, text: 'late\n' }),
      new RegExp(`task ${task.task_id} has ended \\(completed\\)`),
    );
    const plain = await mcp.ok<Task>('start_task', { command: 'sleep 30' });
    assert.match(
      await mcp.error('send_input', { task_id: plain.task_id, text: 'x' }),
      /does not take input: start it with stdin: "pipe"/,
    );
    await mcp.ok('cancel_task', { task_id: plain.task_id });
    const closing = await mcp.ok<Task>('start_task', { command: 'cat > /dev/null; sleep 30', stdin: 'pipe' });
    await waitFor(
      'it to run',
      async () => (await mcp.ok<Task>('task_status', { task_id: closing.task_id })).status === 'working',
    );
    await mcp.ok('send_input', { task_id: closing.task_id, text: '', end: true });
    assert.match(
      await mcp.error('send_input', { task_id: closing.task_id, text: 'x' }),
      new RegExp(`the input of task ${closing.task_id} was closed \\(end: true\\) earlier`),
    );
    await mcp.ok('cancel_task', { task_id: closing.task_id });
  });

  it('drives Python’s REPL on a terminal of the size asked for', async () => {
    const repl = await mcp.ok<Task>('start_task', {
      command: 'python3 -q',
      tty: true,
      tty_cols: 100,
      tty_rows: 30,
    });
    assert.deepEqual(repl.tty, { cols: 100, rows: 30 });
    const prompt = await until(mcp, repl.task_id, '^>>> $', '0');
    await mcp.ok('send_input', { task_id: repl.task_id, text: '6*7\n' });
    const answer = await until(mcp, repl.task_id, '^\\d+$', prompt.output_match?.next_cursor);
    assert.equal(answer.output_match?.line, '42');
    await mcp.ok('send_input', {
      task_id: repl.task_id,
      text: 'import os, sys; print(os.get_terminal_size(), sys.stdin.isatty(), os.environ["TERM"])\n',
    });
    const size = await until(mcp, repl.task_id, '^os\\.terminal_size', answer.output_match?.next_cursor);
    assert.equal(size.output_match?.line, 'os.terminal_size(columns=100, lines=30) True xterm-256color');
    await mcp.ok('send_input', { task_id: repl.task_id, text: 'exit()\n' });
    assert.equal((await ended(mcp, repl.task_id)).status, 'completed');
  });

  it('input reaches the same task after kill -9 of the server and of the daemon', async () => {
    const task = await mcp.ok<Task>('start_task', {
      command: 'while read -r line; do echo "got $line"; done; echo bye',
      stdin: 'pipe',
    });
    await mcp.ok('send_input', { task_id: task.task_id, text: 'one\n' });
    await until(mcp, task.task_id, '^got one$', '0');
    process.kill(mcp.pid, 'SIGKILL');
    await waitFor('the server to die', () => !isRunning(mcp.pid));
    const daemon = home.daemonPid();
    assert.ok(daemon !== undefined);
    process.kill(daemon, 'SIGKILL');
    await waitFor('the daemon to die', () => !isRunning(daemon));

    const second = await connectMcp(home);
    sessions.push(second);
    await second.ok('send_input', { task_id: task.task_id, text: 'two\n', end: true });
    const done = await ended(second, task.task_id);
    assert.equal(done.status, 'completed');
    assert.equal(
      (await second.ok<Task>('task_result', { task_id: task.task_id })).output,
      'got one\ngot two\nbye',
    );
    assert.notEqual(home.daemonPid(), daemon);
  });

  it('a dev server: ready_pattern, wait for ready, use it, stop it', async () => {
    const server = await mcp.ok<Task>('start_task', {
      command: `node ${fixture('ready-server.mjs')} 300`,
      ready_pattern: 'ready on http://',
    });
    assert.deepEqual([server.ready_pattern, server.ready], ['ready on http://', false]);
    const waited = await mcp.ok<Wait>('wait_tasks', {
      task_ids: [server.task_id],
      mode: 'ready',
      timeout_seconds: 30,
    });
    assert.equal(waited.timed_out, false);
    assert.equal(waited.message, '1 of 1 ready');
    const [ready] = waited.tasks;
    assert.deepEqual([ready?.status, ready?.ready, ready?.ready_line], ['working', true, 2]);
    const line = await mcp.ok<Task>('task_result', { task_id: server.task_id, grep: 'ready on' });
    const url = /http:\/\/\S+/.exec(String(line.output))?.[0];
    assert.ok(url !== undefined, String(line.output));
    assert.equal(await (await fetch(url)).text(), 'pong');
    const stopped = await mcp.ok<Task>('cancel_task', { task_id: server.task_id });
    assert.equal(stopped.status, 'cancelled');

    // A server that dies before it is ready ends the wait at once, not ready.
    const broken = await mcp.ok<Task>('start_task', {
      command: 'echo "port taken"; exit 3',
      ready_pattern: 'ready on',
    });
    const dead = await mcp.ok<Wait>('wait_tasks', {
      task_ids: [broken.task_id],
      mode: 'ready',
      timeout_seconds: 30,
    });
    assert.equal(dead.timed_out, false);
    assert.deepEqual([dead.tasks[0]?.status, dead.tasks[0]?.ready], ['failed', false]);
    assert.match(
      await mcp.error('wait_tasks', {
        task_ids: [stopped.task_id, broken.task_id],
        mode: 'ready',
        since: '0',
      }),
      /since goes with until_output and a single task id/,
    );
  });

  it('until_output: a line printed just before the end counts; an end without a match answers as an end', async () => {
    // From the start of the log (since "0"): without it, a wait that reaches the server after the line
    // (a loaded machine takes longer than the 0.3 s) would rightly look only at what comes after.
    const last = await mcp.ok<Task>('start_task', { command: 'sleep 0.3; printf "FATAL: disk full"' });
    const found = await until(mcp, last.task_id, '^FATAL', '0');
    assert.equal(found.output_match?.line, 'FATAL: disk full');
    const quiet = await mcp.ok<Task>('start_task', { command: 'sleep 0.3; echo fine' });
    const none = await mcp.ok<Wait>('wait_tasks', {
      task_ids: [quiet.task_id],
      until_output: 'FATAL',
      timeout_seconds: 30,
    });
    assert.deepEqual(
      [none.timed_out, none.output_match, none.tasks[0]?.status],
      [false, undefined, 'completed'],
    );
    // No match before the time runs out: the answer says how far it looked, so a next wait misses nothing.
    const long = await mcp.ok<Task>('start_task', { command: 'echo one; echo two; sleep 60' });
    await until(mcp, long.task_id, '^two$', '0');
    const nothing = await mcp.ok<Wait & { output_cursors?: Record<string, string> }>('wait_tasks', {
      task_ids: [long.task_id],
      until_output: 'never printed',
      since: '0',
      timeout_seconds: 0.5,
    });
    assert.equal(nothing.timed_out, true);
    assert.deepEqual(nothing.output_cursors, { [long.task_id]: '8' });
    assert.match(nothing.message, /pass since: "8"$/);
    await mcp.ok('cancel_task', { task_id: long.task_id });
    assert.match(
      await mcp.error('wait_tasks', { task_ids: [quiet.task_id], until_output: '(' }),
      /until_output is not a valid regular expression: "\("/,
    );
  });

  it('the CLI sends, waits for a line, and attaches through a terminal', async () => {
    const added = home.cli(['add', '--json', '--stdin', 'pipe', '--', fixture('ask.sh')]);
    assert.equal(added.code, 0, added.stderr);
    const id = (JSON.parse(added.stdout) as Task).task_id;
    const waited = home.cli(['wait', id, '--until', 'name\\?', '--timeout', '60']);
    assert.deepEqual([waited.code, waited.stdout], [0, '1:name? \n']);
    assert.equal(home.cli(['send', id, 'Grace\n']).code, 0);
    assert.equal(home.cli(['send', id, 'pw\n']).code, 0);
    // The whole output counts for a person's wait: a line printed before the wait began matches too.
    assert.equal(
      home.cli(['wait', id, '--until', 'hello', '--timeout', '60']).stdout,
      '1:name? password? hello Grace, your password has 2 characters\n',
    );

    // attach, as a person would: on a terminal (script gives it one), typing a line, then Ctrl-].
    const attach = spawn('script', ['-qec', `${process.execPath} ${CLI} attach ${id}`, '/dev/null'], {
      env: home.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let seen = '';
    attach.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor('attach to show the output so far', () => seen.includes('hello Grace'));
    attach.stdin.write('typed in attach\r');
    await waitFor('the line to reach the task', () => seen.includes('more: typed in attach'));
    attach.stdin.write('\u001d');
    const code = await new Promise<number | null>((resolve) => attach.once('exit', resolve));
    assert.equal(code, 0);
    assert.match(seen, /detached; task [0-9a-f]{8} keeps running/);
    assert.equal((await mcp.ok<Task>('task_status', { task_id: id })).status, 'working');
    assert.equal(home.cli(['send', id, '--end']).code, 0);
    assert.equal((await ended(mcp, id)).status, 'completed');
  });
});
