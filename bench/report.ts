/**
 * `npm run bench:report`: writes the table of docs/performance.md from bench/results/latest.json, the
 * committed results of the run it reports, so that the document quotes measurements, not hopes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './row.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BEGIN = '<!-- bench:begin (written by npm run bench:report from bench/results/latest.json) -->';
const END = '<!-- bench:end -->';

const results = JSON.parse(readFileSync(join(ROOT, 'bench/results/latest.json'), 'utf8')) as {
  date: string;
  node: string;
  cpus: number;
  rows: Row[];
  partial_runs?: { date: string; scenarios: string[] }[];
};
const partial = (results.partial_runs ?? [])
  .map(
    (run) =>
      ` The rows of ${run.scenarios.join(', ')} are from a later run of those scenarios alone, on ${run.date.slice(0, 10)}.`,
  )
  .join('');
const cell = (row: Row): string[] => [
  row.scenario,
  row.measured,
  `${row.value} ${row.unit}`.trim(),
  row.baseline === undefined ? 'absolute figure' : `${row.baseline} ${row.unit}`.trim(),
  row.ratio === undefined ? '' : `${row.ratio}×`,
  row.spread ?? '',
  row.target,
  row.met ? 'yes' : `**no**${row.note ? ` (${row.note})` : ''}`,
];
const table = [
  `Run of ${results.date.slice(0, 10)}: ${results.cpus} cores, Node ${results.node}. Values are medians unless the row says otherwise; "spread" is the range of all samples; a row is met only if every sample meets its target.${partial}`,
  '',
  '| scenario | measured | value | baseline (same run) | ratio | spread | target | met |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.rows.map((row) => `| ${cell(row).join(' | ')} |`),
].join('\n');
const path = join(ROOT, 'docs/performance.md');
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
if (start === -1 || end === -1) throw new Error(`docs/performance.md lacks the ${BEGIN} … ${END} markers`);
writeFileSync(path, `${doc.slice(0, start + BEGIN.length)}\n\n${table}\n\n${doc.slice(end)}`);
console.log(`docs/performance.md: table written from the run of ${results.date}`);
