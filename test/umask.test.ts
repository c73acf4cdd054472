import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp } from './helpers/mcp.js';
import type { Task } from './helpers/tasks.js';

describe("a task's umask", () => {
  let home: TestHome;
  before(() => (home = makeHome()));
  after(() => home.cleanup());

  it("is the umask of the server that started it, not the daemon's 077, even with one daemon for both", async () => {
    for (const [umask, mode] of [
      ['027', 0o640],
      ['002', 0o664],
    ] as const) {
      const mcp = await connectMcp(home, { umask });
      try {
        const file = join(home.path, `made-under-${umask}`);
        const task = await mcp.ok<Task>('start_task', { command: `umask; touch ${file}`, wait_seconds: 20 });
        assert.equal(task.status, 'completed');
        assert.equal(task.output, `0${umask}`);
        assert.equal(statSync(file).mode & 0o777, mode);
        // backburner's own status file is owner-only whatever the task's umask.
        assert.equal(statSync(join(home.path, 'logs', `${task.task_id}.exit`)).mode & 0o777, 0o600);
      } finally {
        await mcp.close();
      }
    }
  });
});
