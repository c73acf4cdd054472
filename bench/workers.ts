/**
 * Tasks on workers (issue 14): 1,000 short tasks across 4 workers against the same on one local daemon
 * (same run, same parallelism), the latency from a remote task's output line to a reader that follows its
 * stream, and Redis's memory per 1,000 finished tasks. Redis is Debian's redis-server on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import {
  add,
  CLI,
  connect,
  makeHome,
  median,
  round,
  stopDaemon,
  timed,
  untilEnded,
  percentile,
  submitMany,
  type Session,
} from './harness.js';

const TASKS = 1000;
const WORKERS = 4;
const PER_WORKER = 2;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function drain(session: Session, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) await untilEnded(session, ids.slice(i, i + 100));
}

export async function workers(): Promise<void> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redisServer = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const redis = new Redis(url, { lazyConnect: true });
  redis.on('error', () => undefined); // refused until redis-server listens: the loop below retries
  await until(async () => {
    try {
      await redis.connect();
      return true;
    } catch {
      return false;
    }
  });
  const children: ChildProcess[] = [];
  const homes: string[] = [];
  try {
    // Baseline: one local daemon, a queue of the same parallelism.
    const local = makeHome();
    homes.push(local.path);
    const here = await connect(local.env);
    await here.call('configure_queue', { queue: 'bench', max_parallel: WORKERS * PER_WORKER });
    const localMs = await timed(async () =>
      drain(here, await submitMany(here, TASKS, 8, () => ({ command: 'true', queue: 'bench' }))),
    );
    await here.client.close();

    for (let index = 0; index < WORKERS; index++) {
      const home = makeHome();
      homes.push(home.path);
      const child = spawn(
        process.execPath,
        [
          CLI,
          'worker',
          '--redis',
          url,
          '--name',
          `bench-${index}`,
          '--queue',
          'bench',
          '--concurrency',
          String(PER_WORKER),
        ],
        { env: home.env, stdio: 'ignore' },
      );
      children.push(child);
    }
    await until(async () => (await redis.keys('bb:worker:*')).length === WORKERS);
    const client = makeHome({ BACKBURNER_REDIS_URL: url });
    homes.push(client.path);
    const there = await connect(client.env);
    const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const remoteMs = await timed(async () =>
      drain(
        there,
        await submitMany(there, TASKS, 8, () => ({ command: 'echo one short line', queue: 'bench' })),
      ),
    );
    const memoryAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    add(
      {
        scenario: `1,000 short tasks across ${WORKERS} workers (${PER_WORKER} each)`,
        measured: 'submit + drain, one run',
        value: round(remoteMs / 1000, 2),
        unit: 's',
        baseline: round(localMs / 1000, 2),
        ratio: round(remoteMs / localMs, 2),
        target: '≤ 3× one local daemon, same parallelism',
        note: `${round((remoteMs - localMs) / TASKS, 1)} ms more per task`,
      },
      remoteMs / localMs <= 3,
    );
    const perThousand = ((memoryAfter - memoryBefore) / TASKS) * 1000;
    add(
      {
        scenario: 'Redis memory per 1,000 finished tasks',
        measured: 'used_memory after − before',
        value: round(perThousand / 1024 / 1024, 2),
        unit: 'MiB',
        target: '≤ 10 MiB (records, outputs, BullMQ jobs kept)',
      },
      perThousand <= 10 * 1024 * 1024,
    );

    // Output latency: a task prints its clock every 50 ms; a follower blocks on the task's stream.
    const printer = await there.call<{ task_id: string }>('start_task', {
      command: `node -e "let n=0; const t=setInterval(()=>{console.log('at '+Date.now()); if(++n===200) clearInterval(t)}, 50)"`,
      queue: 'bench',
    });
    const follower = redis.duplicate();
    const latencies: number[] = [];
    let last = '$';
    while (latencies.length < 190) {
      const read = (await follower.xread('BLOCK', 5000, 'STREAMS', `bb:out:${printer.task_id}`, last)) as
        [string, [string, string[]][]][] | null;
      if (read === null) break;
      const seen = Date.now();
      for (const [id, fields] of read[0]?.[1] ?? []) {
        last = id;
        const data = fields[fields.indexOf('d') + 1] ?? '';
        for (const match of data.matchAll(/at (\d+)/g)) latencies.push(seen - Number(match[1]));
      }
    }
    follower.disconnect();
    add(
      {
        scenario: "a remote task's output line to a reader following its stream",
        measured: `median of ${latencies.length} lines`,
        value: round(median(latencies), 0),
        unit: 'ms',
        target: '≤ 500 ms (the worker relays every 250 ms)',
        spread: `p99 ${round(percentile(latencies, 99), 0)} ms`,
      },
      median(latencies) <= 500,
    );
    await there.client.close();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    redis.disconnect();
    redisServer.kill('SIGTERM');
    for (const home of homes) stopDaemon(home);
  }
}
