import type { Redis } from 'ioredis';
import type { TaskRecord, TaskStatus } from '../shared/task.js';
import { KEYS } from './keys.js';

/** A task sent to workers, as every reader sees it: a task record, and where it runs. */
export type RemoteRecord = Pick<
  TaskRecord,
  | 'task_id'
  | 'command'
  | 'cwd'
  | 'status'
  | 'created_at'
  | 'started_at'
  | 'ended_at'
  | 'duration_seconds'
  | 'timeout_seconds'
  | 'exit_code'
  | 'signal'
  | 'terminated_by'
  | 'reason'
  | 'label'
  | 'leftovers_ended'
  | 'worker'
  | 'host'
  | 'tags'
> & {
  queue: string;
  /** The task's id in the worker's own home, where its full log is. */
  local_task_id?: string;
  log_path?: string;
};

/**
 * Changes a record only if nobody changed it since it was read: each state has one writer (the client
 * while queued, the worker while working, anyone who finds the worker gone), and this keeps two that
 * race (a cancel and a start, an end and a loss) from both winning.
 */
const COMPARE_AND_SET = `
if redis.call('HGET', KEYS[1], 'record') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'record', ARGV[3])
  return 1
end
return 0`;

export class RemoteRecords {
  constructor(private readonly redis: Redis) {}

  async create(record: RemoteRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(KEYS.task(record.task_id), 'status', record.status, 'record', JSON.stringify(record))
      .zadd(KEYS.tasks, Date.parse(record.created_at), record.task_id)
      .exec();
  }

  async get(taskId: string): Promise<RemoteRecord | undefined> {
    const text = await this.redis.hget(KEYS.task(taskId), 'record');
    return text === null ? undefined : (JSON.parse(text) as RemoteRecord);
  }

  /**
   * Moves a task on if it is in one of `from`: `change` gets the current record and returns the next.
   * Returns the new record, or undefined when the task was not in one of `from` (someone else moved it).
   */
  async transition(
    taskId: string,
    from: readonly TaskStatus[],
    change: (current: RemoteRecord) => RemoteRecord,
  ): Promise<RemoteRecord | undefined> {
    for (;;) {
      const text = await this.redis.hget(KEYS.task(taskId), 'record');
      if (text === null) return undefined;
      const current = JSON.parse(text) as RemoteRecord;
      if (!from.includes(current.status)) return undefined;
      const next = change(current);
      const written = await this.redis.eval(
        COMPARE_AND_SET,
        1,
        KEYS.task(taskId),
        text,
        next.status,
        JSON.stringify(next),
      );
      if (written === 1) {
        await this.redis.publish(
          KEYS.eventsChannel,
          JSON.stringify({ task_id: taskId, status: next.status }),
        );
        return next;
      }
    }
  }

  /** Ids of remote tasks, newest first. */
  async ids(limit: number): Promise<string[]> {
    return this.redis.zrevrange(KEYS.tasks, 0, limit - 1);
  }

  /** Ids of remote tasks whose id starts with `prefix`, newest first (for ids given by prefix). */
  async idsStartingWith(prefix: string, limit = 1000): Promise<string[]> {
    const ids = await this.redis.zrevrange(KEYS.tasks, 0, limit - 1);
    return ids.filter((id) => id.startsWith(prefix));
  }
}

/** What the worker says of itself in Redis, renewed while it lives. */
export interface WorkerPresence {
  name: string;
  host: string;
  pid: number;
  queues: string[];
  tags: string[];
  concurrency: number;
  lost_after_seconds: number;
  started_at: string;
}

/** The record of a task whose worker was gone too long: how it ended is unknown, and it is never re-run. */
export function lost(record: RemoteRecord, reason: string): RemoteRecord {
  const now = new Date();
  return {
    ...record,
    status: 'interrupted',
    terminated_by: 'worker_lost',
    reason,
    ended_at: now.toISOString(),
    ...(record.started_at === undefined
      ? {}
      : { duration_seconds: (now.getTime() - Date.parse(record.started_at)) / 1000 }),
  };
}
