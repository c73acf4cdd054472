import type { Engine, LaunchContext, TaskSpec } from '../engine/engine.js';
import { BackburnerError } from '../shared/errors.js';
import { effectiveQueue, type EffectiveQueue } from '../shared/queues.js';
import { isTerminal, type TaskRow, type TaskStatus } from '../shared/task.js';
import type { QueuePolicy } from '../policy/queues.js';
import type { ScheduleStore } from '../store/schedule-store.js';
import type { TaskStore } from '../store/task-store.js';
import type { PendingEnv } from './pending-env.js';

export interface SubmitRequest extends TaskSpec, LaunchContext {
  /** Exact ids of the tasks this one runs after (each must complete with exit code 0). */
  after: readonly string[];
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Decides when waiting tasks start: each queue runs at most its limit at once and nothing while paused;
 * a task starts once every task it runs after has completed and its `not_before` has passed. It keeps
 * no state of its own that matters: every decision is read from the store, so a new daemon after a
 * `kill -9` carries on where the old one stopped, and a claim (a compare-and-set) makes sure no task is
 * launched twice.
 */
export class Scheduler {
  /** Queues that may hold waiting tasks: the ones a pump looks at. */
  private readonly candidates = new Set<string>();
  private readonly launches = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | null = null;
  private pumpPending = false;
  /** Set when the daemon stops: nothing new is launched; what waits is left for the next daemon. */
  private closed = false;
  /** Ended tasks whose waiting dependants are still to be failed: a worklist, not a recursion. */
  private failing: TaskRow[] | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly store: TaskStore,
    private readonly schedule: ScheduleStore,
    private readonly pendingEnv: PendingEnv,
    private readonly queuePolicy: () => QueuePolicy,
    private readonly log: (message: string) => void,
  ) {
    // Listening from the start: the engine's recovery ends tasks, and their dependants must hear of it.
    this.engine.on('ended', (task) => this.onEnded(task));
    this.engine.on('requeued', (task) => {
      this.candidates.add(task.queue);
      this.schedulePump();
    });
    this.engine.on('reaped', () => this.schedulePump());
  }

  /** Picks up what waits in the store (after the engine's recovery) and starts what may start. */
  start(): void {
    for (const queue of this.schedule.queuesWithWaitingTasks()) this.candidates.add(queue);
    this.pendingEnv.prune((id) => {
      const row = this.store.get(id);
      return row !== undefined && row.status === 'queued';
    });
    // A daemon that died between a task's end and the update of its dependants left edges to settle.
    for (const id of this.schedule.endedDependencies()) {
      const row = this.store.get(id);
      if (row !== undefined) this.onEnded(row);
    }
    void this.pump();
  }

  /**
   * Records a task and starts it if its queue has room and nothing holds it back; otherwise it waits,
   * and its environment is written where the next daemon finds it.
   */
  async submit(request: SubmitRequest): Promise<TaskRow> {
    const { after, env, umask, ...spec } = request;
    const dependencies = [...new Set(after)].map((id) => {
      const row = this.store.get(id);
      if (row === undefined)
        throw new BackburnerError('TASK_NOT_FOUND', `after names task ${id}, which does not exist`);
      return row;
    });
    const task = this.store.db.transaction(() => {
      const created = this.engine.create(spec);
      for (const dependency of dependencies)
        this.schedule.addDependency(created.id, dependency.id, dependency.status === 'completed');
      return created;
    })();
    const context: LaunchContext = umask === undefined ? { env } : { env, umask };
    this.pendingEnv.hold(task.id, context);
    const failed = dependencies.find((row) => isTerminal(row.status) && row.status !== 'completed');
    if (failed !== undefined) {
      this.engine.failDependant(task.id, causeOf(failed), dependencyReason(failed));
      return this.store.get(task.id) ?? task;
    }
    this.candidates.add(task.queue);
    const launch = this.pump(task.id);
    // A task that waits, or that may need its environment again for a retry, keeps it on disk.
    const row = this.store.get(task.id) ?? task;
    if (row.retries > 0 || (row.status === 'queued' && row.reaped === 1)) this.pendingEnv.persist(task.id);
    if (launch === undefined) return row;
    return (await launch) ?? this.store.get(task.id) ?? task;
  }

  /** Changes a queue's settings (a null leaves one as it is) and starts what a higher limit lets start. */
  configure(name: string, settings: { maxParallel: number | null; paused: boolean | null }): EffectiveQueue {
    this.schedule.setQueue(name, settings);
    this.candidates.add(name);
    this.schedulePump();
    return this.effective(name, this.policy());
  }

