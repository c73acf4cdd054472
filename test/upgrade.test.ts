import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp } from './helpers/mcp.js';
import { CLI } from './helpers/paths.js';
import { isRunning } from './helpers/processes.js';
import { waitFor } from './helpers/wait-for.js';

describe('a daemon left by another backburner version', () => {
  let home: TestHome;
  before(() => {
    home = makeHome();
  });
  after(async () => {
    await home.cleanup();
  });

  it('is replaced by the current one, which adopts its running tasks', async () => {
    // A daemon that answers pings with another version: the real daemon, told to pretend.
    const old = spawn(process.execPath, [CLI, 'daemon'], {
      env: { ...home.env, BACKBURNER_TEST_DAEMON_VERSION: '0.0.1-old' },
      stdio: 'ignore',
      detached: true,
    });
    await waitFor('the old daemon to serve', () => home.daemonPid() === old.pid);
    const gate = join(home.path, 'gate');
    const mcp = await connectMcp(home);
    try {
      const task = await mcp.ok<{ task_id: string; status: string }>('start_task', {
        command: `while [ ! -e ${gate} ]; do sleep 0.05; done; echo through`,
      });
      // The start went to whichever daemon answered; the status read checks the version and replaces it.
      await mcp.ok('task_status', { task_id: task.task_id });
      await waitFor('the old daemon to exit', () => !isRunning(old.pid as number));
      const current = home.daemonPid();
      assert.ok(current !== undefined && current !== old.pid && isRunning(current));
      writeFileSync(gate, '');
      const done = await waitFor('the task to end', async () => {
        const status = await mcp.ok<{ status: string; exit_code?: number }>('task_status', {
          task_id: task.task_id,
        });
        return status.status === 'working' ? undefined : status;
      });
      assert.deepEqual([done.status, done.exit_code], ['completed', 0]);
    } finally {
      await mcp.close();
    }
  });
});
