import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { BackburnerError, invalidArgument } from '../shared/errors.js';
import { isTerminal } from '../shared/task.js';
import { bullQueueFor, isTag, jobIdOf, KEYS } from './keys.js';
import { heldOutput, type HeldOutput } from './output-stream.js';
import { lost, RemoteRecords, type RemoteRecord, type WorkerPresence } from './remote-records.js';
import type { RemoteJob } from './remote-job.js';
import { redactInText, type RedisTarget } from './redis-url.js';

const CANCEL_REPLY_MS = 20_000;
const END_AFTER_CANCEL_MS = 15_000;
const LOOK_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RemoteCancel {
  record: RemoteRecord;
  changed: boolean;
  processes_ended: number;
  message: string;
}

/**
 * The client's side of tasks on workers: sends them (a record in Redis, a BullMQ job), reads their
 * records and output, cancels them, and applies the one rule readers own: a task whose worker has not
 * been seen for its lost_after_seconds is `interrupted` with `terminated_by: "worker_lost"`.
 */
export class RemoteTasks {
  private readonly redis: Redis;
  private readonly records: RemoteRecords;
  private readonly queues = new Map<string, Queue>();

  constructor(readonly target: RedisTarget) {
    this.redis = new Redis(target.url, { maxRetriesPerRequest: 3, lazyConnect: true });
    this.redis.on('error', () => undefined); // each command reports its own failure
    this.records = new RemoteRecords(this.redis);
  }

  /** The workers alive now. */
  async workers(): Promise<WorkerPresence[]> {
    const names = await this.call(() => this.redis.smembers(KEYS.workers));
    if (names.length === 0) return [];
    const found = await this.redis.mget(names.map((name) => KEYS.worker(name)));
    return found.filter((text) => text !== null).map((text) => JSON.parse(text) as WorkerPresence);
  }

