import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PosixPlatform } from '../src/supervisor/posix.js';
import { makeHome, type TestHome, scratchDir } from './helpers/home.js';
import { connectMcp } from './helpers/mcp.js';
import { isRunning } from './helpers/processes.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('the daemon: started on demand, gone when idle', () => {
  const homes: TestHome[] = [];
  after(async () => {
    for (const home of homes) await home.cleanup();
  });

  it('exits after the idle period with nothing running, never while a task runs, and comes back on demand', async () => {
    const home = makeHome({ BACKBURNER_DAEMON_IDLE_SECONDS: '1' });
    homes.push(home);
    const mcp = await connectMcp(home);
    try {
      const task = await mcp.ok<Task>('start_task', { command: 'sleep 3' });
      const daemon = home.daemonPid() as number;
      await new Promise((resolve) => setTimeout(resolve, 2000)); // past the idle period, while the task runs
      assert.equal(isRunning(daemon), true, 'a daemon with a running task stays');
      assert.equal((await ended(mcp, task.task_id)).status, 'completed');
      await waitFor('the idle daemon to exit', () => !isRunning(daemon));
      assert.equal(existsSync(join(home.path, 'daemon.sock')), false, 'it removes its socket');
      const ls = home.cli(['ls', '--json']);
      assert.equal(ls.code, 0);
      const again = home.daemonPid() as number;
      assert.notEqual(again, daemon);
      assert.equal(isRunning(again), true, 'the next call started a new daemon');
    } finally {
      await mcp.close();
    }
  });

  it('works in a home whose path is too long for a Unix socket, with the socket elsewhere and private', async () => {
    const base = makeHome();
    homes.push(base);
    const deep = join(base.path, 'a-rather-long-folder-name-for-testing'.repeat(3));
    mkdirSync(deep);
    const home = { ...base, path: deep, env: { ...base.env, BACKBURNER_HOME: deep } };
    const mcp = await connectMcp(home);
    try {
      const task = await mcp.ok<Task>('start_task', { command: 'echo deep', wait_seconds: 10 });
      assert.deepEqual([task.status, task.output], ['completed', 'deep']);
      assert.equal(existsSync(join(deep, 'daemon.sock')), false);
      assert.equal(statSync(deep).mode & 0o777, 0o700);
    } finally {
      await mcp.close();
      const pid = Number(readFileSync(join(deep, 'daemon.pid'), 'utf8'));
      process.kill(pid, 'SIGTERM');
      await waitFor('the daemon to stop', () => !isRunning(pid));
    }
  });

  it('finds the same socket for a long home whatever XDG_RUNTIME_DIR or TMPDIR the caller has', async () => {
    const base = makeHome();
    homes.push(base);
    const deep = join(base.path, 'another-rather-long-folder-name-for-testing'.repeat(3));
    mkdirSync(deep);
    const env = { BACKBURNER_HOME: deep };
    const first = base.cli(['ls', '--json'], { ...env, XDG_RUNTIME_DIR: base.path, TMPDIR: base.path });
    assert.equal(first.code, 0, first.stderr);
    const daemon = Number(readFileSync(join(deep, 'daemon.pid'), 'utf8'));
    const other = scratchDir('other-runtime');
    try {
      const second = base.cli(['ls', '--json'], { ...env, XDG_RUNTIME_DIR: other, TMPDIR: other });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(Number(readFileSync(join(deep, 'daemon.pid'), 'utf8')), daemon, 'no second daemon');
    } finally {
      rmSync(other, { recursive: true, force: true });
      process.kill(daemon, 'SIGTERM');
      await waitFor('the daemon to stop', () => !isRunning(daemon));
    }
  });
});

describe("the folder of a long home's socket", () => {
  const platform = new PosixPlatform();
  let scratch: string;
  before(() => (scratch = scratchDir('socket-dir')));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('is refused when it is a symbolic link or belongs to someone else, and tightened when loose', () => {
    const target = join(scratch, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const link = join(scratch, 'link');
    symlinkSync(target, link);
    assert.throws(() => platform.secureSocketDir(join(link, 'x.sock'), false), /symbolic link/);
    if (process.getuid?.() === 0) {
      const foreign = join(scratch, 'foreign');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 65534, 65534);
      assert.throws(() => platform.secureSocketDir(join(foreign, 'x.sock'), true), /owned by uid 65534/);
    }
    const loose = join(scratch, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o777);
    platform.secureSocketDir(join(loose, 'x.sock'), true);
    assert.equal(statSync(loose).mode & 0o777, 0o700);
    assert.doesNotThrow(() => platform.secureSocketDir(join(scratch, 'absent', 'x.sock'), false));
  });
});
