import { DaemonClient } from '../daemon/client.js';
import { BackburnerError, invalidArgument, quote, taskNotFound } from '../shared/errors.js';
import { recordRefusal } from '../policy/audit.js';
import { decide, type Decision } from '../policy/decide.js';
import { loadPolicy } from '../policy/rules.js';
import { isTerminal, toRecord, type TaskRecord, type TaskRow, type TaskStatus } from '../shared/task.js';
import {
  validateCommand,
  validateCwd,
  validateEnv,
  validateIntegerInRange,
  validateLabel,
  validateSince,
  validateTaskId,
  validateTimeout,
  validateBoolean,
  validateNotBefore,
  validateRetries,
  validateRetryDelay,
  MAX_AFTER,
  MAX_RETRIES,
  validatePattern,
  validateTty,
  MAX_INPUT_BYTES,
} from '../shared/validate.js';
import { MAX_PARALLEL, validateQueueName } from '../shared/queues.js';
import { policyFilePath, QueuePolicyFile, type QueuePolicy } from '../policy/queues.js';
import { ScheduleStore } from '../store/schedule-store.js';
import { ScheduleView, type QueueView, type SchedulingInsight } from './scheduling.js';
import { insight, recentOutput, type TaskInsight } from '../output/insight.js';
import { grepOffThread } from '../output/off-thread.js';
import { readOutput, type OutputView } from '../output/reader.js';
import { openDatabase } from '../store/database.js';
import { ensureHome, type HomePaths } from '../store/home.js';
import { layoutOf, logicalOffset, physicalOffset } from '../store/log-cap.js';
import { LogView } from '../store/log-view.js';
import { logPath } from '../store/logs.js';
import { TaskStore, type TaskFilter } from '../store/task-store.js';
import {
  DEFAULT_WAIT_SECONDS,
  MAX_CPU_SECONDS,
  MAX_MEMORY_MB,
  parseListCursor,
  parseReadRequest,
  parseStatuses,
  validateLimit,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  type ListOptions,
  type InputOptions,
  type QueueOptions,
  type RestartOptions,
  type ResultOptions,
  type StartOptions,
} from './arguments.js';
import type { WaitProgress } from './wait.js';
import { answerWait, type WaitResult as WaitAnswer } from './wait-answer.js';
import { RemoteBridge } from './remote-bridge.js';
import type { WorkerPresence } from '../remote/remote-records.js';
import { waitAcrossHosts } from './remote-wait.js';
import { parseRedisUrl, redisFromEnv } from '../remote/redis-url.js';
import { redisUrlInPolicyFile } from '../policy/redis-setting.js';
import { isTag } from '../remote/keys.js';

export type TaskDetails = TaskRecord & TaskInsight & SchedulingInsight;
export type WaitResult = WaitAnswer<TaskDetails>;
export type TaskResult = TaskDetails & OutputView & { output_attempt?: number };
/** A task in a listing: its record, and a queued one's place in its queue. */
export type ListedTask = TaskRecord & { queue_position?: number };
/** Bytes of a log from a cursor, and the task as it was just before they were read. */
export interface LogRead {
  bytes: Buffer;
  cursor: number;
  missedBytes: number;
  task: { id: string; status: TaskStatus };
}

export interface CancelResult {
  task: TaskRecord;
  /** False when the task had already ended and nothing was changed. */
  changed: boolean;
  processes_ended: number;
  message: string;
}

const SHORT_TAIL_LINES = 10;
const SHORT_TAIL_BYTES = 2048;

/**
 * What every adapter (the MCP server, the CLI) calls. It validates, applies the caller's policy, sends
 * changes to the daemon, and reads records and logs straight from the store, so that reads keep working
 * while a daemon restarts. It holds no task state of its own.
 */
export class Backburner {
  readonly daemon: DaemonClient;
  private opened: { paths: HomePaths; store: TaskStore; schedule: ScheduleView } | undefined;
  /** Tasks on workers, when BACKBURNER_REDIS_URL is set (null: looked, not configured). */
  private bridge: RemoteBridge | null | undefined;

