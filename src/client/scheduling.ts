import { effectiveQueue, DEFAULT_QUEUE, type EffectiveQueue } from '../shared/queues.js';
import type { TaskRow, TaskStatus, TerminatedBy } from '../shared/task.js';
import type { QueuePolicy } from '../policy/queues.js';
import type { AttemptRow, ScheduleStore } from '../store/schedule-store.js';
import type { TaskStore } from '../store/task-store.js';

/** What a record says about its place in the schedule, besides its stored fields. */
export interface SchedulingInsight {
  /** While queued: its place among the tasks waiting in its queue (1 is next). */
  queue_position?: number;
  /** While queued: what it waits for, in plain words. */
  waiting_for?: string[];
  /** The tasks it runs after, while any of them has not completed. */
  after?: string[];
  /** With retries: each attempt that ran, with its exit code and times. */
  attempt_history?: AttemptRecord[];
}

export interface AttemptRecord {
  attempt: number;
  status?: TaskStatus;
  exit_code?: number;
  signal?: string;
  terminated_by?: TerminatedBy;
  started_at?: string;
  ended_at?: string;
}

export interface QueueView extends EffectiveQueue {
  running: number;
  waiting: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function attemptRecord(row: AttemptRow): AttemptRecord {
  const record: AttemptRecord = { attempt: row.attempt };
  if (row.status !== null) record.status = row.status;
  if (row.exit_code !== null && (row.status === 'completed' || row.status === 'failed'))
    record.exit_code = row.exit_code;
  if (row.signal !== null) record.signal = row.signal;
  if (row.terminated_by !== null) record.terminated_by = row.terminated_by;
  if (row.started_at !== null) record.started_at = iso(row.started_at);
  if (row.ended_at !== null) record.ended_at = iso(row.ended_at);
  return record;
}

/** Reads of the schedule for records and listings: straight from the store, like every other read. */
export class ScheduleView {
  constructor(
    private readonly tasks: TaskStore,
    private readonly schedule: ScheduleStore,
    private readonly policy: () => QueuePolicy,
  ) {}

  queue(name: string): EffectiveQueue {
    return effectiveQueue(name, this.schedule.configured(name), this.policy().queues.get(name) ?? {});
  }

  /** Every queue anyone set up or uses now, with its limit and its running and waiting counts. */
  queues(): QueueView[] {
    const running = this.schedule.occupiedSlots();
    const waiting = this.schedule.waitingCounts();
    const names = new Set<string>([
      DEFAULT_QUEUE,
      ...this.schedule.queueSettingsAll().map((row) => row.name),
      ...this.policy().queues.keys(),
      ...running.keys(),
      ...waiting.keys(),
    ]);
    return [...names].sort().map((name) => ({
      ...this.queue(name),
      running: running.get(name) ?? 0,
      waiting: waiting.get(name) ?? 0,
    }));
  }

  /** A waiting task's place in its queue (1 is next): all a listing needs of the schedule. */
  placeInQueue(row: TaskRow): number {
    return this.schedule.placeInQueue(row);
  }

  insight(row: TaskRow, now: number = Date.now()): SchedulingInsight {
    const insight: SchedulingInsight = {};
    const pending = this.schedule.unsatisfiedDependencies(row.id);
    if (pending.length > 0 && row.status === 'queued') insight.after = pending;
    if (row.retries > 0) {
      const attempts = this.schedule.attempts(row.id).filter((attempt) => attempt.started_at !== null);
      if (attempts.length > 0) insight.attempt_history = attempts.map(attemptRecord);
    }
    if (row.status !== 'queued') return insight;
    insight.queue_position = this.schedule.placeInQueue(row);
    insight.waiting_for = this.waitingFor(row, pending, now);
    return insight;
  }

  private waitingFor(row: TaskRow, pending: string[], now: number): string[] {
    if (row.reaped === 0)
      return [row.pid === null ? 'nothing: it is starting' : 'the processes of its last attempt to end'];
    const reasons: string[] = [];
    for (const id of pending) {
      const dependency = this.tasks.get(id);
      reasons.push(`task ${id} to complete (it is ${dependency?.status ?? 'gone'})`);
    }
    if (row.not_before !== null && row.not_before > now)
      reasons.push(
        row.attempt > 1
          ? `the back-off before attempt ${row.attempt}, until ${iso(row.not_before)}`
          : `its start time, ${iso(row.not_before)}`,
      );
    const queue = this.queue(row.queue);
    if (queue.paused) reasons.push(`queue '${row.queue}' to be resumed (it is paused)`);
    else if (reasons.length === 0) {
      const running = this.schedule.occupiedSlots().get(row.queue) ?? 0;
      reasons.push(`a free slot in queue '${row.queue}' (${running} of ${queue.max_parallel} running)`);
    }
    return reasons;
  }

  /** The logical range of an attempt's output: from its marker line to the next attempt's. */
  attemptRange(row: TaskRow, attempt: number): { from: number; to: number | null } | null {
    const found = this.schedule.attempt(row.id, attempt);
    if (found === undefined) return null;
    const next = this.schedule.attempt(row.id, attempt + 1);
    return { from: found.log_offset, to: next?.log_offset ?? null };
  }

  /** The last attempt that started, if the task is one that retries. */
  lastStartedAttempt(row: TaskRow): number | null {
    if (row.retries === 0) return null;
    const attempts = this.schedule.attempts(row.id).filter((attempt) => attempt.started_at !== null);
    return attempts[attempts.length - 1]?.attempt ?? null;
  }
}
