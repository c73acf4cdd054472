import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { readSettings } from '../shared/config.js';
import { BackburnerError } from '../shared/errors.js';
import type { TaskRow } from '../shared/task.js';
import { homePaths } from '../store/home.js';
import { currentPlatform } from '../supervisor/current-platform.js';
import { VERSION } from '../version.js';
import {
  encode,
  lineReader,
  type DaemonMethod,
  type DaemonMethods,
  type EventMessage,
  type ResponseMessage,
} from './protocol.js';

const CLI_ENTRY = fileURLToPath(new URL('../cli.js', import.meta.url));
const CONNECT_DEADLINE_MS = 20_000;
const RESPAWN_AFTER_MS = 1_000;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * How long a request may wait for its answer. A daemon that takes longer is stuck, and the caller hears
 * so rather than hanging; a cancel also waits out the kill grace period of the task it ends.
 */
const REQUEST_TIMEOUT_MS = 60_000;

export interface DaemonClientEvents {
  ended: [task: TaskRow];
  /** A task's output matched its ready pattern. */
  ready: [task: TaskRow];
  disconnected: [];
}

/**
 * A connection to the home's daemon, which it starts on demand: connect, and if nobody answers, spawn
 * `backburner daemon` detached and connect again. Several clients racing to do so end with one daemon,
 * because only one can take the daemon lock.
 */
export class DaemonClient extends EventEmitter<DaemonClientEvents> {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private nextId = 1;
  private stoppingOnPurpose = false;
  private replacedStaleDaemon = false;
  private daemonFailure: string | undefined;
  /** The pid of the daemon on the current connection, once a ping has told it. */
  private daemonPid: number | undefined;
  private readonly pending = new Map<number, Pending>();

  /**
   * @param keepAlive reconnect at once (restarting the daemon) when the daemon dies unexpectedly, so
   *   that the tasks it supervised are picked up without waiting for the next call. For long-lived
   *   clients such as the MCP server; a daemon that stops on purpose (idle) is left stopped.
   */
  /** How long a cancel may take beyond other requests: the kill grace period of the task it ends. */
  private readonly killGraceMs: number;

  constructor(
    private readonly home: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly keepAlive = false,
  ) {
    super();
    try {
      this.killGraceMs = readSettings(env).killGraceMs;
    } catch {
      this.killGraceMs = 0; // a bad setting is reported where it is used
    }
  }

  /**
   * Makes sure a live daemon answers (a round trip, not just an open socket that may belong to a daemon
   * that just died), starting one if needed.
   */
  async ensureDaemon(): Promise<void> {
    // Fast path: connected, and the daemon we pinged on this connection is still alive. A signal 0 is a
    // syscall, not a round trip; a daemon that died is noticed here just as a failed ping would.
    if (
      this.socket !== undefined &&
      !this.socket.destroyed &&
      this.daemonPid !== undefined &&
      currentPlatform().isAlive({ pid: this.daemonPid, startTime: null })
    ) {
      return;
    }
    let answer: DaemonMethods['ping']['result'] | undefined;
    // A connection to a daemon that just died fails only when used; the next attempt starts a new one.
    for (let attempt = 1; answer === undefined; attempt++) {
      try {
        answer = await this.request('ping', {});
      } catch (error) {
        if (!(error instanceof BackburnerError) || error.code !== 'DAEMON_UNAVAILABLE' || attempt === 3)
          throw error;
      }
    }
    this.daemonPid = answer.pid;
    if (answer.version !== VERSION && !this.replacedStaleDaemon) {
      // A daemon left running by an older backburner: ask it to stop (its tasks keep running) and start
      // ours, which adopts them. Once per client, so that two versions side by side cannot fight forever.
      this.replacedStaleDaemon = true;
      const closed = new Promise<void>((resolve) => this.once('disconnected', () => resolve()));
      await this.request('shutdown', {});
      await closed;
      await this.request('ping', {});
    }
  }