  constructor(
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly baseCwd: string = process.cwd(),
    options: { keepDaemonAlive?: boolean } = {},
  ) {
    this.daemon = new DaemonClient(home, env, options.keepDaemonAlive ?? false);
  }

  /**
   * The home and its database, opened on first use rather than at construction: a server whose home is
   * unusable (owned by someone else, say) still starts and answers every call with the reason.
   */
  get paths(): HomePaths {
    return this.open().paths;
  }

  private get store(): TaskStore {
    return this.open().store;
  }

  private get schedule(): ScheduleView {
    return this.open().schedule;
  }

  private open(): { paths: HomePaths; store: TaskStore; schedule: ScheduleView } {
    if (this.opened === undefined) {
      const paths = ensureHome(this.home);
      const db = openDatabase(paths.database);
      const store = new TaskStore(db);
      const policyFile = new QueuePolicyFile(policyFilePath(this.env, paths.root));
      this.opened = {
        paths,
        store,
        schedule: new ScheduleView(store, new ScheduleStore(db), () => policyFile.read()),
      };
    }
    return this.opened;
  }

  async start(options: StartOptions, restartedFrom: string | null = null): Promise<TaskDetails> {
    const command = validateCommand(options.command);
    const timeoutSeconds = validateTimeout(options.timeout_seconds);
    const label = validateLabel(options.label);
    const extraEnv = validateEnv(options.env);
    const queue = validateQueueName(options.queue);
    const tags = validateTags(options.tags);
    const bridge = this.remote();
    if (tags.length > 0 && bridge === undefined)
      throw invalidArgument(
        `tags (${tags.join(', ')}) pick worker hosts, but no Redis is configured: set BACKBURNER_REDIS_URL`,
      );
    if (bridge !== undefined && (await bridge.routes(queue, tags))) {
      // The worker checks its own policy again; this one is the caller's, before anything leaves.
      this.refuseByPolicy(command, options.cwd === undefined ? '(worker)' : String(options.cwd), extraEnv);
      return (await bridge.start(
        {
          command,
          ...(typeof options.cwd === 'string' ? { cwd: options.cwd } : {}),
          ...(Object.keys(extraEnv).length === 0 ? {} : { env: extraEnv }),
          ...(timeoutSeconds === null ? {} : { timeout_seconds: timeoutSeconds }),
          ...(label === null ? {} : { label }),
          ...(typeof options.max_memory_mb === 'number' ? { max_memory_mb: options.max_memory_mb } : {}),
          ...(typeof options.max_cpu_seconds === 'number'
            ? { max_cpu_seconds: options.max_cpu_seconds }
            : {}),
        },
        queue,
        tags,
        { ...options },
      )) as TaskDetails;
    }
    const cwd = validateCwd(options.cwd, this.baseCwd);
    const limits = {
      memoryMb: validateLimit(
        'max_memory_mb',
        options.max_memory_mb,
        this.env.BACKBURNER_MAX_MEMORY_MB,
        MAX_MEMORY_MB,
      ),
      cpuSeconds: validateLimit(
        'max_cpu_seconds',
        options.max_cpu_seconds,
        this.env.BACKBURNER_MAX_CPU_SECONDS,
        MAX_CPU_SECONDS,
      ),
    };
    const retries = validateRetries(options.retries);
    const retryDelaySeconds = validateRetryDelay(options.retry_delay_seconds);
    const retryInterrupted = validateBoolean('retry_interrupted', options.retry_interrupted);
    const notBefore = validateNotBefore(options.not_before);
    const after = this.resolveAfter(options.after);
    const tty = validateTty(options.tty, options.tty_cols, options.tty_rows);
    if (
      options.stdin !== undefined &&
      options.stdin !== null &&
      options.stdin !== 'pipe' &&
      options.stdin !== 'null'
    )
      throw invalidArgument(
        `stdin must be "pipe" (input through send_input) or "null", got ${quote(options.stdin)}`,
      );
    const stdinPipe = options.stdin === 'pipe' || tty !== null;
    const readyPattern = validatePattern('ready_pattern', options.ready_pattern);
    this.refuseByPolicy(command, cwd, extraEnv);
    const { task } = await this.daemon.request('start', {
      command,
      cwd,
      timeoutSeconds,
      label,
      limits,
      umask: process.umask(),
      env: { ...inheritedEnvironment(this.env), ...extraEnv },
      queue,
      after,
      notBefore,
      retries,
      retryDelaySeconds,
      retryInterrupted,
      restartedFrom,
      envNames: Object.keys(extraEnv),
      stdinPipe,
      tty,
      readyPattern: readyPattern === null ? null : String(options.ready_pattern), // as given: .source escapes /
    });
    return this.details(task); // fresh from the daemon: no second round trip
  }

