import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diskBytes } from '../src/store/hole-punch.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { closeSession, connectMcp, openSession, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('reading output: head, tail, since, grep, max_bytes, cleaning', () => {
  let home: TestHome;
  let mcp: McpSession;
  let numbers: string; // a task that printed 1..2000
  before(async () => {
    home = makeHome();
    mcp = await connectMcp(home);
    numbers = (await mcp.ok<Task>('start_task', { command: 'seq 1 2000' })).task_id;
    await ended(mcp, numbers);
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });
  const read = (args: Record<string, unknown>): Promise<Task> =>
    mcp.ok<Task>('task_result', { task_id: numbers, ...args });

  it('head_lines reads from the start, and with tail_lines both ends', async () => {
    assert.equal((await read({ head_lines: 3 })).output, '1\n2\n3');
    assert.equal((await read({ head_lines: 2, tail_lines: 2 })).output, '1\n2\n[...]\n1999\n2000');
  });

  it('grep returns matching lines with 1-based numbers and context, destroying nothing', async () => {
    const result = await read({ grep: '^1[05]00$', context_lines: 1 });
    assert.equal(result.output, '999-999\n1000:1000\n1001-1001\n--\n1499-1499\n1500:1500\n1501-1501');
    assert.equal(result.match_count, 2);
    const capped = await read({ grep: '7$', max_matches: 3 });
    assert.equal(capped.output, '7:7\n17:17\n27:27');
    assert.equal(capped.match_count, 200);
    assert.match(capped.truncated ?? '', /first 3 of 200/);
    assert.equal((await read({})).output_total_lines, 2000, 'the log is intact');
    assert.match(
      await mcp.error('task_result', { task_id: numbers, grep: '(' }),
      /grep is not a valid regular expression: "\("/,
    );
  });

  it('max_bytes cuts the answer and says how to read the rest', async () => {
    const result = await read({ tail_lines: 2000, max_bytes: 300 });
    const output = result.output ?? '';
    assert.ok(Buffer.byteLength(output) <= 300);
    assert.ok(output.endsWith('1999\n2000'));
    assert.match(result.truncated ?? '', /left out to stay within max_bytes=300/);
    const whole = await read({ tail_lines: 100 });
    assert.equal(whole.truncated, undefined);
    assert.equal((whole.output ?? '').split('\n').length, 100);
  });

  it('since=next_cursor returns only what is new, across calls, while the task runs', async () => {
    const gate = join(home.path, 'gate-since');
    const task = await mcp.ok<Task>('start_task', {
      command: `echo one; echo two; ${fixture('exit-after.sh')} ${gate} 0`,
    });
    const first = await waitFor('two lines', async () => {
      const result = await mcp.ok<Task>('task_result', { task_id: task.task_id });
      return result.output === 'one\ntwo' ? result : undefined;
    });
    const nothingNew = await mcp.ok<Task>('task_result', { task_id: task.task_id, since: first.next_cursor });
    assert.equal(nothingNew.output, '');
    assert.equal(nothingNew.next_cursor, first.next_cursor);
    writeFileSync(gate, '');
    await ended(mcp, task.task_id);
    const rest = await mcp.ok<Task>('task_result', { task_id: task.task_id, since: first.next_cursor });
    assert.equal(rest.output, 'finishing with 0');
    assert.match(
      await mcp.error('task_result', { task_id: task.task_id, since: 'abc' }),
      /since must be a next_cursor value/,
    );
  });

  it('since with max_bytes reads on in pieces without losing a byte', async () => {
    let cursor = '0';
    const pieces: string[] = [];
    for (let i = 0; i < 100; i++) {
      const part = await read({ since: cursor, max_bytes: 1000 });
      if (part.output === '') break;
      pieces.push(part.output ?? '');
      cursor = part.next_cursor ?? '';
    }
    assert.ok(pieces.length > 5);
    assert.equal(pieces.join('\n'), Array.from({ length: 2000 }, (_, i) => String(i + 1)).join('\n'));
  });

  it('strips ANSI escapes and collapses carriage-return redraws unless raw', async () => {
    const task = await mcp.ok<Task>('start_task', {
      // tput sgr0 ends colour with ESC ( B; progress tools save and restore the cursor with ESC 7 / ESC 8.
      // (an octal escape would swallow the digit after ESC, so the line is printed in three parts).
      command: String.raw`printf '\033[31mred\033(B\033[m text\n10%%\r50%%\r\033'; printf '7100%%\033'; printf '8\ndone\n'`,
    });
    await ended(mcp, task.task_id);
    assert.equal(
      (await mcp.ok<Task>('task_result', { task_id: task.task_id })).output,
      'red text\n100%\ndone',
    );
    const grep = await mcp.ok<Task>('task_result', { task_id: task.task_id, grep: '^red text$' });
    assert.equal(grep.match_count, 1, 'grep reads the cleaned line');
    const raw = await mcp.ok<Task>('task_result', { task_id: task.task_id, raw: true });
    assert.equal(raw.output, '\u001b[31mred\u001b(B\u001b[m text\n10%\r50%\r\u001b7100%\u001b8\ndone');
  });
});

