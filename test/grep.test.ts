import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readOutput, type ReadRequest } from '../src/output/reader.js';
import { UNCUT } from '../src/store/log-cap.js';
import { scratchDir } from './helpers/home.js';

/** What grep -n would print, computed the plain way, line by line. */
function expected(lines: string[], pattern: RegExp, context: number): string {
  const out: string[] = [];
  let last = 0;
  const hits = new Set<number>();
  lines.forEach((line, i) => {
    if (pattern.test(line)) hits.add(i);
  });
  const shown = new Set<number>();
  for (const i of hits)
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) shown.add(k);
  for (const i of [...shown].sort((a, b) => a - b)) {
    if (context > 0 && last !== 0 && i + 1 > last + 1) out.push('--');
    out.push(`${i + 1}${hits.has(i) ? ':' : '-'}${lines[i]}`);
    last = i + 1;
  }
  return out.join('\n');
}

describe('grep over a large log: block skipping gives exactly what line-by-line grep gives', () => {
  const dir = scratchDir('grep');
  after(() => rmSync(dir, { recursive: true, force: true }));
  // About 6 MiB: several 1 MiB blocks, rare matches near block boundaries, one non-ASCII line.
  const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} some filler text here`);
  for (const i of [0, 37_000, 37_001, 74_500, 150_123, 199_999]) lines[i] = `ERROR needle-${i} here`;
  lines[120_000] = 'naïve ERROR needle-unicode é';
  const path = join(dir, 'big.log');
  writeFileSync(path, `${lines.join('\n')}\n`);
  const request = (grep: RegExp, contextLines: number): ReadRequest => ({
    grep,
    contextLines,
    maxMatches: 1000,
    maxBytes: 1024 * 1024,
    raw: false,
  });

  for (const [pattern, context] of [
    [/needle-\d+/, 0],
    [/needle-\d+/, 2],
    [/^ERROR/, 1],
    [/é$/, 0],
    [/line 4999[0-9]\b/, 0],
    [/(?<=ERROR )needle/, 0],
    [/NEEDLE/i, 0],
    // A {n} quantifier: its digits are not text every match contains (they were once taken for it).
    [/line 1{3}0 /, 0],
    [/needle-[0-9]{5}/, 0],
    [/[A-Z]{3,100}/, 0],
  ] as const) {
    it(`${pattern} with ${context} lines of context`, async () => {
      const view = await readOutput(path, UNCUT, request(pattern, context));
      assert.equal(view.output, expected(lines, pattern, context));
    });
  }
});