  private refuseByPolicy(command: string, cwd: string, extraEnv: Record<string, string>): void {
    const decision = this.checkPolicy(command, Object.keys(extraEnv));
    if (!decision.allowed) {
      recordRefusal(this.paths.root, { command, cwd, decision });
      throw new BackburnerError('COMMAND_REFUSED', decision.message);
    }
  }

  /** Tasks on workers, if Redis is configured (BACKBURNER_REDIS_URL, else "redis" in the policy file). */
  private remote(): RemoteBridge | undefined {
    if (this.bridge === undefined) {
      const inFile = redisUrlInPolicyFile(policyFilePath(this.env, this.paths.root));
      const target =
        redisFromEnv(this.env) ??
        (inFile === undefined ? undefined : parseRedisUrl(inFile, `"redis" in the policy file`));
      this.bridge =
        target === undefined ? null : new RemoteBridge(target, `${this.paths.root}/remote-output`);
    }
    return this.bridge ?? undefined;
  }

  /** The workers alive now (with Redis configured), each with how many tasks it runs. */
  async workers(): Promise<(WorkerPresence & { running: number })[]> {
    const bridge = this.remote();
    if (bridge === undefined)
      throw invalidArgument(
        'no Redis is configured: set BACKBURNER_REDIS_URL (or "redis" in the policy file)',
      );
    return bridge.tasks.workersWithLoad();
  }

  /** A local task's answer; for an id this home does not know, the answer for a task on workers. */
  private async localOrRemote<T>(
    taskId: unknown,
    local: () => Promise<T>,
    remote: (bridge: RemoteBridge, id: string) => Promise<T>,
  ): Promise<T> {
    try {
      return await local();
    } catch (error) {
      const bridge =
        error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND' ? this.remote() : undefined;
      if (bridge === undefined) throw error;
      return remote(bridge, validateTaskId(taskId));
    }
  }

  /**
   * Starts a new task like an earlier one: the same command, cwd, queue, limits, retries and label.
   * Values given in `env` are never stored past a task's start, so they must be given again.
   */
  async restart(taskId: unknown, options: RestartOptions = {}): Promise<TaskDetails> {
    const row = await this.read(taskId);
    const extraEnv = validateEnv(options.env);
    const names: string[] = row.env_names === null ? [] : (JSON.parse(row.env_names) as string[]);
    const missing = names.filter((name) => !Object.prototype.hasOwnProperty.call(extraEnv, name));
    if (missing.length > 0) {
      throw invalidArgument(
        `task ${row.id} was started with env ${missing.join(', ')}, whose values are never kept after a task starts: give them again (restart_task with env, or backburner restart ${row.id} --env NAME=VALUE)`,
      );
    }
    return this.start(
      {
        command: row.command,
        cwd: row.cwd,
        timeout_seconds: row.timeout_seconds ?? undefined,
        label: row.label ?? undefined,
        max_memory_mb: row.max_memory_mb ?? undefined,
        max_cpu_seconds: row.max_cpu_seconds ?? undefined,
        queue: row.queue,
        retries: row.retries,
        retry_delay_seconds: row.retry_delay_seconds,
        retry_interrupted: row.retry_interrupted === 1,
        stdin: row.stdin_pipe === 1 ? 'pipe' : undefined,
        tty: row.tty_cols !== null ? true : undefined,
        tty_cols: row.tty_cols ?? undefined,
        tty_rows: row.tty_rows ?? undefined,
        ready_pattern: row.ready_pattern ?? undefined,
        env: extraEnv,
      },
      row.id,
    );
  }