  /** The workers alive now, each with how many tasks it runs. */
  async workersWithLoad(): Promise<(WorkerPresence & { running: number })[]> {
    const workers = await this.workers();
    const running = await Promise.all(
      workers.map((worker) => this.redis.scard(KEYS.workerTasks(worker.name))),
    );
    return workers
      .map((worker, index) => ({ ...worker, running: running[index] ?? 0 }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Whether a live worker takes tasks of this queue with these tags: then such a task goes to workers. */
  async served(queue: string, tags: readonly string[]): Promise<boolean> {
    const workers = await this.workers();
    return workers.some(
      (worker) => worker.queues.includes(queue) && tags.every((tag) => worker.tags.includes(tag)),
    );
  }

  async start(
    job: Omit<RemoteJob, 'task_id'>,
    queue: string,
    tags: readonly string[],
  ): Promise<RemoteRecord> {
    for (const tag of tags)
      if (!isTag(tag)) throw invalidArgument(`tags must be short words (a-z, 0-9, _ . -), got '${tag}'`);
    const taskId = randomBytes(4).toString('hex');
    const record: RemoteRecord = {
      task_id: taskId,
      command: job.command,
      cwd: job.cwd ?? '(the worker’s directory)',
      status: 'queued',
      created_at: new Date().toISOString(),
      queue,
      ...(tags.length === 0 ? {} : { tags: [...tags] }),
      ...(job.label === undefined ? {} : { label: job.label }),
      ...(job.timeout_seconds === undefined ? {} : { timeout_seconds: job.timeout_seconds }),
    };
    await this.call(() => this.records.create(record));
    await this.bullQueue(bullQueueFor(queue, tags)).add(
      'task',
      { ...job, task_id: taskId },
      { jobId: jobIdOf(taskId), attempts: 1, removeOnComplete: 1000, removeOnFail: 1000 },
    );
    return record;
  }

  /** A remote task's record, or undefined if no remote task has this id (or unique prefix). */
  async find(idOrPrefix: string): Promise<RemoteRecord | undefined> {
    const exact = await this.call(() => this.records.get(idOrPrefix));
    if (exact !== undefined) return this.settled(exact);
    if (idOrPrefix.length < 4) return undefined;
    const candidates = await this.records.idsStartingWith(idOrPrefix);
    if (candidates.length > 1)
      throw invalidArgument(
        `task id prefix '${idOrPrefix}' is ambiguous: it matches ${candidates.length} tasks on workers; give more characters`,
      );
    const only = candidates[0];
    const record = only === undefined ? undefined : await this.records.get(only);
    return record === undefined ? undefined : this.settled(record);
  }

  async get(taskId: string): Promise<RemoteRecord> {
    const record = await this.find(taskId);
    if (record === undefined) throw new BackburnerError('TASK_NOT_FOUND', `no task with id '${taskId}'`);
    return record;
  }

  async list(limit: number): Promise<RemoteRecord[]> {
    const ids = await this.call(() => this.records.ids(limit));
    const found = await Promise.all(ids.map((id) => this.records.get(id)));
    return Promise.all(found.filter((record) => record !== undefined).map((record) => this.settled(record)));
  }

  /** What Redis holds of a task's output (the last few MiB; the full log is in the worker's home). */
  async output(taskId: string): Promise<HeldOutput> {
    return this.call(() => heldOutput(this.redis, taskId));
  }

  /**
   * Cancels a remote task: a queued one is taken off its queue here; a running one is ended, tree and
   * all, by the worker that runs it, which says how many processes that ended.
   */
  async cancel(taskId: string): Promise<RemoteCancel> {
    const record = await this.get(taskId);
    if (isTerminal(record.status))
      return {
        record,
        changed: false,
        processes_ended: 0,
        message: `task ${record.task_id} had already ended (${record.status}); nothing was changed`,
      };
    if (record.status === 'queued') {
      const cancelled = await this.records.transition(record.task_id, ['queued'], (current) => ({
        ...current,
        status: 'cancelled',
        terminated_by: 'cancel',
        ended_at: new Date().toISOString(),
      }));
      if (cancelled !== undefined) {
        await this.bullQueue(bullQueueFor(record.queue, record.tags ?? []))
          .remove(jobIdOf(record.task_id))
          .catch(() => 0);
        return {
          record: cancelled,
          changed: true,
          processes_ended: 0,
          message: 'cancelled before it started',
        };
      }
      return this.cancel(taskId); // a worker took it meanwhile
    }
    const reply = await this.askWorker(record);
    const final = await this.endAfterCancel(record.task_id);
    const ended = typeof reply.processes_ended === 'number' ? reply.processes_ended : 0;
    return {
      record: final,
      changed: final.status === 'cancelled',
      processes_ended: ended,
      message:
        typeof reply.error === 'string'
          ? `worker ${record.worker ?? '?'}: ${reply.error}`
          : `cancelled on worker ${record.worker ?? '?'} (${record.host ?? '?'}); ended ${ended} process${ended === 1 ? '' : 'es'}`,
    };
  }

  /** Deletes an ended task's record and output from Redis (its log on the worker's host stays there). */
  async remove(taskId: string): Promise<{ task_id: string; deleted: boolean }> {
    const record = await this.get(taskId);
    if (!isTerminal(record.status))
      throw invalidArgument(`task ${record.task_id} is ${record.status}; cancel it before deleting it`);
    await this.redis
      .multi()
      .del(KEYS.task(record.task_id), KEYS.output(record.task_id))
      .zrem(KEYS.tasks, record.task_id)
      .exec();
    return { task_id: record.task_id, deleted: true };
  }

  /** Waits until any (or all) of the tasks have ended, or the time is up; returns their records. */
  async waitForEnd(taskIds: string[], mode: 'any' | 'all', timeoutMs: number): Promise<RemoteRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const records = await Promise.all(taskIds.map((id) => this.get(id)));
      const ended = records.filter((record) => isTerminal(record.status)).length;
      if ((mode === 'any' ? ended > 0 : ended === records.length) || Date.now() >= deadline) return records;
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.redis.disconnect();
  }

  /** A working task whose worker is gone (its presence expired) is interrupted, once, by whoever looks. */
  private async settled(record: RemoteRecord): Promise<RemoteRecord> {
    if (record.status !== 'working' || record.worker === undefined) return record;
    if ((await this.redis.exists(KEYS.worker(record.worker))) === 1) return record;
    const name = record.worker;
    const interrupted = await this.records.transition(record.task_id, ['working'], (current) =>
      lost(
        current,
        `worker ${name} (${current.host ?? 'unknown host'}) stopped answering; how the task ended is unknown`,
      ),
    );
    return interrupted ?? (await this.records.get(record.task_id)) ?? record;
  }

  private async askWorker(record: RemoteRecord): Promise<Record<string, unknown>> {
    const replyTo = KEYS.replyChannel(randomUUID());
    const listener = this.redis.duplicate();
    try {
      await listener.subscribe(replyTo);
      const answered = new Promise<Record<string, unknown>>((resolve) => {
        listener.on('message', (_channel: string, text: string) =>
          resolve(JSON.parse(text) as Record<string, unknown>),
        );
      });
      for (const started = Date.now(); Date.now() - started < CANCEL_REPLY_MS;) {
        await this.redis.publish(
          KEYS.cancelChannel,
          JSON.stringify({ task_id: record.task_id, reply_to: replyTo }),
        );
        const reply = await Promise.race([answered, sleep(1000).then(() => undefined)]);
        if (reply !== undefined) return reply;
        // No answer yet: the worker may be between claiming the task and starting it, or gone.
        const now = await this.get(record.task_id);
        if (isTerminal(now.status)) return { processes_ended: 0 };
      }
      return { error: `no answer to the cancel within ${CANCEL_REPLY_MS / 1000} s` };
    } finally {
      listener.disconnect();
    }
  }

  private async endAfterCancel(taskId: string): Promise<RemoteRecord> {
    const deadline = Date.now() + END_AFTER_CANCEL_MS;
    for (;;) {
      const record = await this.get(taskId);
      if (isTerminal(record.status) || Date.now() >= deadline) return record;
      await sleep(LOOK_MS);
    }
  }

  private bullQueue(name: string): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: { url: this.target.url } });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Redis failures say where (without the password) and what, as one kind of error. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      return await operation();
    } catch (error) {
      if (error instanceof BackburnerError) throw error;
      throw new BackburnerError(
        'INTERNAL',
        `Redis at ${this.target.shown} did not answer: ${redactInText((error as Error).message)}`,
      );
    }
  }
}