  /** Whether something waits that could start without anyone's next call (paused queues do not count). */
  keepsDaemonAlive(): boolean {
    return this.schedule.hasRunnableWaiting();
  }

  /** Waits for launches under way: a stopping daemon leaves no task half-started. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.launches]);
  }

  /** Launches nothing more (the daemon is stopping); launches under way finish (see `settle`). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private effective(name: string, policy: QueuePolicy): EffectiveQueue {
    return effectiveQueue(name, this.schedule.configured(name), policy.queues.get(name) ?? {});
  }

  private policy(): QueuePolicy {
    try {
      return this.queuePolicy();
    } catch (error) {
      this.log(
        `the policy file's queue settings are not usable, so the defaults apply: ${(error as Error).message}`,
      );
      return { queues: new Map(), maxParallelLimit: null };
    }
  }

  private schedulePump(): void {
    if (this.pumpPending) return;
    this.pumpPending = true;
    setImmediate(() => {
      this.pumpPending = false;
      void this.pump();
    });
  }

  /**
   * Starts every task that may start now. Claims are made synchronously (the engine's launch claims
   * before its first await), so the slot counts read at the top stay true for the whole pump.
   * Returns the launch of `wanted` if this pump started it.
   */
  private pump(wanted?: string): Promise<TaskRow | null> | undefined {
    if (this.closed) return undefined;
    const now = Date.now();
    const occupied = this.schedule.occupiedSlots();
    const policy = this.policy();
    let launch: Promise<TaskRow | null> | undefined;
    for (const queue of [...this.candidates]) {
      const settings = this.effective(queue, policy);
      if (settings.paused) continue;
      const room = settings.max_parallel - (occupied.get(queue) ?? 0);
      if (room <= 0) continue;
      const rows = this.schedule.startable(queue, now, room);
      for (const row of rows) {
        const started = this.launch(row);
        if (row.id === wanted) launch = started;
      }
      if (rows.length < room && !this.schedule.hasWaiting(queue)) this.candidates.delete(queue);
    }
    this.armTimer(now);
    return launch;
  }

  private launch(row: TaskRow): Promise<TaskRow | null> {
    const context = this.pendingEnv.take(row.id);
    if (context === null) {
      this.engine.failWaiting(
        row.id,
        'its environment, kept while it waited, was lost (the pending-env file was removed); start it again',
      );
      return Promise.resolve(null);
    }
    // The last attempt needs the environment no more: it is forgotten the moment that attempt starts.
    if (row.attempt > row.retries) this.pendingEnv.drop(row.id);
    const launch = this.engine.launch(row.id, context).catch((error: unknown) => {
      this.log(`could not launch task ${row.id}: ${(error as Error).message}`);
      return null;
    });
    this.launches.add(launch);
    void launch.finally(() => this.launches.delete(launch));
    return launch;
  }

  /** Wakes the scheduler at the next delayed start or retry. */
  private armTimer(now: number): void {
    const next = this.schedule.nextNotBefore(now);
    if (next === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = null;
        void this.pump();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, next - now)),
    );
  }

  private onEnded(task: TaskRow): void {
    this.pendingEnv.drop(task.id);
    if (task.status === 'completed') this.schedule.satisfyDependants(task.id);
    else this.failDependants(task);
    this.schedulePump(); // a slot is free, or a dependency is met
  }

  /** Fails every task waiting on `ended`, and theirs in turn (each failure is an `ended` that comes back here). */
  private failDependants(ended: TaskRow): void {
    if (this.failing !== null) {
      this.failing.push(ended);
      return;
    }
    const pending = [ended];
    this.failing = pending;
    try {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
        const cause = causeOf(next);
        const reason = dependencyReason(next);
        for (const id of this.schedule.dependantsOf(next.id)) this.engine.failDependant(id, cause, reason);
      }
    } finally {
      this.failing = null;
    }
  }
}

/** The task whose end is the real cause: for a task failed by its own dependency, that one's cause. */
function causeOf(task: TaskRow): { id: string; status: TaskStatus } {
  if (
    task.terminated_by === 'dependency' &&
    task.failed_dependency !== null &&
    task.failed_dependency_status !== null
  )
    return { id: task.failed_dependency, status: task.failed_dependency_status };
  return { id: task.id, status: task.status };
}

function dependencyReason(task: TaskRow): string {
  if (task.terminated_by === 'dependency') {
    const cause = causeOf(task);
    return `never ran: task ${task.id}, which it was to run after, never ran either (task ${cause.id} ended ${cause.status})`;
  }
  const how = task.exit_code !== null && task.status === 'failed' ? ` with exit code ${task.exit_code}` : '';
  return `never ran: task ${task.id}, which it was to run after, ended ${task.status}${how}`;
}