  /**
   * Writes `text` to a running task's input (started with stdin: "pipe" or tty: true); `end` then closes
   * it. The text is never echoed back; `secret` also keeps it out of the record.
   */
  async sendInput(taskId: unknown, text: unknown, options: InputOptions = {}): Promise<TaskDetails> {
    const id = this.resolve(validateTaskId(taskId)).id;
    const end = validateBoolean('end', options.end);
    const secret = validateBoolean('secret', options.secret);
    if (typeof text !== 'string')
      throw invalidArgument(`text must be a string, got ${secret ? 'a hidden value' : quote(text)}`);
    if (text === '' && !end)
      throw invalidArgument('text must not be empty (or give end: true to close the input)');
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_INPUT_BYTES)
      throw invalidArgument(`text is too long: ${bytes} bytes, at most ${MAX_INPUT_BYTES}; send it in parts`);
    const { task } = await this.daemon.request('sendInput', { id, text, end, secret });
    return this.details(task);
  }

  /** Sets a queue's parallel limit or pause (durably); the policy file may cap the limit. */
  async configureQueue(name: unknown, options: QueueOptions): Promise<QueueView> {
    const queue = validateQueueName(name ?? undefined);
    const maxParallel =
      options.max_parallel === undefined || options.max_parallel === null
        ? null
        : validateIntegerInRange('max_parallel', options.max_parallel, 1, MAX_PARALLEL);
    const paused =
      options.paused === undefined || options.paused === null
        ? null
        : validateBoolean('paused', options.paused);
    if (maxParallel === null && paused === null)
      throw invalidArgument('configure_queue needs max_parallel, paused, or both');
    const cap = this.queuePolicy().maxParallelLimit;
    if (maxParallel !== null && cap !== null && maxParallel > cap) {
      throw invalidArgument(
        `max_parallel must be at most ${cap} (max_parallel_limit in the policy file), got ${maxParallel}`,
      );
    }
    await this.daemon.request('configureQueue', { name: queue, maxParallel, paused });
    return this.queueView(queue);
  }

  /** Every queue with its limit, pause, and running and waiting counts. */
  async listQueues(): Promise<QueueView[]> {
    await this.daemonReady();
    return this.schedule.queues();
  }

  private queueView(name: string): QueueView {
    const found = this.schedule.queues().find((queue) => queue.name === name);
    return found ?? { ...this.schedule.queue(name), running: 0, waiting: 0 };
  }

  private queuePolicy(): QueuePolicy {
    return new QueuePolicyFile(policyFilePath(this.env, this.paths.root)).read();
  }

  /** The tasks a new task runs after: ids or unique prefixes, each of which must exist. */
  private resolveAfter(after: unknown): string[] {
    if (after === undefined || after === null) return [];
    const list = typeof after === 'string' ? [after] : after;
    if (!Array.isArray(list))
      throw invalidArgument(`after must be an array of task ids, got ${quote(after)}`);
    if (list.length > MAX_AFTER)
      throw invalidArgument(`after may name at most ${MAX_AFTER} tasks, got ${list.length}`);
    return [
      ...new Set(
        list.map((entry, index) => {
          try {
            return this.resolve(validateTaskId(entry)).id;
          } catch (error) {
            if (error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND')
              throw invalidArgument(
                `after[${index}] names no task: ${quote(entry)} (a task can only run after tasks that exist already)`,
              );
            throw error;
          }
        }),
      ),
    ];
  }

  async status(taskId: unknown): Promise<TaskDetails> {
    return this.localOrRemote(
      taskId,
      async () => this.details(await this.read(taskId)),
      async (bridge, id) => (await bridge.status(id)) as TaskDetails,
    );
  }

  async result(taskId: unknown, options: ResultOptions = {}): Promise<TaskResult> {
    return this.localOrRemote(
      taskId,
      () => this.localResult(taskId, options),
      async (bridge, id) => (await bridge.result(id, parseReadRequest(options))) as TaskResult,
    );
  }

  private async localResult(taskId: unknown, options: ResultOptions): Promise<TaskResult> {
    const request = parseReadRequest(options);
    const row = await this.read(taskId);
    const attempt = this.attemptToRead(row, options.attempt, request.since !== undefined);
    if (attempt !== null) {
      const range = this.schedule.attemptRange(row, attempt);
      if (range !== null) request.range = range;
    }
    const { grep } = request;
    const view =
      grep === undefined
        ? await readOutput(this.logFile(row.id), layoutOf(row), request)
        : await grepOffThread(this.logFile(row.id), layoutOf(row), { ...request, grep }, this.grepBudgetMs());
    if (row.log_removed === 1)
      view.output = '[the log of this task was removed by the retention policy or the home quota]';
    const result: TaskResult = { ...this.details(row), ...view };
    if (request.range !== undefined && attempt !== null) result.output_attempt = attempt;
    return result;
  }

  /**
   * Which attempt of a retried task a read shows: the one asked for, else the last that started
   * (except for a `since` read, which follows the whole log); null for a task without retries.
   */
  private attemptToRead(row: TaskRow, asked: unknown, followsCursor: boolean): number | null {
    const last = this.schedule.lastStartedAttempt(row);
    if (asked === undefined || asked === null) return followsCursor ? null : last;
    const attempt = validateIntegerInRange('attempt', asked, 1, MAX_RETRIES + 1);
    if (last === null || attempt > last) {
      throw invalidArgument(
        last === null
          ? `attempt: task ${row.id} has ${row.retries === 0 ? 'no retries' : 'not started an attempt yet'}, so there is no attempt ${attempt} to read`
          : `attempt must be between 1 and ${last} (the attempts task ${row.id} has started), got ${attempt}`,
      );
    }
    return attempt;
  }

  async cancel(taskId: unknown): Promise<CancelResult> {
    return this.localOrRemote(
      taskId,
      () => this.localCancel(taskId),
      async (bridge, id) => {
        const { task, changed, processes_ended, message } = await bridge.cancel(id);
        return { task, changed, processes_ended, message };
      },
    );
  }

  private async localCancel(taskId: unknown): Promise<CancelResult> {
    const id = this.resolve(validateTaskId(taskId)).id;
    const outcome = await this.daemon.request('cancel', { id });
    const task = toRecord(outcome.task);
    const message = outcome.changed
      ? `cancelled; ended ${outcome.processesEnded} process${outcome.processesEnded === 1 ? '' : 'es'}`
      : `task had already ended (${task.status}); nothing changed`;
    return { task, changed: outcome.changed, processes_ended: outcome.processesEnded, message };
  }

  async delete(taskId: unknown): Promise<{ task_id: string; deleted: boolean }> {
    return this.localOrRemote(
      taskId,
      () => this.deleteLocal(taskId),
      (bridge, id) => bridge.tasks.remove(id),
    );
  }

  private async deleteLocal(taskId: unknown): Promise<{ task_id: string; deleted: boolean }> {
    const id = this.resolve(validateTaskId(taskId)).id;
    const { deleted } = await this.daemon.request('delete', { id });
    return { task_id: id, deleted };
  }

  async list(options: ListOptions = {}): Promise<{ tasks: ListedTask[]; next_cursor?: string }> {
    const limit = validateIntegerInRange('limit', options.limit ?? DEFAULT_LIST_LIMIT, 1, MAX_LIST_LIMIT);
    const filter: TaskFilter = {};
    const statuses = parseStatuses(options.status);
    if (statuses !== undefined) filter.statuses = statuses;
    const label = validateLabel(options.label);
    if (label !== null) filter.label = label;
    if (options.cwd !== undefined && options.cwd !== null)
      filter.cwd = validateCwd(options.cwd, this.baseCwd);
    if (options.queue !== undefined && options.queue !== null)
      filter.queue = validateQueueName(options.queue);
    const since = validateSince('since', options.since);
    if (since !== undefined) filter.createdSince = since;
    const before = parseListCursor(options.cursor);
    if (before !== undefined) filter.before = before;
    await this.daemonReady();
    const rows = this.store.query(filter, limit + 1);
    const now = Date.now();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const tasks = page.map((row): ListedTask => {
      const record: ListedTask = toRecord(row, now);
      delete record.pid; // a listing is for finding tasks; task_status has the pid
      if (row.status === 'queued') record.queue_position = this.schedule.placeInQueue(row);
      return record;
    });
    const listing: { tasks: ListedTask[]; next_cursor?: string } =
      rows.length > limit && last !== undefined
        ? { tasks, next_cursor: `${last.created_at}.${last.id}` }
        : { tasks };
    const bridge = this.remote();
    if (bridge === undefined || before !== undefined) return listing;
    // Tasks on workers join the first page, newest first (the next pages are this home's).
    const remote = (await bridge.list(limit)).filter(
      (task) =>
        (filter.statuses === undefined || filter.statuses.includes(task.status)) &&
        (filter.label === undefined || task.label === filter.label) &&
        (filter.queue === undefined || task.queue === filter.queue) &&
        (filter.createdSince === undefined || Date.parse(task.created_at) >= filter.createdSince) &&
        filter.cwd === undefined,
    );
    if (remote.length === 0) return listing;
    const merged = [...listing.tasks, ...remote.map(({ summary: _summary, full_log: _log, ...task }) => task)]
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))
      .slice(0, limit);
    return { ...listing, tasks: merged };
  }

  /**
   * Waits until any (or all) of the tasks have ended, or every one is ready (`mode: "ready"`), or, with
   * `until_output`, a new line of their output matches; or until `timeoutSeconds` ran out.
   */
  async wait(
    taskIds: unknown,
    mode: unknown = 'any',
    timeoutSeconds: unknown = DEFAULT_WAIT_SECONDS,
    onProgress?: (progress: WaitProgress) => void,
    signal?: AbortSignal,
    watch: { until_output?: unknown; since?: unknown } = {},
  ): Promise<WaitResult> {
    const bridge = this.remote();
    if (bridge !== undefined && Array.isArray(taskIds) && taskIds.some((id) => !this.knows(id)))
      return waitAcrossHosts((id) => this.status(id), { taskIds, mode, timeoutSeconds, signal, ...watch });
    return answerWait(
      {
        resolveId: (id) => this.resolve(validateTaskId(id)).id,
        row: (id) => this.require(id),
        details: (row) => this.details(row),
        shortTail: (row) => this.shortTail(row),
        logFile: (id) => this.logFile(id),
        patternBudgetMs: () => this.grepBudgetMs(),
        ready: () => this.daemonReady(),
        events: this.daemon,
      },
      { taskIds, mode, timeoutSeconds, onProgress, signal, ...watch },
    );
  }

  /** Whether this home has a task with this id (or unique prefix). */
  private knows(taskId: unknown): boolean {
    try {
      this.resolve(validateTaskId(taskId));
      return true;
    } catch {
      return false;
    }
  }

  /** The last few lines of a task's output (cleaned, at most a couple of KiB), for answers that must stay small. */
  shortTail(row: TaskRow): string {
    const lines = recentOutput(this.logFile(row.id)).slice(-SHORT_TAIL_LINES).join('\n');
    return lines.length > SHORT_TAIL_BYTES ? lines.slice(lines.length - SHORT_TAIL_BYTES) : lines;
  }

  /** Makes sure the home is usable (a clear error if not) and that a live daemon answers. */
  private async daemonReady(): Promise<void> {
    this.open();
    await this.daemon.ensureDaemon();
  }

  /** Whether `command` may run under this caller's policy (its variables and the policy file, read afresh). */
  checkPolicy(command: string, envNames: readonly string[] = []): Decision {
    return decide(command, loadPolicy(this.env, this.paths.root), { envNames });
  }

  /** The working tasks, newest first, straight from the store: for watchers that poll. */
  workingTasks(limit: number): TaskRow[] {
    return this.store.query({ statuses: ['working'] }, limit);
  }

  /** Ids of recent tasks that start with `prefix` (any case), newest first: for completion. */
  idsStartingWith(prefix: string, limit: number): string[] {
    const wanted = prefix.trim().toLowerCase();
    if (!/^[0-9a-f]*$/.test(wanted)) return [];
    return wanted.length >= 4
      ? this.store
          .withPrefix(wanted)
          .slice(0, limit)
          .map((row) => row.id)
      : this.store
          .query({}, 200)
          .map((row) => row.id)
          .filter((id) => id.startsWith(wanted))
          .slice(0, limit);
  }

  /** How long one grep may run: BACKBURNER_GREP_SECONDS, default 10 (a 1 GiB log takes under 1 s). */
  private grepBudgetMs(): number {
    const text = this.env.BACKBURNER_GREP_SECONDS;
    const seconds = text === undefined || text.trim() === '' ? 10 : Number(text);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw invalidArgument(`BACKBURNER_GREP_SECONDS must be a positive number of seconds, got '${text}'`);
    return seconds * 1000;
  }

  /**
   * Raw bytes of a task's log from a logical cursor (0 for the start), as readers see the log: for
   * printing or following it. `missedBytes` says how much after the cursor the cap dropped meanwhile.
   */
  async readLog(taskId: string, cursor: number, maxBytes: number): Promise<LogRead> {
    return this.localOrRemote(
      taskId,
      () => this.readLocalLog(taskId, cursor, maxBytes),
      (bridge, id) => bridge.readLog(id, cursor, maxBytes),
    );
  }

  private async readLocalLog(taskId: string, cursor: number, maxBytes: number): Promise<LogRead> {
    const task = await this.read(taskId); // read before the log: what an ended task wrote is all there
    const layout = layoutOf(task);
    const { position, missedBytes } = physicalOffset(layout, cursor);
    const log = LogView.open(this.logFile(task.id), layout);
    if (log === null) return { bytes: Buffer.alloc(0), cursor, missedBytes, task };
    try {
      const bytes = log.readAt(position, Math.min(maxBytes, Math.max(0, log.size - position)));
      return { bytes, cursor: logicalOffset(layout, position + bytes.length), missedBytes, task };
    } finally {
      log.close();
    }
  }

  /** The path of a task's log, for adapters that follow it. */
  logFile(taskId: string): string {
    return logPath(this.paths.logs, taskId);
  }

  /** Resolves an id or unique prefix, after making sure a daemon runs (a fresh one settles what a dead one left). */
  async read(taskId: unknown): Promise<TaskRow> {
    const id = this.resolve(validateTaskId(taskId)).id;
    await this.daemonReady();
    return this.require(id);
  }

  close(): void {
    void this.bridge?.close();
    this.daemon.close();
    this.opened?.store.db.close();
  }

  private details(row: TaskRow): TaskDetails {
    const record = toRecord(row);
    return {
      ...record,
      ...insight(
        record,
        this.logFile(row.id),
        isTerminal(row.status) ? [] : this.store.recentDurations(row.command, row.cwd),
      ),
      ...this.schedule.insight(row),
    };
  }

  /** An exact id, or the one task whose id starts with the prefix. */
  private resolve(prefix: string): TaskRow {
    const exact = this.store.get(prefix);
    if (exact !== undefined) return exact;
    const candidates = this.store.withPrefix(prefix);
    const [only] = candidates;
    if (only === undefined) throw taskNotFound(prefix);
    if (candidates.length > 1) {
      const listed = candidates
        .slice(0, 10)
        .map((row) => `${row.id} (${row.status}: ${row.command.slice(0, 40)})`);
      throw new BackburnerError(
        'INVALID_ARGUMENT',
        `task id prefix '${prefix}' is ambiguous: it matches ${candidates.length > 10 ? 'more than 10' : candidates.length} tasks: ${listed.join(', ')}; give more characters`,
      );
    }
    return only;
  }

  private require(id: string): TaskRow {
    const row = this.store.get(id);
    if (row === undefined) throw taskNotFound(id);
    return row;
  }
}

/** backburner's own secrets, which no task needs: the HTTP server's bearer token. */
const OWN_SECRETS = new Set(['BACKBURNER_TOKEN']);

/** The caller's environment for a task, without backburner's own secrets. */
function inheritedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !OWN_SECRETS.has(key)) copy[key] = value;
  return copy;
}

/** A task's `tags`: the words a worker host must have (gpu, linux…), to send it to workers. */
function validateTags(tags: unknown): string[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || !isTag(tag)))
    throw invalidArgument(`tags must be a list of short words (a-z, 0-9, _ . -), got ${quote(tags)}`);
  return [...new Set(tags as string[])];
}
