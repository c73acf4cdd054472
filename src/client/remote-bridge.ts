import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOutput, type OutputView, type ReadRequest } from '../output/reader.js';
import { summarize } from '../output/summary.js';
import { cleanOutput } from '../output/clean.js';
import { CUT_MARKER, UNCUT, type LogLayout } from '../store/log-cap.js';
import { invalidArgument } from '../shared/errors.js';
import { DEFAULT_QUEUE } from '../shared/queues.js';
import type { TaskRecord } from '../shared/task.js';
import { RemoteTasks, type RemoteCancel } from '../remote/remote-tasks.js';
import type { RemoteRecord } from '../remote/remote-records.js';
import type { RemoteJob } from '../remote/remote-job.js';
import type { RedisTarget } from '../remote/redis-url.js';
import type { LogRead } from './backburner.js';

/** The options start_task has that tasks on workers do not have yet, and why each would mislead. */
const LOCAL_ONLY = ['after', 'retries', 'not_before', 'stdin', 'tty', 'ready_pattern'] as const;

/** A remote record as the tools show a task: the record's fields, where it runs, and a summary. */
export interface RemoteDetails extends TaskRecord {
  summary: string;
  /** Where the whole log is, when Redis holds only its end. */
  full_log?: string;
}

/**
 * What the facade asks of tasks on workers (issue 14): the same answers as for local tasks, from the
 * records and output the workers keep in Redis. The facade tries its own store first; an id it does not
 * know is looked for here.
 */
export class RemoteBridge {
  readonly tasks: RemoteTasks;

  constructor(
    target: RedisTarget,
    private readonly scratch: string,
  ) {
    this.tasks = new RemoteTasks(target);
  }

  /**
   * Whether a start goes to workers: it asks for tags, or names a queue a live worker serves. A task in
   * the default queue without tags always runs here, without asking Redis: everyday work never waits on
   * (or fails with) a Redis that is slow or out of reach.
   */
  async routes(queue: string, tags: string[] | undefined): Promise<boolean> {
    if (tags !== undefined && tags.length > 0) return true;
    return queue !== DEFAULT_QUEUE && this.tasks.served(queue, []);
  }

  async start(
    job: Omit<RemoteJob, 'task_id'>,
    queue: string,
    tags: string[],
    given: Record<string, unknown>,
  ): Promise<RemoteDetails> {
    for (const name of LOCAL_ONLY)
      if (given[name] !== undefined && given[name] !== null && given[name] !== false)
        throw invalidArgument(
          `${name} is not available for tasks on workers yet (queue '${queue}' is served by workers${tags.length > 0 ? `, tags ${tags.join(', ')}` : ''})`,
        );
    return this.details(await this.tasks.start(job, queue, tags));
  }

  async status(taskId: string): Promise<RemoteDetails> {
    return this.details(await this.tasks.get(taskId));
  }

  /** Reads what Redis holds of the output with the same reader as a local log: head, tail, since, grep. */
  async result(taskId: string, request: ReadRequest): Promise<RemoteDetails & OutputView> {
    const record = await this.tasks.get(taskId);
    const held = await this.tasks.output(record.task_id);
    mkdirSync(this.scratch, { recursive: true, mode: 0o700 });
    const file = join(this.scratch, `${record.task_id}-${process.pid}-${Date.now()}.log`);
    // What Redis no longer holds is, for the reader, a cut at the start of the log.
    const layout: LogLayout =
      held.start === 0 ? UNCUT : { headBytes: 0, droppedBytes: held.start, punched: false };
    writeFileSync(
      file,
      held.start === 0 ? held.bytes : Buffer.concat([Buffer.from(CUT_MARKER), held.bytes]),
      {
        mode: 0o600,
      },
    );
    try {
      const view = await readOutput(file, layout, request);
      return { ...this.details(record, lastLineOf(held.bytes)), ...view };
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Raw bytes of what Redis holds from a log cursor on; bytes it no longer holds count as missed. */
  async readLog(taskId: string, cursor: number, maxBytes: number): Promise<LogRead> {
    const record = await this.tasks.get(taskId);
    const held = await this.tasks.output(record.task_id);
    const from = Math.max(cursor, held.start);
    const bytes = held.bytes.subarray(from - held.start, from - held.start + maxBytes);
    return {
      bytes,
      cursor: Math.max(cursor, from + bytes.length),
      missedBytes: from - cursor > 0 ? from - cursor : 0,
      task: { id: record.task_id, status: record.status },
    };
  }

  async cancel(taskId: string): Promise<RemoteCancel & { task: RemoteDetails }> {
    const outcome = await this.tasks.cancel(taskId);
    return { ...outcome, task: this.details(outcome.record) };
  }

  async list(limit: number): Promise<RemoteDetails[]> {
    return (await this.tasks.list(limit)).map((record) => this.details(record));
  }

  close(): Promise<void> {
    return this.tasks.close();
  }

  details(record: RemoteRecord, last?: string): RemoteDetails {
    const { local_task_id, log_path, tags, worker, host, ...fields } = record;
    const task: TaskRecord = { ...fields, ...(tags === undefined ? {} : { tags }) };
    if (worker !== undefined) task.worker = worker;
    if (host !== undefined) task.host = host;
    if (record.status === 'working' && record.started_at !== undefined)
      task.running_for_seconds = (Date.now() - Date.parse(record.started_at)) / 1000;
    const where =
      worker === undefined
        ? ` (waiting for a worker${tags === undefined ? '' : ` with ${tags.join(', ')}`})`
        : ` on worker ${worker} (${host ?? '?'})`;
    const details: RemoteDetails = { ...task, summary: `${summarize(task, last)}${where}` };
    if (log_path !== undefined && local_task_id !== undefined)
      details.full_log = `${log_path} on ${host ?? worker ?? 'the worker'} (there: backburner logs ${local_task_id})`;
    return details;
  }
}

/** The last line with something on it, cleaned: for the summary. */
function lastLineOf(bytes: Buffer): string | undefined {
  const lines = cleanOutput(bytes.subarray(-4096).toString()).split('\n');
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}
