import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { scratchDir, type TestHome } from './home.js';
import { CLI } from './paths.js';
import { waitFor } from './wait-for.js';

/** A password with characters a URL must carry as they are, to check it never shows anywhere. */
export const REDIS_PASSWORD = 'pw-Zq7xK2-never-shown';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface TestRedis {
  url: string;
  /** Stops it (SIGTERM: it writes its append-only file) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Debian's redis-server on a free loopback port, with a password and persistence (appendonly). */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = scratchDir('redis');
  const url = `redis://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--requirepass',
        REDIS_PASSWORD,
      ],
      { stdio: 'ignore' },
    );
    await waitFor('redis-server to answer', async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    });
  };
  const halt = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url,
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestWorker {
  name: string;
  home: TestHome;
  process: ChildProcess;
  stderr(): string;
  /** kill -9: the worker goes, its tasks go on under the home's daemon. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** `backburner worker` in its own home, as on another host; resolves once it takes tasks. */
export async function startWorker(
  home: TestHome,
  redisUrl: string,
  name: string,
  args: string[],
): Promise<TestWorker> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redisUrl, '--name', name, ...args], {
    env: home.env,
    cwd: home.path,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await waitFor(`worker ${name} to start (stderr: ${stderr})`, () => {
    if (child.exitCode !== null) throw new Error(`worker ${name} exited ${child.exitCode}: ${stderr}`);
    return stderr.includes(`worker ${name} on `);
  });
  return {
    name,
    home,
    process: child,
    stderr: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
