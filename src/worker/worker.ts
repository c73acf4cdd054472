import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Backburner, TaskDetails } from '../client/backburner.js';
import { BackburnerError } from '../shared/errors.js';
import { isTerminal } from '../shared/task.js';
import { bullQueuesServedBy, KEYS } from '../remote/keys.js';
import { appendOutput, trimEndedOutput } from '../remote/output-stream.js';
import { lost, RemoteRecords, type RemoteRecord, type WorkerPresence } from '../remote/remote-records.js';
import type { RemoteJob } from '../remote/remote-job.js';
import { redactInText, type RedisTarget } from '../remote/redis-url.js';
import { Slots } from './slots.js';

export interface WorkerOptions {
  redis: RedisTarget;
  name: string;
  queues: string[];
  tags: string[];
  /** How many tasks it runs at once, across its queues. */
  concurrency: number;
  /** After this long without the worker's presence, its running tasks are declared lost. */
  lostAfterSeconds: number;
  log: (line: string) => void;
}

const RELAY_MS = 250;
const WAIT_SLICE_SECONDS = 30;
const READ_BATCH = 1024 * 1024;

/**
 * `backburner worker`: takes tasks from BullMQ queues and runs each with this host's own backburner
 * (its daemon, wrapper, limits, tree kill and log), so a task on a worker is as honest as a local one.
 * BullMQ delivers the job; the truth about the task is the record the worker writes in Redis.
 */
export class TaskWorker {
  private readonly redis: Redis;
  private readonly listener: Redis;
  private readonly records: RemoteRecords;
  private readonly slots: Slots;
  private readonly workers: Worker[] = [];
  private readonly followed = new Map<string, Promise<void>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly presence: WorkerPresence;
  private stopping = false;

  constructor(
    private readonly backburner: Backburner,
    private readonly options: WorkerOptions,
  ) {
    const redisOptions = { maxRetriesPerRequest: null, lazyConnect: true };
    this.redis = new Redis(options.redis.url, redisOptions);
    this.listener = new Redis(options.redis.url, redisOptions);
    for (const client of [this.redis, this.listener])
      client.on('error', (error: Error) => options.log(`redis: ${redactInText(error.message)}`));
    this.records = new RemoteRecords(this.redis);
    this.slots = new Slots(options.concurrency);
    this.presence = {
      name: options.name,
      host: hostname(),
      pid: process.pid,
      queues: options.queues,
      tags: options.tags,
      concurrency: options.concurrency,
      lost_after_seconds: options.lostAfterSeconds,
      started_at: new Date().toISOString(),
    };
  }

  async start(): Promise<void> {
    await Promise.all([this.redis.connect(), this.listener.connect()]);
    await this.claimName();
    await this.beat();
    this.heartbeat = setInterval(
      () => void this.beat().catch(() => undefined),
      (this.options.lostAfterSeconds * 1000) / 4,
    );
    await this.listener.subscribe(KEYS.cancelChannel);
    this.listener.on('message', (_channel: string, message: string) => void this.onCancel(message));
    await this.adopt();
    const connection = { url: this.options.redis.url };
    for (const queue of bullQueuesServedBy(this.options.queues, this.options.tags)) {
      const worker = new Worker(queue, (job: Job<RemoteJob>) => this.run(job.data), {
        connection,
        concurrency: this.options.concurrency,
        // A command may not be safe to run twice: a job whose worker vanished fails, it is never re-run.
        maxStalledCount: 0,
      });
      worker.on('error', (error: Error) =>
        this.options.log(`queue ${queue}: ${redactInText(error.message)}`),
      );
      this.workers.push(worker);
    }
    this.options.log(
      `worker ${this.options.name} on ${this.presence.host}: queues ${this.options.queues.join(', ')}${this.options.tags.length > 0 ? `; tags ${this.options.tags.join(', ')}` : ''}; ${this.options.concurrency} at once; Redis ${this.options.redis.shown}`,
    );
  }

