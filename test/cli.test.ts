import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { TestHome } from './helpers/home.js';
import { closeSession, openSession, type McpSession } from './helpers/mcp.js';
import { CLI, fixture, ROOT } from './helpers/paths.js';
import { isRunning } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('the human CLI on the same engine', () => {
  let home: TestHome;
  let mcp: McpSession;
  let done: Task;
  let failed: Task;
  before(async () => {
    ({ home, mcp } = await openSession());
    done = await mcp.ok<Task>('start_task', { command: 'seq 1 5', wait_seconds: 10 });
    failed = await mcp.ok<Task>('start_task', { command: 'echo broken; exit 4', wait_seconds: 10 });
  });
  after(() => closeSession({ home, mcp }));

  it('ls shows aligned columns, newest first, without colour when not on a terminal', () => {
    const { stdout, code } = home.cli(['ls']);
    assert.equal(code, 0);
    const [header, first, second] = stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^ID\s+STATUS\s+QUEUE\s+EXIT\s+TIME\s+CREATED\s+COMMAND$/);
    assert.match(first ?? '', new RegExp(`^${failed.task_id}\\s+failed\\s+default\\s+4\\s+`));
    assert.match(second ?? '', new RegExp(`^${done.task_id}\\s+completed\\s+default\\s+0\\s+`));
    assert.equal((header ?? '').indexOf('STATUS'), (first ?? '').indexOf('failed'), 'columns line up');
    assert.equal(stdout.includes('\u001b['), false);
  });

  it('on a terminal, statuses are in colour', () => {
    // `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const run = spawnSync('script', ['-qec', `${process.execPath} ${CLI} ls`, '/dev/null'], {
      env: { ...home.env, COLUMNS: '120' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.includes('\u001b[31mfailed'), run.stdout);
    assert.ok(run.stdout.includes('\u001b[32mcompleted'), run.stdout);
  });

  it('ls --json and --limit and --status', () => {
    const all = JSON.parse(home.cli(['ls', '--json']).stdout) as { tasks: Task[] };
    assert.deepEqual(
      all.tasks.map((task) => task.task_id),
      [failed.task_id, done.task_id],
    );
    const one = JSON.parse(home.cli(['ls', '--json', '--limit', '1']).stdout) as { tasks: Task[] };
    assert.equal(one.tasks.length, 1);
    const onlyFailed = JSON.parse(home.cli(['ls', '--json', '--status', 'failed']).stdout) as {
      tasks: Task[];
    };
    assert.deepEqual(
      onlyFailed.tasks.map((task) => task.task_id),
      [failed.task_id],
    );
  });

  it('ls --cursor pages on from where --limit stopped, and says how', () => {
    const first = home.cli(['ls', '--limit', '1']);
    const cursor = /more: backburner ls --cursor (\S+)/.exec(first.stdout)?.[1];
    assert.ok(cursor, first.stdout);
    const next = JSON.parse(home.cli(['ls', '--json', '--limit', '1', '--cursor', cursor]).stdout) as {
      tasks: Task[];
    };
    assert.deepEqual(
      next.tasks.map((task) => task.task_id),
      [done.task_id],
    );
    const bad = home.cli(['ls', '--cursor', 'nonsense']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cursor.*nonsense/);
  });

  it('status shows the record, and --json the same fields as the MCP tool', async () => {
    const text = home.cli(['status', failed.task_id]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /status\s+failed/);
    assert.match(text.stdout, /exit code\s+4/);
    const json = JSON.parse(home.cli(['status', failed.task_id.slice(0, 5), '--json']).stdout) as Task;
    const viaMcp = await mcp.ok<Task>('task_status', { task_id: failed.task_id });
    assert.deepEqual(
      [json.task_id, json.status, json.exit_code],
      [viaMcp.task_id, viaMcp.status, viaMcp.exit_code],
    );
  });

  it('logs prints the whole output, -n the last lines, --json the tail', () => {
    assert.equal(home.cli(['logs', done.task_id]).stdout, '1\n2\n3\n4\n5\n');
    assert.equal(home.cli(['logs', done.task_id, '-n', '2']).stdout, '4\n5\n');
    const json = JSON.parse(home.cli(['logs', done.task_id, '--json']).stdout) as Task;
    assert.deepEqual([json.output, json.output_total_lines], ['1\n2\n3\n4\n5', 5]);
  });

  it('logs -f follows a running task until it ends', async () => {
    const gate = join(home.path, 'gate-follow');
    const task = await mcp.ok<Task>('start_task', {
      command: `echo before; ${fixture('exit-after.sh')} ${gate} 0`,
    });
    await waitFor(
      'the first line',
      async () => (await mcp.ok<Task>('task_result', { task_id: task.task_id })).output === 'before',
    );
    const follower = spawn(process.execPath, [CLI, 'logs', task.task_id, '-f'], {
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follower.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    await waitFor('the follower to print the first line', () => out === 'before\n');
    writeFileSync(gate, '');
    assert.equal(await exited, 0);
    assert.equal(out, 'before\nfinishing with 0\n');
  });

  it('cancel ends a running task and its process; a second cancel says it had ended', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    const first = home.cli(['cancel', task.task_id]);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /cancelled; ended \d+ process/);
    assert.equal((await ended(mcp, task.task_id)).status, 'cancelled');
    assert.equal(isRunning(task.pid as number), false);
    const again = JSON.parse(home.cli(['cancel', task.task_id, '--json']).stdout) as {
      changed: boolean;
      message: string;
    };
    assert.equal(again.changed, false);
    assert.match(again.message, /already ended/);
  });

  it('wait returns when the task ends, with an exit code that says how', () => {
    const run = home.cli(['wait', failed.task_id]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /failed/);
    assert.equal(home.cli(['wait', done.task_id, '--json']).code, 0);
  });

  it('errors: unknown id exits 3, bad usage exits 2, each with a message', () => {
    const unknown = home.cli(['status', 'ffff0000']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /no task with id 'ffff0000'/);
    const verb = home.cli(['frobnicate']);
    assert.equal(verb.code, 2);
    assert.match(verb.stderr, /unknown command 'frobnicate'/);
    const lines = home.cli(['logs', done.task_id, '-n', 'abc']);
    assert.equal(lines.code, 2);
    assert.match(lines.stderr, /-n must be a positive integer, got 'abc'/);
  });

  it('--help lists the verbs, --version prints the package version', () => {
    const help = home.cli(['--help']);
    assert.equal(help.code, 0);
    for (const verb of ['serve', 'daemon', 'ls', 'status', 'logs', 'cancel', 'wait', 'policy check']) {
      assert.match(help.stdout, new RegExp(`backburner ${verb}`));
    }
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    assert.equal(home.cli(['--version']).stdout.trim(), version);
  });

  it('with no arguments and stdin not a terminal, it serves MCP (as `npx -y backburner-mcp` does)', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      env: home.env,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'no-args', version: '1' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'start_task'));
    } finally {
      await client.close();
    }
  });
});
