import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_LINE_BYTES } from '../src/daemon/protocol.js';
import { PosixPlatform } from '../src/supervisor/posix.js';
import { isAlive, makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';
import { FUZZ_SEED, seededRandom } from './helpers/random.js';

/** Messages a broken or hostile client could send: each is one line (without its newline) or raw bytes. */
function hostileMessage(next: () => number): string | Buffer {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)] as T;
  const junk = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(Math.floor(next() * 0x2fff))).join('');
  const values: unknown[] = [
    null,
    true,
    0,
    -1,
    1.5,
    1e308,
    '',
    'x'.repeat(1000),
    [],
    {},
    [1, 2],
    { a: 1 },
    '\u0000',
    '😀',
    Number.MAX_SAFE_INTEGER + 2,
  ];
  const methods = [
    'ping',
    'start',
    'cancel',
    'delete',
    'shutdown-not',
    'constructor',
    '__proto__',
    'toString',
    '',
  ];
  switch (Math.floor(next() * 12)) {
    case 0:
      return Buffer.from(
        Array.from({ length: 1 + Math.floor(next() * 200) }, () => Math.floor(next() * 256)),
      );
    case 1:
      return junk(1 + Math.floor(next() * 100));
    case 2:
      return JSON.stringify(pick(values));
    case 3:
      return JSON.stringify({ id: pick(values), method: pick(methods), params: pick(values) });
    case 4:
      return JSON.stringify({ id: 7, method: pick(methods), params: pick(values) });
    case 5:
      return JSON.stringify({
        id: 8,
        method: 'cancel',
        params: { id: pick(['', '../../etc', 'zzzzzzzz', 'ffffffff', 5]) },
      });
    case 6:
      return JSON.stringify({
        id: 9,
        method: 'start',
        params: {
          command: pick(values),
          cwd: pick(['/', '/nonexistent', '', 5, null]),
          env: pick([{}, { A: 1 }, [], null, { PATH: '\u0000' }]),
          timeoutSeconds: pick(values),
          label: pick(values),
          limits: pick([{}, null, { memoryMb: -1, cpuSeconds: 'x' }]),
        },
      });
    case 7:
      return '{"id": 10, "method": "ping", "params": {'; // truncated JSON
    case 8:
      return JSON.stringify({ id: 11, method: 'ping', params: { extra: true } });
    case 9:
      return '\u0000\u0001\u0002' + JSON.stringify({ id: 12 });
    case 10:
      return JSON.stringify({ id: 13, method: 'delete', params: null });
    default:
      return `[${'['.repeat(Math.floor(next() * 5000))}`; // deep nesting
  }
}

interface Peer {
  socket: Socket;
  answers: Map<number, unknown>;
}

function open(path: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const answers = new Map<number, unknown>();
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        const message = JSON.parse(line) as { id?: number };
        if (typeof message.id === 'number') answers.set(message.id, message);
        newline = pending.indexOf('\n');
      }
    });
    socket.on('error', () => undefined); // the daemon may close a connection it judged hostile
    socket.once('connect', () => resolve({ socket, answers }));
    socket.once('error', reject);
  });
}