  /**
   * Stops taking tasks. The running ones go on under this host's daemon, and the presence is left to
   * expire rather than removed: a worker started again within lost_after_seconds adopts them.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    await Promise.all(this.workers.map((worker) => worker.close(true)));
    this.redis.disconnect();
    this.listener.disconnect();
  }

  /** One name, one live worker: a second with the same name would adopt the first one's tasks. */
  private async claimName(): Promise<void> {
    const text = await this.redis.get(KEYS.worker(this.options.name));
    if (text === null) return;
    const other = JSON.parse(text) as WorkerPresence;
    const sameProcessGone = other.host === this.presence.host && !isAlive(other.pid);
    if (!sameProcessGone)
      throw new BackburnerError(
        'INVALID_ARGUMENT',
        `a worker named ${this.options.name} is already running (pid ${other.pid} on ${other.host}); give this one another --name`,
      );
  }

  private async beat(): Promise<void> {
    await this.redis
      .multi()
      .set(
        KEYS.worker(this.options.name),
        JSON.stringify(this.presence),
        'PX',
        this.options.lostAfterSeconds * 1000,
      )
      .sadd(KEYS.workers, this.options.name)
      .exec();
  }

  /** A job: claim the task (unless it was cancelled meanwhile), start it here, follow it to its end. */
  private async run(job: RemoteJob): Promise<string> {
    await this.slots.acquire();
    try {
      const claimed = await this.records.transition(job.task_id, ['queued'], (record) => ({
        ...record,
        status: 'working',
        worker: this.options.name,
        host: this.presence.host,
        started_at: new Date().toISOString(),
      }));
      if (claimed === undefined) return 'not queued any more';
      await this.redis.sadd(KEYS.workerTasks(this.options.name), job.task_id);
      let local: TaskDetails;
      try {
        local = await this.backburner.start({
          command: job.command,
          ...(job.cwd === undefined ? {} : { cwd: job.cwd }),
          ...(job.env === undefined ? {} : { env: job.env }),
          ...(job.timeout_seconds === undefined ? {} : { timeout_seconds: job.timeout_seconds }),
          ...(job.label === undefined ? {} : { label: job.label }),
          ...(job.max_memory_mb === undefined ? {} : { max_memory_mb: job.max_memory_mb }),
          ...(job.max_cpu_seconds === undefined ? {} : { max_cpu_seconds: job.max_cpu_seconds }),
        });
      } catch (error) {
        const reason = `worker ${this.options.name} did not start it: ${(error as Error).message}`;
        await this.records.transition(job.task_id, ['working'], (record) => ({
          ...record,
          status: 'failed',
          terminated_by: 'spawn_error',
          reason,
          ended_at: new Date().toISOString(),
          duration_seconds: 0,
        }));
        await this.redis.srem(KEYS.workerTasks(this.options.name), job.task_id);
        throw new UnrecoverableError(reason);
      }
      await this.records.transition(job.task_id, ['working'], (record) => ({
        ...record,
        cwd: local.cwd,
        local_task_id: local.task_id,
        log_path: this.backburner.logFile(local.task_id),
      }));
      await this.follow(job.task_id, local.task_id);
      return 'ended';
    } finally {
      this.slots.release();
    }
  }

  /** Relays the local task's output to Redis and, at its end, writes its true end in the record. */
  private follow(taskId: string, localId: string): Promise<void> {
    const known = this.followed.get(taskId);
    if (known !== undefined) return known;
    const followed = this.relayUntilEnd(taskId, localId).finally(() => this.followed.delete(taskId));
    this.followed.set(taskId, followed);
    return followed;
  }

  private async relayUntilEnd(taskId: string, localId: string): Promise<void> {
    let cursor = Number((await this.redis.hget(KEYS.task(taskId), 'relayed')) ?? 0);
    let relaying = Promise.resolve();
    const relay = (): Promise<void> =>
      (relaying = relaying.then(async () => {
        for (;;) {
          const read = await this.backburner.readLog(localId, cursor, READ_BATCH);
          if (read.bytes.length === 0) return;
          await appendOutput(this.redis, taskId, cursor + read.missedBytes, read.bytes);
          cursor = read.cursor;
          await this.redis.hset(KEYS.task(taskId), 'relayed', String(cursor));
          if (read.bytes.length < READ_BATCH) return;
        }
      }));
    const timer = setInterval(() => void relay().catch(() => undefined), RELAY_MS);
    try {
      for (;;) {
        const answer = await this.backburner.wait([localId], 'any', WAIT_SLICE_SECONDS);
        if (!answer.timed_out || this.stopping) break;
      }
    } finally {
      clearInterval(timer);
    }
    if (this.stopping) return;
    await relay();
    const local = await this.backburner.status(localId);
    await this.records.transition(taskId, ['working'], (record) => ended(record, local));
    await trimEndedOutput(this.redis, taskId);
    await this.redis.srem(KEYS.workerTasks(this.options.name), taskId);
  }