  async request<M extends DaemonMethod>(
    method: M,
    params: DaemonMethods[M]['params'],
  ): Promise<DaemonMethods[M]['result']> {
    const socket = await this.connect();
    const id = this.nextId++;
    const limit = REQUEST_TIMEOUT_MS + (method === 'cancel' ? this.killGraceMs : 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        if (this.pending.size === 0) this.socket?.unref();
        reject(
          new BackburnerError(
            'DAEMON_UNAVAILABLE',
            `the backburner daemon did not answer ${method} within ${Math.round(limit / 1000)} s; see ${homePaths(this.home).daemonLog}`,
          ),
        );
      }, limit);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      socket.ref(); // an answer we wait for keeps the process alive; an idle connection does not
      socket.write(encode({ id, method, params }));
    });
  }

  /** Connects (starting the daemon if needed); a no-op while connected. */
  connect(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.establish().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async establish(): Promise<Socket> {
    const path = currentPlatform().socketPath(this.home);
    currentPlatform().secureSocketDir(path, false);
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
    let lastSpawn = 0;
    let delay = 10;
    this.daemonFailure = undefined;
    for (;;) {
      try {
        const socket = await openSocket(path);
        this.attach(socket);
        return socket;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw error;
        if (this.daemonFailure !== undefined) {
          throw new BackburnerError(
            'DAEMON_UNAVAILABLE',
            `the backburner daemon could not start: ${this.daemonFailure}`,
          );
        }
        if (Date.now() > deadline) {
          throw new BackburnerError(
            'DAEMON_UNAVAILABLE',
            `the backburner daemon for ${this.home} did not start; see ${homePaths(this.home).daemonLog}`,
          );
        }
        // Spawn again now and then: a daemon that was stopping when we first tried may have refused to
        // start (the old one still held the lock). The lock keeps extra spawns harmless.
        if (Date.now() - lastSpawn > RESPAWN_AFTER_MS) {
          this.spawnDaemon();
          lastSpawn = Date.now();
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 200);
      }
    }
  }

  private spawnDaemon(): void {
    const log = openSync(homePaths(this.home).daemonLog, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [CLI_ENTRY, 'daemon'], {
        // Its own session: a client that kills our process group must not take the daemon with it.
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...this.env, BACKBURNER_HOME: this.home },
      });
      child.unref();
      // A daemon that fails at once (bad settings, unusable home) should fail the wait at once, with why.
      child.once('exit', (code) => {
        if (code !== 0 && code !== null)
          this.daemonFailure = lastLine(homePaths(this.home).daemonLog) ?? `exit code ${code}`;
      });
    } finally {
      closeSync(log);
    }
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.stoppingOnPurpose = false;
    socket.unref(); // an open connection alone must not keep a CLI alive
    socket.on(
      'data',
      lineReader((frame) => {
        if (frame.ok) this.dispatch(frame.message as ResponseMessage | EventMessage);
        else if (frame.fatal) socket.destroy(new Error(`the daemon sent ${frame.error}`));
      }),
    );
    let cause = 'closed';
    socket.on('error', (error: NodeJS.ErrnoException) => {
      cause = error.code ?? error.message;
      socket.destroy();
    });
    socket.on('close', () => {
      if (this.socket === socket) {
        this.socket = undefined;
        this.daemonPid = undefined;
      }
      const lost = new BackburnerError(
        'DAEMON_UNAVAILABLE',
        `the connection to the backburner daemon was lost (${this.stoppingOnPurpose ? 'the daemon stopped' : cause})`,
      );
      for (const waiter of this.pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(lost);
      }
      this.pending.clear();
      this.emit('disconnected');
      if (this.keepAlive && !this.stoppingOnPurpose) {
        this.connect().catch((error: Error) => process.stderr.write(`backburner: ${error.message}\n`));
      }
    });
  }

  private dispatch(message: ResponseMessage | EventMessage): void {
    if (typeof message !== 'object' || message === null) return;
    if ('event' in message) {
      if (message.event === 'stopping') this.stoppingOnPurpose = true;
      else if (message.event === 'ready') this.emit('ready', message.task);
      else this.emit('ended', message.task);
      return;
    }
    const waiter = message.id === null ? undefined : this.pending.get(message.id);
    if (waiter === undefined || message.id === null) return;
    this.pending.delete(message.id);
    clearTimeout(waiter.timer);
    if (this.pending.size === 0) this.socket?.unref();
    if ('error' in message)
      waiter.reject(new BackburnerError(message.error.code as never, message.error.message));
    else waiter.resolve(message.result);
  }
}

function lastLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').pop();
  } catch {
    return undefined;
  }
}

function openSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
