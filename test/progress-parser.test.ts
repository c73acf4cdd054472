import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanOutput } from '../src/output/clean.js';
import { parseProgress } from '../src/output/progress.js';
import { summarize } from '../src/output/summary.js';

const progress = (text: string): unknown => {
  const found = parseProgress(text);
  if (found === undefined) return undefined;
  delete found.message; // checked on its own below
  return found;
};

describe('progress parsed from output', () => {
  const cases: [string, string, unknown][] = [
    ['a percentage', 'Downloading... 45%', { percent: 45 }],
    ['a decimal percentage with a space', 'done 12.5 %', { percent: 12.5 }],
    ['pytest progress', 'collected 420 items\ntests/test_a.py ........ [ 45%]', { percent: 45, total: 420 }],
    ['a bracketed counter', '[3/10] Building CXX object foo.o', { current: 3, total: 10, percent: 30 }],
    ['n of m', 'Processing file 7 of 20', { current: 7, total: 20, percent: 35 }],
    ['the latest line wins', '[1/4] a\n[2/4] b\n[3/4] c', { current: 3, total: 4, percent: 75 }],
    ['tqdm', ' 45%|████▌     | 45/100 [00:02<00:03, 20.0it/s]', { percent: 45, current: 45, total: 100 }],
    ['jest', 'Tests:       1 failed, 15 passed, 16 total', { current: 16, total: 16, percent: 100 }],
    ['vitest', '      Tests  16 passed (16)', { current: 16, total: 16, percent: 100 }],
    [
      'cargo',
      'running 15 tests\ntest result: ok. 15 passed; 0 failed; 0 ignored',
      { current: 15, total: 15, percent: 100 },
    ],
    ['pytest summary', '==== 2 failed, 416 passed, 3 skipped in 3.20s ====', { current: 418 }],
    [
      'go test -v',
      '=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n--- FAIL: TestB (0.01s)\n=== RUN   TestC',
      { current: 2 },
    ],
    ['a date is not a counter', 'started 2026/11 23 ok', undefined],
    ['a path is not a counter', 'compiling src/1/2/main.c', undefined],
    ['zero total', 'items 0/0', undefined],
    ['current above total', 'ratio 12/5', undefined],
    ['over 100 percent', 'used 250%', undefined],
    ['nothing', 'hello world', undefined],
    ['a carriage-return redraw, cleaned', cleanOutput('10%\r55%\r80%\n'), { percent: 80 }],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => assert.deepEqual(progress(text), expected));
  }

  it('keeps the line it came from as the message', () => {
    assert.equal(parseProgress('x\n[3/10] linking  \n')?.message, '[3/10] linking');
  });
});

describe('cleaning output', () => {
  it('strips colours, cursor moves and OSC titles', () => {
    assert.equal(cleanOutput('\u001b[1;31mred\u001b[0m \u001b[2K\u001b]0;title\u0007text'), 'red text');
  });
  it('collapses carriage-return redraws and CRLF endings', () => {
    assert.equal(cleanOutput('a\r\nb\r\n1%\r2%\r3%\ndone\r'), 'a\nb\n3%\ndone');
  });
});

describe('summaries in plain words', () => {
  const base = {
    task_id: 'abcd1234',
    command: 'x',
    cwd: '/',
    created_at: '2026-01-01T00:00:00.000Z',
    queue: 'default',
  };
  it('failed with an exit code and a last line', () => {
    assert.equal(
      summarize({ ...base, status: 'failed', duration_seconds: 192, exit_code: 1 }, '2 failed, 416 passed'),
      'failed after 3m12s with exit code 1; last line: 2 failed, 416 passed',
    );
  });
  it('working, timed out, killed by a signal, interrupted', () => {
    assert.equal(summarize({ ...base, status: 'working', running_for_seconds: 12 }), 'working for 12s');
    assert.equal(
      summarize({ ...base, status: 'timed_out', duration_seconds: 30, timeout_seconds: 30 }),
      'timed out after 30s (timeout 30s)',
    );
    assert.equal(
      summarize({ ...base, status: 'failed', duration_seconds: 2, signal: 'SIGKILL', exit_code: 137 }),
      'failed after 2s: killed by SIGKILL',
    );
    assert.equal(
      summarize({ ...base, status: 'interrupted', duration_seconds: 5, reason: 'the machine restarted' }),
      'interrupted after 5s: the machine restarted',
    );
  });
  it('cuts a long last line', () => {
    const text = summarize({ ...base, status: 'completed', duration_seconds: 1 }, 'y'.repeat(500));
    assert.ok(text.length < 200 && text.endsWith('…'));
  });
});