  /**
   * After a restart: the tasks this worker had started. One still running here is followed again; one
   * that ended meanwhile gets its true end; one the others declared lost (the worker was away too long)
   * is ended here, so that nothing runs that nobody can see.
   */
  private async adopt(): Promise<void> {
    const ids = await this.redis.smembers(KEYS.workerTasks(this.options.name));
    for (const taskId of ids) {
      const record = await this.records.get(taskId);
      const localId = record?.local_task_id ?? (await this.startedUnrecorded(record));
      if (record === undefined || localId === undefined) {
        if (record?.status === 'working')
          await this.records.transition(taskId, ['working'], (current) =>
            lost(current, `worker ${this.options.name} stopped before the task started`),
          );
        await this.redis.srem(KEYS.workerTasks(this.options.name), taskId);
        continue;
      }
      if (isTerminal(record.status)) {
        await this.backburner.cancel(localId).catch(() => undefined);
        await this.redis.srem(KEYS.workerTasks(this.options.name), taskId);
        continue;
      }
      if (record.local_task_id === undefined)
        await this.records.transition(taskId, ['working'], (current) => ({
          ...current,
          local_task_id: localId,
          log_path: this.backburner.logFile(localId),
        }));
      this.options.log(`adopting task ${taskId} (here ${localId})`);
      void this.follow(taskId, localId).catch((error: Error) =>
        this.options.log(`task ${taskId}: ${redactInText(error.message)}`),
      );
    }
  }

  /**
   * The local task a worker started for a record it had claimed but not yet linked (it was killed between
   * the two): the one task of this home with the same command, created since the claim.
   */
  private async startedUnrecorded(record: RemoteRecord | undefined): Promise<string | undefined> {
    if (record?.status !== 'working' || record.started_at === undefined) return undefined;
    const claimedAt = Date.parse(record.started_at);
    const { tasks } = await this.backburner.list({ limit: 50 });
    const candidates = tasks.filter(
      (task) => task.command === record.command && Date.parse(task.created_at) >= claimedAt - 1000,
    );
    return candidates.length === 1 ? candidates[0]?.task_id : undefined;
  }

  /** A cancel request: if the task runs here, end its tree and say how many processes that ended. */
  private async onCancel(message: string): Promise<void> {
    let request: { task_id?: unknown; reply_to?: unknown };
    try {
      request = JSON.parse(message) as typeof request;
    } catch {
      return;
    }
    if (typeof request.task_id !== 'string' || typeof request.reply_to !== 'string') return;
    const record = await this.records.get(request.task_id);
    if (record?.worker !== this.options.name || record.local_task_id === undefined) return;
    let reply: Record<string, unknown>;
    try {
      const outcome = await this.backburner.cancel(record.local_task_id);
      reply = { processes_ended: outcome.processes_ended, message: outcome.message };
    } catch (error) {
      reply = { error: (error as Error).message };
    }
    await this.redis.publish(request.reply_to, JSON.stringify(reply));
  }
}

/** The remote record of a task that ended here, from the local record. */
function ended(record: RemoteRecord, local: TaskDetails): RemoteRecord {
  const next: RemoteRecord = { ...record, status: local.status };
  for (const field of [
    'exit_code',
    'signal',
    'terminated_by',
    'reason',
    'ended_at',
    'duration_seconds',
  ] as const) {
    const value = local[field];
    if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
  }
  if (local.leftovers_ended !== undefined) next.leftovers_ended = local.leftovers_ended;
  return next;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
