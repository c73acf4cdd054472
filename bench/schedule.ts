/**
 * The scheduler's cost: a queue of 8 against `xargs -P 8`, ten thousand tasks queued at once, and a
 * chain of dependent tasks against a shell loop. Baselines are measured in the same run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  add,
  connect,
  makeHome,
  median,
  round,
  rssKb,
  spread,
  stopDaemon,
  timed,
  untilEnded,
  type Session,
  type Task,
  percentile,
  submitMany,
} from './harness.js';

/** 1,000 tasks of 0.1 s through a queue of 8, against the same commands through `xargs -P 8`. */
async function queueOfEight(session: Session): Promise<void> {
  const count = 1000;
  const command = 'sleep 0.1';
  const xargs = await timed(async () => {
    execFileSync('sh', ['-c', `seq ${count} | xargs -P 8 -I{} sh -c '${command}'`]);
  });
  await session.call('configure_queue', { queue: 'eight', max_parallel: 8 });
  const ours = await timed(async () => {
    const ids = await submitMany(session, count, 8, () => ({ command, queue: 'eight' }));
    for (let i = 0; i < ids.length; i += 100) await untilEnded(session, ids.slice(i, i + 100));
  });
  add(
    {
      scenario: '1,000 tasks of sleep 0.1 through a queue of 8',
      measured: 'submit + drain, one run',
      value: round(ours / 1000, 2),
      unit: 's',
      baseline: round(xargs / 1000, 2),
      ratio: round(ours / xargs, 2),
      target: '≤ 1.3× xargs -P 8',
      note: `${round((ours - xargs) / count, 1)} ms more per task`,
    },
    ours / xargs <= 1.3,
  );
}

/** Ten thousand tasks queued at once: submission, the daemon's memory, and calls while they drain. */
async function tenThousand(session: Session, daemonPid: () => number): Promise<void> {
  const count = 10_000;
  const idleRss = rssKb(daemonPid());
  const idleList = await callLatencies(20, () => session.call('list_tasks', { limit: 50 }));
  const idleStart = await callLatencies(20, () =>
    session.call('start_task', { command: 'true', queue: 'probe' }),
  );
  await session.call('configure_queue', { queue: 'drain', max_parallel: 8, paused: true });
  let ids: string[] = [];
  const submit = await timed(async () => {
    ids = await submitMany(session, count, 16, () => ({ command: 'true', queue: 'drain' }));
  });
  add(
    {
      scenario: '10,000 tasks queued at once: time to submit',
      measured: '16 calls in flight',
      value: round(submit / 1000, 2),
      unit: 's',
      target: '≤ 60 s (absolute)',
      note: `${round(submit / count, 2)} ms per task`,
    },
    submit <= 60_000,
  );
  const queuedRss = rssKb(daemonPid());
  add(
    {
      scenario: '10,000 tasks queued: daemon RSS',
      measured: 'after submitting',
      value: round(queuedRss / 1024, 1),
      unit: 'MiB',
      baseline: round(idleRss / 1024, 1),
      ratio: round(queuedRss / idleRss, 2),
      target: '≤ 64 MiB more than idle',
    },
    queuedRss - idleRss <= 64 * 1024,
  );
  await session.call('configure_queue', { queue: 'drain', paused: false });
  const list = await callLatencies(40, () => session.call('list_tasks', { limit: 50 }));
  const start = await callLatencies(40, () =>
    session.call('start_task', { command: 'true', queue: 'probe' }),
  );
  for (const [name, during, idle] of [
    ['list_tasks(limit 50)', list, idleList],
    ['start_task', start, idleStart],
  ] as const) {
    add(
      {
        scenario: `${name} while 10,000 queued tasks drain`,
        measured: 'p99 of 40 calls',
        value: round(percentile(during, 99), 1),
        unit: 'ms',
        baseline: round(percentile(idle, 99), 1),
        ratio: round(percentile(during, 99) / percentile(idle, 99), 2),
        spread: spread(during, 1),
        target: '≤ 100 ms',
        note: `median ${round(median(during), 1)} ms`,
      },
      percentile(during, 99) <= 100,
    );
  }
  for (let i = 0; i < ids.length; i += 100) await untilEnded(session, ids.slice(i, i + 100));
}

async function callLatencies(count: number, call: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await timed(call));
  return out;
}

/** A chain of 200 dependent tasks of 0.05 s, end to end, against the same steps in a shell loop. */
async function chain(session: Session): Promise<void> {
  const steps = 200;
  const command = 'sleep 0.05';
  const loop = await timed(async () => {
    execFileSync('sh', ['-c', `for i in $(seq ${steps}); do sh -c '${command}'; done`]);
  });
  const ours = await timed(async () => {
    let previous: string | undefined;
    for (let i = 0; i < steps; i++) {
      const task: Task = await session.call<Task>('start_task', {
        command,
        ...(previous === undefined ? {} : { after: [previous] }),
      });
      previous = task.task_id;
    }
    const [last] = await untilEnded(session, [previous as string]);
    if (last?.status !== 'completed') throw new Error(`the chain ended ${last?.status}`);
  });
  add(
    {
      scenario: 'a chain of 200 dependent tasks of sleep 0.05',
      measured: 'submit + run, one run',
      value: round(ours / 1000, 2),
      unit: 's',
      baseline: round(loop / 1000, 2),
      ratio: round(ours / loop, 2),
      target: '≤ 1.5× a shell loop',
      note: `${round((ours - loop) / steps, 1)} ms more per step`,
    },
    ours / loop <= 1.5,
  );
}

export async function scheduling(): Promise<void> {
  const home = makeHome({ BACKBURNER_RETENTION_DAYS: '0' });
  const session = await connect(home.env);
  await session.call('list_tasks', {}); // starts the daemon
  const daemonPid = (): number => Number(readFileSync(join(home.path, 'daemon.pid'), 'utf8'));
  await queueOfEight(session);
  await chain(session);
  await tenThousand(session, daemonPid);
  await session.client.close();
  stopDaemon(home.path);
  rmSync(home.path, { recursive: true, force: true });
}
