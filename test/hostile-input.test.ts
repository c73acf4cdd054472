import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';

const HUGE = 'x'.repeat(1024 * 1024);
const WRONG_TYPES: unknown[] = [42, true, null, { a: 1 }, ['a'], -1];
const BAD_IDS: unknown[] = [
  '../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows',
  'abcd/../../x',
  'abc',
  '',
  'zzzzzzzz',
  'deadbeef\u0000',
  '😀😀😀😀',
  HUGE,
  ...WRONG_TYPES,
];
const BAD_NUMBERS: unknown[] = [-1, 0, 1e308, -1e308, 1.5, 'ten', '10', null, true, [], {}];

/** [tool, arguments, what the error must name] */
function corpus(): [string, Record<string, unknown>, RegExp][] {
  const cases: [string, Record<string, unknown>, RegExp][] = [];
  for (const tool of ['task_status', 'task_result', 'cancel_task', 'delete_task', 'restart_task']) {
    for (const id of BAD_IDS) cases.push([tool, { task_id: id }, /task_id|no task with id/]);
    cases.push([tool, {}, /task_id/]);
  }
  for (const value of [...WRONG_TYPES, '', '   ', 'a\u0000b', 'x'.repeat(200_000)]) {
    cases.push(['start_task', { command: value }, /command/]);
    cases.push(['run_command', { command: value }, /command/]);
  }
  for (const value of [-1, 51, 'ten', null, []]) {
    cases.push(['run_command', { command: 'true', wait_seconds: value }, /wait_seconds/]);
  }
  cases.push(['run_command', { command: 'true', cwd: '/no/such/dir' }, /cwd|working directory/]);
  cases.push(['run_command', { command: 'true', timeout_seconds: -1 }, /timeout_seconds/]);
  for (const value of [...WRONG_TYPES, '/no/such/dir', 'a\u0000b', HUGE]) {
    cases.push(['start_task', { command: 'true', cwd: value }, /cwd|working directory/]);
  }
  for (const value of BAD_NUMBERS) {
    if (value !== 1.5 && value !== 1e308)
      cases.push(['start_task', { command: 'true', timeout_seconds: value }, /timeout_seconds/]);
    cases.push(['start_task', { command: 'true', max_memory_mb: value }, /max_memory_mb/]);
    cases.push(['start_task', { command: 'true', max_cpu_seconds: value }, /max_cpu_seconds/]);
    cases.push(['task_result', { task_id: 'abcd1234', tail_lines: value }, /tail_lines/]);
    cases.push(['task_result', { task_id: 'abcd1234', head_lines: value }, /head_lines/]);
    cases.push(['task_result', { task_id: 'abcd1234', max_bytes: value }, /max_bytes/]);
    cases.push(['list_tasks', { limit: value }, /limit/]);
  }
  for (const value of [...WRONG_TYPES, 'x'.repeat(5000), 'a\nb']) {
    cases.push(['start_task', { command: 'true', label: value }, /label/]);
  }
  for (const value of [['A=1'], 'A=1', 42, { 'BAD NAME': 'x' }, { A: 1 }, { A: 'a\u0000b' }]) {
    cases.push(['start_task', { command: 'true', env: value }, /env/]);
  }
  for (const value of ['(', '[', '*', 'a{2,1}', 'x'.repeat(5000), 42]) {
    cases.push(['task_result', { task_id: 'abcd1234', grep: value }, /grep|no task/]);
  }
  for (const value of ['abc', '-1', '1e5', '../x', 42]) {
    cases.push(['task_result', { task_id: 'abcd1234', since: value }, /since|no task/]);
  }
  for (const value of ['yesterday', '1 hour', 42, '']) cases.push(['list_tasks', { since: value }, /since/]);
  for (const value of ['done', ['working', 'nope'], 42])
    cases.push(['list_tasks', { status: value }, /status/]);
  for (const value of ['abc', '1.zzzz', 42]) cases.push(['list_tasks', { cursor: value }, /cursor/]);
  for (const value of [[], 'abcd1234', [42], Array.from({ length: 101 }, () => 'abcd1234')]) {
    cases.push(['wait_tasks', { task_ids: value }, /task_ids/]);
  }
  cases.push(['wait_tasks', { task_ids: ['abcd1234'], timeout_seconds: 9999 }, /timeout_seconds/]);
  cases.push(['wait_tasks', { task_ids: ['abcd1234'], mode: 'most' }, /mode/]);
  // Scheduling arguments, on both tools that start commands.
  for (const tool of ['start_task', 'run_command']) {
    for (const value of [...WRONG_TYPES, '', ' ', 'a b', '../x', 'x'.repeat(65), 'é'])
      cases.push([tool, { command: 'true', queue: value }, /queue/]);
    for (const value of ['abcd1234', [42], ['zz'], ['ffff0000'], Array.from({ length: 101 }, () => 'abcd')])
      cases.push([tool, { command: 'true', after: value }, /after/]);
    for (const value of [-1, 11, 1.5, 'two', null, []])
      cases.push([tool, { command: 'true', retries: value }, /retries/]);
    for (const value of [-1, 3601, 'soon', []])
      cases.push([tool, { command: 'true', retry_delay_seconds: value }, /retry_delay_seconds/]);
    for (const value of ['yes', 1, []])
      cases.push([tool, { command: 'true', retry_interrupted: value }, /retry_interrupted/]);
    for (const value of ['tomorrow', '2026-13-40T99:00:00Z', '2026-12-01T10:00:00', -5, 1e12, [], {}])
      cases.push([tool, { command: 'true', not_before: value }, /not_before/]);
  }
  for (const value of [...WRONG_TYPES, '', 'a b'])
    cases.push(['configure_queue', { queue: value, paused: true }, /queue/]);
  for (const value of BAD_NUMBERS)
    cases.push(['configure_queue', { queue: 'q', max_parallel: value }, /max_parallel/]);
  cases.push(['configure_queue', { queue: 'q', max_parallel: 1025 }, /max_parallel/]);
  for (const value of ['yes', 1, []])
    cases.push(['configure_queue', { queue: 'q', paused: value }, /paused/]);
  cases.push(['configure_queue', { queue: 'q' }, /max_parallel, paused/]);
  cases.push(['task_result', { task_id: 'abcd1234', attempt: 0 }, /attempt/]);
  // Interaction arguments.
  for (const tool of ['start_task', 'run_command']) {
    for (const value of ['yes', 'PIPE', 1, true, []])
      cases.push([tool, { command: 'true', stdin: value }, /stdin/]);
    for (const value of ['yes', 1, []]) cases.push([tool, { command: 'true', tty: value }, /tty/]);
    for (const value of [0, 1001, 1.5, 'wide'])
      cases.push([tool, { command: 'true', tty: true, tty_cols: value }, /tty_cols/]);
    cases.push([tool, { command: 'true', tty_rows: 30 }, /tty_cols and tty_rows go with tty/]);
    for (const value of ['(', '', '[a-', 42, 'x'.repeat(1001)])
      cases.push([tool, { command: 'true', ready_pattern: value }, /ready_pattern/]);
  }
  for (const value of [42, null, ['x'], 'x'.repeat(1024 * 1024 + 1)])
    cases.push(['send_input', { task_id: 'abcd1234', text: value }, /text/]);
  cases.push(['send_input', { task_id: 'abcd1234', text: 'x', end: 'yes' }, /end/]);
  cases.push(['send_input', { task_id: 'abcd1234', text: 'x', secret: 1 }, /secret/]);
  for (const id of BAD_IDS) cases.push(['send_input', { task_id: id, text: 'x' }, /task_id|no task with id/]);
  for (const value of ['(', '', 42])
    cases.push(['wait_tasks', { task_ids: ['abcd1234'], until_output: value }, /until_output|no task/]);
  cases.push(['wait_tasks', { task_ids: ['abcd1234'], until_output: 'x', since: 'zz' }, /since|no task/]);
  return cases;
}

