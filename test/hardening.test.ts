import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome, scratchDir } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';
import { diskBytes, punchHole, punchHoleWithProgram } from '../src/store/hole-punch.js';

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

describe('the HTTP token, created by several processes at once', () => {
  it('is one token that every process returns and the file holds', async () => {
    const home = makeHome();
    try {
      const tokenModule = new URL('../src/http/token.js', import.meta.url).href;
      // Every process waits at a gate, so that all of them look for the token at the same moment.
      const gate = join(home.path, 'go');
      const script = [
        `import { existsSync } from 'node:fs';`,
        `import { loadOrCreateToken } from ${JSON.stringify(tokenModule)};`,
        `process.stdout.write('ready\\n');`,
        `while (!existsSync(${JSON.stringify(gate)}));`,
        `process.stdout.write(loadOrCreateToken(${JSON.stringify(home.path)}, {}));`,
      ].join('\n');
      const children = Array.from({ length: 8 }, () => {
        let out = '';
        const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const done = new Promise<string>((resolve) =>
          child.once('exit', () => resolve(out.replace('ready\n', ''))),
        );
        return { ready: () => out.startsWith('ready'), done };
      });
      await waitFor('every process at the gate', () => children.every((child) => child.ready()));
      writeFileSync(gate, '');
      const tokens = await Promise.all(children.map((child) => child.done));
      const stored = readFileSync(join(home.path, 'http-token'), 'utf8').trim();
      assert.deepEqual(new Set(tokens), new Set([stored]));
      assert.deepEqual(
        readdirSync(home.path).filter((name) => name.startsWith('http-token.')),
        [],
        'no drafts left',
      );
    } finally {
      await home.cleanup();
    }
  });
});

describe('the audit log', () => {
  it('is rotated past 1 MiB, so that refusals an agent causes at will cannot fill the disk', async () => {
    const home = makeHome({ BACKBURNER_DENY: 'forbidden' });
    const mcp = await connectMcp(home);
    try {
      const audit = join(home.path, 'audit.log');
      writeFileSync(audit, `${'{"old":"entry"}\n'.repeat(70_000)}`, { mode: 0o600 }); // about 1.1 MiB
      assert.match(await mcp.error('start_task', { command: 'echo forbidden' }), /deny pattern/);
      assert.equal(statSync(`${audit}.1`).size, 70_000 * 16, 'the old log is kept whole, once');
      const entries = readFileSync(audit, 'utf8').trim().split('\n');
      assert.equal(entries.length, 1);
      assert.equal((JSON.parse(entries[0] ?? '{}') as { command?: string }).command, 'echo forbidden');
    } finally {
      await mcp.close();
      await home.cleanup();
    }
  });
});

describe('an agent regular expression with catastrophic backtracking', () => {
  it('is stopped at its time budget off the event loop, while other calls are answered meanwhile', async () => {
    const home = makeHome();
    const mcp = await connectMcp(home, { env: { BACKBURNER_GREP_SECONDS: '2' } });
    try {
      const task = await mcp.ok<Task>('start_task', {
        command: `printf '%s!\\n' ${'a'.repeat(40)}`,
        wait_seconds: 20,
      });
      assert.equal(task.status, 'completed');
      const slow = mcp.error('task_result', { task_id: task.task_id, grep: '^(a+)+$' });
      let answered = 0;
      let settled = false;
      void slow.finally(() => (settled = true));
      while (!settled) {
        await mcp.ok('task_status', { task_id: task.task_id }); // would wait behind a blocked loop
        if (!settled) answered++;
      }
      assert.match(await slow, /grep "\^\(a\+\)\+\$" took more than 2 s over this log and was stopped/);
      assert.ok(answered >= 5, `other calls were answered while the grep ran (${answered})`);
      const fine = await mcp.ok<Task>('task_result', { task_id: task.task_id, grep: 'a{3}' });
      assert.equal(fine.match_count, 1);
    } finally {
      await mcp.close();
      await home.cleanup();
    }
  });
});

describe('punching a hole in a log', () => {
  for (const [how, punch] of [
    ['in-process fallocate(2)', punchHole],
    ["util-linux's fallocate program (the fallback)", punchHoleWithProgram],
  ] as const) {
    it(`${how} frees the middle's blocks and keeps the size and every other byte`, async () => {
      const dir = scratchDir('hole');
      try {
        const path = join(dir, 'log');
        const bytes = Buffer.alloc(4 * 1024 * 1024, 0x61);
        bytes.fill(0x62, 3 * 1024 * 1024);
        writeFileSync(path, bytes);
        const before = diskBytes(path);
        await punch(path, 1024 * 1024, 2 * 1024 * 1024);
        assert.equal(statSync(path).size, bytes.length);
        assert.ok(diskBytes(path) <= before - 2 * 1024 * 1024, `freed (${before} → ${diskBytes(path)})`);
        const after = readFileSync(path);
        assert.ok(
          after.subarray(0, 1024 * 1024).every((b) => b === 0x61),
          'the head is intact',
        );
        assert.ok(
          after.subarray(1024 * 1024, 3 * 1024 * 1024).every((b) => b === 0),
          'the hole reads as zeros',
        );
        assert.ok(
          after.subarray(3 * 1024 * 1024).every((b) => b === 0x62),
          'the tail is intact',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