describe(`the daemon's socket under a fuzzer (seed ${FUZZ_SEED}; replay with FUZZ_SEED)`, () => {
  let home: TestHome;
  let mcp: McpSession;
  let socketPath: string;
  let daemon: number;
  before(async () => {
    home = makeHome();
    mcp = await connectMcp(home);
    await ended(mcp, (await mcp.ok<Task>('start_task', { command: 'true' })).task_id);
    daemon = home.daemonPid() as number;
    socketPath = new PosixPlatform().socketPath(home.path);
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it('answers or drops thousands of bad messages on many connections, and goes on serving every client', async () => {
    const next = seededRandom(FUZZ_SEED);
    const connections = 24;
    const perConnection = 200;
    const peers = await Promise.all(Array.from({ length: connections }, () => open(socketPath)));
    const pingIds: number[][] = peers.map(() => []);
    await Promise.all(
      peers.map(async (peer, index) => {
        for (let i = 0; i < perConnection; i++) {
          const message = hostileMessage(next);
          // Every tenth message is a good ping with a unique id: it must be answered among the noise.
          if (i % 10 === 0) {
            const id = 1_000_000 + index * 1000 + i;
            pingIds[index]?.push(id);
            peer.socket.write(`${JSON.stringify({ id, method: 'ping', params: {} })}\n`);
          }
          // Lines are sometimes split mid-way (even mid-character) across writes.
          const bytes =
            typeof message === 'string'
              ? Buffer.from(`${message}\n`)
              : Buffer.concat([message, Buffer.from('\n')]);
          const cut = Math.floor(next() * bytes.length);
          peer.socket.write(bytes.subarray(0, cut));
          if (next() < 0.1) await new Promise((resolve) => setImmediate(resolve));
          peer.socket.write(bytes.subarray(cut));
        }
      }),
    );
    // Every good ping on a connection that was not closed for a fatal frame got its answer.
    await waitFor(
      'the answers to every good ping',
      () => peers.every((peer, index) => pingIds[index]?.every((id) => peer.answers.has(id))),
      60_000,
    );
    for (const peer of peers) {
      for (const [id, answer] of peer.answers) {
        if (id >= 1_000_000) assert.equal((answer as { result: { pid: number } }).result.pid, daemon);
      }
      // Bad requests with an id got an error naming what was wrong, never a result.
      const bad = peer.answers.get(11) as { error?: { message: string } } | undefined;
      if (bad !== undefined) assert.match(bad.error?.message ?? '', /bad params for ping/);
    }
    for (const peer of peers) peer.socket.destroy();
    assert.equal(home.daemonPid(), daemon, 'the same daemon still serves');
    assert.equal(isAlive(daemon), true);
  });

  it('closes a connection that sends a line past the limit, and keeps the others', async () => {
    const flooder = await open(socketPath);
    const bystander = await open(socketPath);
    const closed = new Promise<void>((resolve) => flooder.socket.once('close', () => resolve()));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (
      let sent = 0;
      sent <= MAX_LINE_BYTES + chunk.length && !flooder.socket.destroyed;
      sent += chunk.length
    ) {
      flooder.socket.write(chunk);
    }
    await closed;
    bystander.socket.write(`${JSON.stringify({ id: 1, method: 'ping', params: {} })}\n`);
    await waitFor('the bystander to be answered', () => bystander.answers.has(1));
    bystander.socket.destroy();
    assert.equal(isAlive(daemon), true);
  });

  it('drops a client that stops reading instead of buffering for it without end', async () => {
    const stuck = await open(socketPath);
    stuck.socket.pause(); // reads nothing: the daemon's answers pile up
    const closed = new Promise<void>((resolve) => stuck.socket.once('close', () => resolve()));
    const pings = Buffer.from(
      Array.from(
        { length: 2000 },
        (_, i) => `${JSON.stringify({ id: i, method: 'ping', params: {} })}\n`,
      ).join(''),
    );
    const writer = setInterval(() => {
      if (!stuck.socket.destroyed) stuck.socket.write(pings);
    }, 5);
    try {
      await waitFor(
        'the daemon to drop the client that does not read',
        () => closed.then(() => true),
        60_000,
      );
    } finally {
      clearInterval(writer);
    }
    assert.equal(isAlive(daemon), true);
  });

  it('keeps a character split between two chunks whole, and still starts, reads and cancels tasks', async () => {
    const peer = await open(socketPath);
    const text = 'é€😀 naïve';
    const line = Buffer.from(
      `${JSON.stringify({
        id: 1,
        method: 'start',
        params: {
          command: `printf '%s\\n' '${text}'`,
          cwd: home.path,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          timeoutSeconds: null,
          label: null,
          limits: { memoryMb: null, cpuSeconds: null },
        },
      })}\n`,
    );
    const euro = line.indexOf(Buffer.from('€'));
    peer.socket.write(line.subarray(0, euro + 1)); // the first byte of €'s three
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.socket.write(line.subarray(euro + 1));
    const answer = (await waitFor('the start answer', () => peer.answers.get(1))) as {
      result: { task: { id: string } };
    };
    peer.socket.destroy();
    const done = await ended(mcp, answer.result.task.id);
    assert.equal(done.status, 'completed');
    const output = await mcp.ok<Task>('task_result', { task_id: answer.result.task.id });
    assert.equal(output.output, text);

    const long = await mcp.ok<Task>('start_task', { command: 'sleep 60' });
    const cancelled = await mcp.ok<Task>('cancel_task', { task_id: long.task_id });
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(home.daemonPid(), daemon, 'no daemon restart was needed');
  });
});
