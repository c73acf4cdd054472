import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { matchNewLines } from '../src/output/line-match.js';
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

describe('matchNewLines: each new line once, across read chunks', () => {
  const dir = scratchDir('match');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a line that straddles a chunk boundary, with its number and the cursor after it', () => {
    // 256 KiB chunks: line 3000 starts before the first boundary and ends after it.
    const filler = (n: number): string => `${String(n).padStart(6, '0')} ${'x'.repeat(80)}`;
    const lines = Array.from({ length: 5000 }, (_, i) => filler(i + 1));
    const boundary = 256 * 1024;
    let offset = 0;
    let straddling = -1;
    for (let i = 0; i < lines.length; i++) {
      const end = offset + Buffer.byteLength(lines[i] as string) + 1;
      if (offset < boundary && end > boundary) straddling = i;
      offset = end;
    }
    lines[straddling] = `${(lines[straddling] as string).slice(0, 40)} NEEDLE ${'y'.repeat(40)}`;
    const path = join(dir, 'straddle.log');
    const content = `${lines.join('\n')}\n`;
    writeFileSync(path, content);
    const scan = matchNewLines(path, UNCUT, 0, /NEEDLE/, false);
    assert.equal(scan.match?.line_number, straddling + 1);
    assert.equal(scan.match?.line, lines[straddling]);
    const after = Buffer.byteLength(lines.slice(0, straddling + 1).join('\n')) + 1;
    assert.equal(scan.match?.next_cursor, String(after));
    // From just after it, nothing else matches, and the scan ends at the end of the log.
    const rest = matchNewLines(path, UNCUT, after, /NEEDLE/, false);
    assert.deepEqual([rest.match, rest.cursor], [null, Buffer.byteLength(content)]);
  });
});