describe('bounded disk: the per-task cap keeps head and tail', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => {
    ({ home, mcp } = await openSession({ BACKBURNER_MAX_LOG_BYTES: '256K' }));
  });
  after(() => closeSession({ home, mcp }));

  it('a task writing 156 MiB keeps the first and last lines, stays bounded on disk, and counts every dropped byte', async () => {
    const task = await mcp.ok<Task>('start_task', {
      // About 156 MiB of numbered lines at about 30 MB/s (two MiB, then 20 ms of rest).
      // Unpaced (`seq | sed`, ~300 MB/s) the bound below measured the scheduler: on a loaded 2-core
      // machine the daemon's 10 ms looks were seen 260 ms apart with its event loop idle, and a writer
      // that fast adds 78 MB meanwhile. The benchmark measures the cap behind a 1 GB/s writer.
      command: `${process.execPath} ${fixture('paced-lines.mjs')} 4000000 50000 20`,
    });
    const log = join(home.path, 'logs', `${task.task_id}.log`);
    let largest = 0;
    const done = await waitFor(
      'the writer to finish',
      async () => {
        largest = Math.max(largest, diskBytes(log));
        const status = await mcp.ok<Task>('task_status', { task_id: task.task_id });
        return status.status === 'working' ? undefined : status;
      },
      120_000,
    );
    assert.equal(done.status, 'completed', 'the cap never kills the task');
    // What the cap keeps is within it once the last cut is punched (a partial block at each edge aside).
    await waitFor('the final cut', () => diskBytes(log) <= 256 * 1024 + 8192);
    const head = await mcp.ok<Task>('task_result', { task_id: task.task_id, head_lines: 1 });
    assert.equal(head.output, '1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    const tail = await mcp.ok<Task>('task_result', { task_id: task.task_id, tail_lines: 1 });
    assert.equal(tail.output, '4000000 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    // The numbers take 30,888,896 bytes with their newlines; each of the 4,000,000 lines adds 32 more.
    const written = 30_888_896 + 4_000_000 * 32;
    assert.equal(tail.next_cursor, String(written), 'the cursor at the end counts every byte written');

    // Every kept line is whole, the numbers run without a gap on each side of the one marker, and the
    // dropped count is exactly the bytes of the lines between: nothing was lost uncounted.
    const all = await mcp.ok<Task>('task_result', {
      task_id: task.task_id,
      since: '0',
      raw: true,
      max_bytes: 4 * 1024 * 1024,
    });
    const lines = (all.output ?? '').split('\n');
    const markerAt = lines.findIndex((line) => line.includes('middle of this log was dropped'));
    assert.ok(markerAt > 0, 'one marker line');
    const numbers = lines
      .filter((_, i) => i !== markerAt && i !== markerAt - 1)
      .map((line) => {
        assert.match(line, /^\d+ x{31}$/);
        return Number(line.split(' ')[0]);
      });
    assert.equal(lines[markerAt - 1], '', 'the marker starts on a line of its own');
    const lastHead = numbers[markerAt - 2] ?? 0;
    const firstTail = numbers[markerAt - 1] ?? 0;
    numbers.forEach((n, i) => assert.equal(n, i < markerAt - 1 ? i + 1 : firstTail + i - (markerAt - 1)));
    assert.equal(numbers.at(-1), 4_000_000);
    let between = 0;
    for (let n = lastHead + 1; n < firstTail; n++) between += String(n).length + 33;
    assert.equal(tail.dropped_bytes, between);

    // The daemon looks every 10 ms; a loaded machine delays it, but never by a third of the flood.
    assert.ok(
      largest < written / 3,
      `the log stayed bounded on disk while the task ran (largest ${largest} bytes)`,
    );
  });
});
