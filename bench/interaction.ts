/**
 * Waking on output: how long after a task prints a line `wait_tasks(until_output)` answers, against a
 * `tail -F | grep -m1` pipeline on the same kind of line, measured in the same run.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { add, connect, makeHome, median, round, spread, stopDaemon, type Task } from './harness.js';

const SAMPLES = 15;

/** The line carries the time it was written, so that the reader's latency is read off the line itself. */
const latencyOf = (line: string): number => Date.now() - Number(/READY (\d+)/.exec(line)?.[1] ?? NaN);

async function tailGrep(dir: string): Promise<number> {
  const file = join(dir, 'baseline.log');
  writeFileSync(file, 'starting\n');
  const pipeline = spawn('sh', ['-c', `tail -n0 -F ${file} 2>/dev/null | grep -m1 READY`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const line = new Promise<string>((resolve) => {
    let out = '';
    pipeline.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out);
    });
  });
  await sleep(300); // let tail start following
  appendFileSync(file, `READY ${Date.now()}\n`);
  const latency = latencyOf(await line);
  pipeline.kill();
  return latency;
}

export async function wakeOnOutput(): Promise<void> {
  const home = makeHome();
  const session = await connect(home.env);
  const baseline: number[] = [];
  for (let i = 0; i < SAMPLES; i++) baseline.push(await tailGrep(home.path));
  const ours: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const gate = join(home.path, `gate-${i}`);
    const task = await session.call<Task>('start_task', {
      command: `while [ ! -e ${gate} ]; do sleep 0.01; done; node -e 'console.log("READY " + Date.now())'; sleep 5`,
    });
    const waiting = session.call<{ output_match?: { line: string } }>('wait_tasks', {
      task_ids: [task.task_id],
      until_output: '^READY',
      timeout_seconds: 30,
    });
    await sleep(300); // the wait has begun
    writeFileSync(gate, '');
    const result = await waiting;
    ours.push(latencyOf(result.output_match?.line ?? ''));
    await session.call('cancel_task', { task_id: task.task_id });
  }
  add(
    {
      scenario: 'a printed line → wait_tasks(until_output) answers',
      measured: `median of ${SAMPLES}`,
      value: round(median(ours), 1),
      unit: 'ms',
      baseline: round(median(baseline), 1),
      ratio: round(median(ours) / Math.max(0.1, median(baseline)), 2),
      spread: spread(ours, 1),
      target: '≤ 100 ms (median)',
      note: `baseline: tail -F | grep -m1, spread ${spread(baseline, 1)}`,
    },
    median(ours) <= 100,
  );
  await session.client.close();
  stopDaemon(home.path);
  rmSync(home.path, { recursive: true, force: true });
}
