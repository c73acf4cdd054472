import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * Debian's redis-server on a free loopback port, with a password and persistence (appendonly). With
 * `tls`, it speaks only TLS, with a certificate made here by openssl: clients need NODE_EXTRA_CA_CERTS
 * set to the `ca` file to trust it.
 */
export async function startRedis(options: { tls?: boolean } = {}): Promise<TestRedis & { ca?: string }> {
  const port = await freePort();
  const dir = scratchDir('redis');
  const tls = options.tls === true;
  const ca = join(dir, 'cert.pem');
  if (tls)
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        ca,
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  const url = `${tls ? 'rediss' : 'redis'}://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  const listen = tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        ca,
        '--tls-key-file',
        join(dir, 'key.pem'),
        '--tls-ca-cert-file',
        ca,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  let child: ChildProcess;
  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        ...listen,
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
      const probe = new Redis(url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        ...(tls ? { tls: { ca: readFileSync(ca) } } : {}),
      });
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
    ...(tls ? { ca } : {}),
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
