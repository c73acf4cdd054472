import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { closeSession, connectMcp, openSession, type McpSession } from './helpers/mcp.js';

describe('bad input gets a clear error naming the value, and the server keeps serving', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => ({ home, mcp } = await openSession()));
  after(() => closeSession({ home, mcp }));

  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    ['unknown id', 'task_status', { task_id: 'deadbeef' }, /no task with id 'deadbeef'/],
    [
      'malformed id',
      'task_result',
      { task_id: '../../etc/passwd' },
      /no task with id "\.\.\/\.\.\/etc\/passwd"/,
    ],
    ['non-string id', 'task_status', { task_id: 42 }, /task_id must be a string, got 42/],
    ['unknown id on cancel', 'cancel_task', { task_id: 'abcdef12' }, /no task with id 'abcdef12'/],
    [
      'missing cwd',
      'start_task',
      { command: 'true', cwd: '/no/such/dir' },
      /working directory does not exist: \/no\/such\/dir/,
    ],
    ['empty command', 'start_task', { command: '   ' }, /command must not be empty, got " {3}"/],
    ['missing command', 'start_task', {}, /command must be a string, got undefined/],
    ['NUL in command', 'start_task', { command: 'echo a\u0000b' }, /command must not contain NUL bytes/],
    [
      'zero timeout',
      'start_task',
      { command: 'true', timeout_seconds: 0 },
      /timeout_seconds must be positive, got 0/,
    ],
    [
      'negative timeout',
      'start_task',
      { command: 'true', timeout_seconds: -5 },
      /timeout_seconds must be positive, got -5/,
    ],
    [
      'string timeout',
      'start_task',
      { command: 'true', timeout_seconds: 'soon' },
      /timeout_seconds must be a number, got "soon"/,
    ],
    [
      'zero tail_lines',
      'task_result',
      { task_id: 'deadbeef', tail_lines: 0 },
      /tail_lines must be at least 1, got 0/,
    ],
    [
      'negative tail_lines',
      'task_result',
      { task_id: 'deadbeef', tail_lines: -3 },
      /tail_lines must be at least 1, got -3/,
    ],
    [
      'fractional tail_lines',
      'task_result',
      { task_id: 'deadbeef', tail_lines: 2.5 },
      /tail_lines must be an integer, got 2.5/,
    ],
    ['zero limit', 'list_tasks', { limit: 0 }, /limit must be at least 1, got 0/],
    ['huge limit', 'list_tasks', { limit: 1001 }, /limit must be at most 1000, got 1001/],
  ];

  for (const [name, tool, args, expected] of cases) {
    it(`${name}: ${tool}`, async () => {
      assert.match(await mcp.error(tool, args), expected);
      // still serving
      assert.ok(Array.isArray((await mcp.ok<{ tasks: unknown[] }>('list_tasks', { limit: 1 })).tasks));
    });
  }

  it('a cwd that is a file is refused', async () => {
    const file = join(home.path, 'a-file');
    writeFileSync(file, '');
    assert.match(await mcp.error('start_task', { command: 'true', cwd: file }), /is not a directory/);
  });

  it('nothing was started by any of the bad calls', async () => {
    assert.deepEqual((await mcp.ok<{ tasks: unknown[] }>('list_tasks')).tasks, []);
  });
});

describe('the command policy (BACKBURNER_ALLOW / BACKBURNER_DENY)', () => {
  let home: TestHome;
  before(() => {
    home = makeHome();
  });
  after(async () => {
    await home.cleanup();
  });

  it('deny blocks, allow admits only the listed, deny wins over allow, naming the rule', async () => {
    const mcp = await connectMcp(home, {
      env: { BACKBURNER_ALLOW: '^echo ,^true$', BACKBURNER_DENY: 'secret' },
    });
    try {
      assert.match(
        await mcp.error('start_task', { command: 'echo secret' }),
        /matches deny pattern 'secret' \(BACKBURNER_DENY\)/,
      );
      assert.match(
        await mcp.error('start_task', { command: 'ls' }),
        /does not match any allow pattern \(BACKBURNER_ALLOW/,
      );
      assert.equal(
        (await mcp.ok<{ status: string }>('start_task', { command: 'echo fine' })).status.length > 0,
        true,
      );
      assert.match(await mcp.error('start_task', { command: 'ECHO SECRET' }), /deny pattern/); // case-insensitive
    } finally {
      await mcp.close();
    }
  });

  it('no policy lets anything run', async () => {
    const mcp = await connectMcp(home);
    try {
      const task = await mcp.ok<{ task_id: string }>('start_task', { command: 'echo secret' });
      assert.match(task.task_id, /^[0-9a-f]{8}$/);
    } finally {
      await mcp.close();
    }
  });

  it('an invalid pattern is reported with the variable and the pattern', async () => {
    const mcp = await connectMcp(home, { env: { BACKBURNER_DENY: 'ok,(unclosed' } });
    try {
      assert.match(
        await mcp.error('start_task', { command: 'true' }),
        /invalid pattern '\(unclosed' in BACKBURNER_DENY/,
      );
    } finally {
      await mcp.close();
    }
  });
});
