import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { Backburner } from '../client/backburner.js';
import { readSettings } from '../shared/config.js';
import { validateQueueName } from '../shared/queues.js';
import { isTag, MAX_WORKER_TAGS } from '../remote/keys.js';
import { parseRedisUrl, redactInText } from '../remote/redis-url.js';
import { TaskWorker } from '../worker/worker.js';

export const WORKER_USAGE = `usage: backburner worker --redis URL [--name N] [--queue Q]... [--concurrency N] [--tag T]...
                         [--lost-after S]
  --redis URL       redis:// or rediss:// (TLS), with user:password@ if needed; or BACKBURNER_REDIS_URL
  --name N          this worker's name (default: the host name); one live worker per name
  --queue Q         a queue it takes tasks from (repeat for more; default: default, which gets
                    the tasks of the default queue that ask for tags)
  --concurrency N   tasks it runs at once (default 4)
  --tag T           a tag tasks may ask for (gpu, linux…; at most ${MAX_WORKER_TAGS})
  --lost-after S    seconds without this worker before its running tasks are interrupted (default 60)`;

class WorkerUsageError extends Error {}

function positive(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max)
    throw new WorkerUsageError(`${name} must be a whole number from 1 to ${max}, got '${text}'`);
  return value;
}

/** `backburner worker`: runs tasks from Redis/BullMQ queues on this host until SIGINT or SIGTERM. */
export async function workerCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        redis: { type: 'string' },
        name: { type: 'string' },
        queue: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        tag: { type: 'string', multiple: true },
        'lost-after': { type: 'string' },
      },
    });
    const url = values.redis ?? env.BACKBURNER_REDIS_URL;
    if (url === undefined) throw new WorkerUsageError('a worker needs --redis URL (or BACKBURNER_REDIS_URL)');
    const tags = [...new Set(values.tag ?? [])];
    for (const tag of tags)
      if (!isTag(tag))
        throw new WorkerUsageError(`--tag must be a short word (a-z, 0-9, _ . -), got '${tag}'`);
    if (tags.length > MAX_WORKER_TAGS)
      throw new WorkerUsageError(`a worker takes at most ${MAX_WORKER_TAGS} tags, got ${tags.length}`);
    const name = values.name ?? hostname();
    if (!isTag(name.toLowerCase()) || name !== name.toLowerCase())
      throw new WorkerUsageError(`--name must be a short lowercase word (a-z, 0-9, _ . -), got '${name}'`);
    options = {
      redis: parseRedisUrl(url, values.redis === undefined ? 'BACKBURNER_REDIS_URL' : '--redis'),
      name,
      queues: [...new Set(values.queue ?? ['default'])].map((queue) => validateQueueName(queue)),
      tags,
      concurrency: positive('--concurrency', values.concurrency, 4, 256),
      lostAfterSeconds: positive('--lost-after', values['lost-after'], 60, 86_400),
      log: (line: string) => process.stderr.write(`backburner worker: ${line}\n`),
    };
  } catch (error) {
    process.stderr.write(`backburner: ${(error as Error).message}\n${WORKER_USAGE}\n`);
    return 2;
  }
  const backburner = new Backburner(readSettings(env).home, env, process.cwd(), { keepDaemonAlive: true });
  const worker = new TaskWorker(backburner, options);
  try {
    await worker.start();
  } catch (error) {
    process.stderr.write(`backburner: ${redactInText((error as Error).message)}\n`);
    await worker.stop().catch(() => undefined);
    return 1;
  }
  const stop = (): void => {
    worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}
