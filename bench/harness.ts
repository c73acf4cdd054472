/** What every benchmark scenario shares: sessions, homes, timing, and the rows it records. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Row } from './row.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/src/cli.js');
export const MINIMAL = join(ROOT, 'dist/bench/minimal-server.js');

export const rows: Row[] = [];
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
export const spread = (values: number[], digits = 2): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${(sorted[0] ?? 0).toFixed(digits)}–${(sorted[sorted.length - 1] ?? 0).toFixed(digits)}`;
};
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export async function samples(count: number, warmup: number, run: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await run());
  return out;
}

export async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function spawnAndWait(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', env });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

export interface Session {
  client: Client;
  transport: StdioClientTransport;
  call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T>;
}

export async function connect(env: Record<string, string>, entry = CLI, args = ['serve']): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [entry, ...args],
    env,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return {
    client,
    transport,
    async call<T>(name: string, args: Record<string, unknown>) {
      const result = (await client.callTool({ name, arguments: args })) as {
        isError?: boolean;
        structuredContent?: T;
        content: { text?: string }[];
      };
      if (result.isError) throw new Error(`${name}: ${result.content[0]?.text ?? ''}`);
      return result.structuredContent as T;
    },
  };
}

export function makeHome(
  extra: Record<string, string> = {},
  parent = tmpdir(),
): { path: string; env: Record<string, string> } {
  const path = mkdtempSync(join(parent, 'bb-bench-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !key.startsWith('BACKBURNER_')) env[key] = value;
  return { path, env: { ...env, BACKBURNER_HOME: path, ...extra } };
}

export function stopDaemon(home: string): void {
  try {
    process.kill(Number(readFileSync(join(home, 'daemon.pid'), 'utf8')), 'SIGTERM');
  } catch {
    // not running
  }
}

export function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

export interface Task {
  task_id: string;
  status: string;
  started_at?: string;
  ended_at?: string;
  output?: string;
}

export async function untilEnded(session: Session, ids: string[]): Promise<Task[]> {
  for (;;) {
    const result = await session.call<{ tasks: Task[]; timed_out: boolean }>('wait_tasks', {
      task_ids: ids,
      mode: 'all',
      timeout_seconds: 50,
    });
    if (!result.timed_out) return result.tasks;
  }
}

/**
 * Records a row. `met` is the verdict on the median; with `samples` and `meets`, a row is met only if
 * every sample meets the target too.
 */
export function add(
  row: Omit<Row, 'met'>,
  met: boolean,
  samples?: number[],
  meets?: (sample: number) => boolean,
): void {
  if (samples !== undefined && meets !== undefined) met = met && samples.every(meets);
  if (row.baseline === undefined) row = { ...row, measured: `${row.measured} (absolute)` };
  rows.push({ ...row, met });
  const shown =
    row.ratio !== undefined
      ? `${row.value} ${row.unit} (baseline ${row.baseline} ${row.unit}, ${row.ratio}×)`
      : `${row.value} ${row.unit}`;
  process.stderr.write(`  ${met ? 'met ' : 'MISS'}  ${row.scenario}: ${shown}  target ${row.target}\n`);
}

/** The p-th percentile (nearest rank) of some samples. */
export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** Starts `count` tasks with at most `inFlight` calls outstanding; returns their ids in order. */
export async function submitMany(
  session: Session,
  count: number,
  inFlight: number,
  args: (index: number) => Record<string, unknown>,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      ids[index] = (await session.call<Task>('start_task', args(index))).task_id;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ids;
}