describe('hostile input: every tool, malformed arguments', () => {
  let home: TestHome;
  let mcp: McpSession;
  let outside: string[];
  before(async () => {
    home = makeHome();
    outside = readdirSync(dirname(home.path));
    mcp = await connectMcp(home);
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it('each bad call gets a clear error naming the argument, and the server keeps answering', async () => {
    const cases = corpus();
    assert.ok(cases.length > 150, `${cases.length} cases`);
    const failures: string[] = [];
    for (const [tool, args, expected] of cases) {
      const result = await mcp.call(tool, args);
      const text = result.content.map((part) => part.text ?? '').join('\n');
      if (result.isError !== true) failures.push(`${tool} ${JSON.stringify(args).slice(0, 80)}: accepted`);
      else if (!expected.test(text))
        failures.push(`${tool} ${JSON.stringify(args).slice(0, 80)}: unclear error: ${text.slice(0, 200)}`);
    }
    assert.deepEqual(failures, []);
    const { tasks } = (await mcp.ok<{ tasks: unknown[] }>('list_tasks', { limit: 5 })) as {
      tasks: unknown[];
    };
    assert.deepEqual(tasks, [], 'no bad call started a task');
  });

  it('no argument made backburner create a file outside its home', () => {
    // Other tests' scratch folders (bb-test-*) and the folder for the sockets of long homes
    // (backburner-<uid>, made by whichever test first uses one) come and go meanwhile.
    const now = readdirSync(dirname(home.path)).filter(
      (name) => !name.startsWith('bb-test-') && name !== `backburner-${process.getuid?.() ?? 0}`,
    );
    assert.deepEqual(
      now.filter((name) => !outside.includes(name)),
      [],
    );
  });
});
