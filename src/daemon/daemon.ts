import { chmodSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { readSettings } from '../shared/config.js';
import { BackburnerError } from '../shared/errors.js';
import { Engine } from '../engine/engine.js';
import { isTerminal } from '../shared/task.js';
import { openDatabase } from '../store/database.js';
import { ensureHome } from '../store/home.js';
import { canPunchHoles } from '../store/hole-punch.js';
import { LogKeeper } from '../store/log-keeper.js';
import { TaskStore } from '../store/task-store.js';
import { ScheduleStore } from '../store/schedule-store.js';
import { PendingEnv } from '../scheduler/pending-env.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { DEFAULT_QUEUE } from '../shared/queues.js';
import { policyFilePath, QueuePolicyFile } from '../policy/queues.js';
import { currentPlatform } from '../supervisor/current-platform.js';
import { LocalSupervisor } from '../supervisor/supervisor.js';
import { DaemonLock } from './lock.js';
import { VERSION } from '../version.js';
import { Connections } from './connections.js';
import { ReadyWatch } from '../output/ready-watch.js';
import type { DaemonMethods, RequestMessage } from './protocol.js';

const DAEMON_LOG_MAX_BYTES = 1024 * 1024;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} [daemon ${process.pid}] ${message}\n`);
}

/**
 * Runs the daemon for one home in the foreground until it has been idle (nothing running) for the idle
 * period, or until SIGTERM/SIGINT. Tasks never depend on it: stopping it leaves them running, and the
 * next daemon picks them up.
 */
export async function runDaemon(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  process.umask(0o077); // everything the daemon creates is the owner's alone
  const settings = readSettings(env);
  const paths = ensureHome(settings.home);
  const acquired = DaemonLock.acquire(paths.lock);
  if (acquired === null) {
    log(`another daemon already serves ${settings.home}; exiting`);
    return;
  }
  const lock = acquired;
  trimDaemonLog(paths.daemonLog);
  writeFileSync(paths.daemonPid, `${process.pid}\n`, { mode: 0o600 });

  const platform = currentPlatform();
  const db = openDatabase(paths.database);
  const store = new TaskStore(db);
  const schedule = new ScheduleStore(db);
  // eslint-disable-next-line prefer-const -- the supervisor's callback needs the engine, made after it
  let engine: Engine;
  const supervisor = new LocalSupervisor(platform, (id, observation) => engine.handleExit(id, observation));
  engine = new Engine(store, schedule, supervisor, {
    logsDir: paths.logs,
    killGraceMs: settings.killGraceMs,
  });
  engine.recover();
  const queuePolicy = new QueuePolicyFile(policyFilePath(env, settings.home));
  const scheduler = new Scheduler(
    engine,
    store,
    schedule,
    new PendingEnv(paths.pendingEnv),
    () => queuePolicy.read(),
    log,
  );
  scheduler.start();
  const keeper = new LogKeeper(store, paths.logs, settings, {
    holes: () => canPunchHoles(paths.logs), // asked when a log first passes the cap
    onError: (id, error) => log(`could not punch a hole in the log of ${id}: ${error.message}`),
  });
  const readyWatch = new ReadyWatch(
    paths.logs,
    (id) => store.get(id),
    settings.patternBudgetMs,
    (id, line) => engine.markReady(id, line),
    (id, error) => log(`stopped watching task ${id} for its ready pattern: ${error.message}`),
  );
  housekeeping(engine, keeper, readyWatch);

  const connections = new Connections((request) => answer(request), log);
  engine.on('ended', (task) => connections.broadcast({ event: 'ended', task }));
  engine.on('ready', (task) => connections.broadcast({ event: 'ready', task }));

  const socketPath = platform.socketPath(settings.home);
  if (process.platform !== 'win32') {
    platform.secureSocketDir(socketPath, true);
    rmSync(socketPath, { force: true }); // we hold the lock, so any socket file here is stale
  }

  let stopping = false;
  /** Starts under way: a stop waits for them, so that no task is half-started when the daemon exits. */
  const startsInFlight = new Set<Promise<unknown>>();
  const server = createServer((socket) => connections.accept(socket));

  const handlers: {
    [M in keyof DaemonMethods]: (params: DaemonMethods[M]['params']) => Promise<DaemonMethods[M]['result']>;
  } = {
    // The override exists for the upgrade test, which needs a daemon of "another" version.
    ping: async () => ({ pid: process.pid, version: env.BACKBURNER_TEST_DAEMON_VERSION ?? VERSION }),
    start: async (params) => {
      const { queue, after, ...rest } = params;
      const started = scheduler.submit({ ...rest, queue: queue ?? DEFAULT_QUEUE, after: after ?? [] });
      startsInFlight.add(started);
      try {
        return { task: await started };
      } finally {
        startsInFlight.delete(started);
      }
    },
    cancel: async (params) => engine.cancel(params.id),
    sendInput: async (params) => ({
      task: await engine.sendInput(params.id, { text: params.text, end: params.end, secret: params.secret }),
    }),
    configureQueue: async (params) => ({
      queue: scheduler.configure(params.name, { maxParallel: params.maxParallel, paused: params.paused }),
    }),
    delete: async (params) => {
      const task = store.get(params.id);
      if (task !== undefined && !isTerminal(task.status)) {
        throw new BackburnerError(
          'INVALID_ARGUMENT',
          `task ${params.id} is still ${task.status}: cancel it first, then delete it`,
        );
      }
      return { deleted: keeper.deleteTask(params.id) };
    },
    shutdown: async () => {
      setImmediate(() => void stop('asked to shut down'));
      return { stopping: true };
    },
  };

  /** Runs a request that `Connections` has checked: its params have the method's shape. */
  async function answer(request: RequestMessage): Promise<unknown> {
    if (stopping && request.method === 'start')
      throw new BackburnerError('DAEMON_UNAVAILABLE', 'the daemon is stopping; try again');
    const handler = handlers[request.method] as (params: unknown) => Promise<unknown>;
    return handler(request.params);
  }

  let idleSince = Date.now();
  const idleTimer = setInterval(
    () => {
      // Tasks that wait to start keep the daemon too: nobody else would start them.
      if (engine.busy > 0 || scheduler.keepsDaemonAlive()) idleSince = Date.now();
      else if (Date.now() - idleSince >= settings.daemonIdleMs) void stop('idle with nothing running');
    },
    Math.min(1000, Math.max(50, settings.daemonIdleMs / 4)),
  );

  async function stop(why: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    clearInterval(idleTimer);
    server.close();
    connections.broadcast({ event: 'stopping' });
    scheduler.close(); // what waits now waits for the next daemon, with its environment on disk
    await Promise.allSettled([...startsInFlight]); // a start under way is recorded and supervised first
    await scheduler.settle(); // and so is a launch the scheduler began
    await engine.settle(); // never leave a tree half-killed
    engine.close();
    connections.endAll();
    store.db.close();
    if (process.platform !== 'win32') rmSync(socketPath, { force: true });
    rmSync(paths.daemonPid, { force: true });
    lock.release();
    process.exit(0);
  }

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => undefined); // a closed terminal is no reason to stop supervising

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  if (process.platform !== 'win32') chmodSync(socketPath, 0o600);
  log(`serving ${settings.home} at ${socketPath}`);
}

const CAP_CHECK_MS = 10;
const QUIET_EVERY_TICKS = 25;
const SWEEP_EVERY_MS = 10 * 60 * 1000;
const SWEEP_AFTER_END_MS = 1000;

/**
 * Keeps the home bounded while the daemon runs: running tasks' logs are checked against the cap a few
 * times a second; retention and the quota are applied at start, after tasks end, and every few minutes.
 */
function housekeeping(engine: Engine, keeper: LogKeeper, readyWatch: ReadyWatch): void {
  const sweep = (): void => {
    try {
      keeper.sweep();
    } catch (error) {
      log(`housekeeping failed: ${(error as Error).message}`);
    }
  };
  sweep();
  // A log that grew since the last look is looked at again soon; a quiet one a few times a second.
  let tick = 0;
  setInterval(() => {
    tick++;
    for (const id of engine.liveTasks) {
      if (tick % QUIET_EVERY_TICKS === 0 || keeper.isGrowing(id)) keeper.cap(id);
      readyWatch.look(id);
    }
  }, CAP_CHECK_MS).unref();
  setInterval(sweep, SWEEP_EVERY_MS).unref();
  let pending: NodeJS.Timeout | undefined;
  engine.on('ended', (task) => {
    readyWatch.taskEnded(task.id);
    keeper.cap(task.id);
    keeper.forget(task.id);
    pending ??= setTimeout(() => {
      pending = undefined;
      sweep();
    }, SWEEP_AFTER_END_MS);
  });
}

function trimDaemonLog(path: string): void {
  try {
    if (statSync(path).size > DAEMON_LOG_MAX_BYTES) truncateSync(path, 0);
  } catch {
    // no log yet
  }
}
