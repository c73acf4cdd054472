import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResourceNotFoundError, type Client } from '@modelcontextprotocol/client';
import { makeHome, type TestHome } from './helpers/home.js';
import { closeHttpHome, connectHttp, openHttpHome, type HttpHome, type HttpServer } from './helpers/http.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { ended, type Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

/** Every `notifications/resources/updated` URI the client has heard, in order. */
function recordUpdates(client: Client): string[] {
  const heard: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (notification) => {
    heard.push(notification.params.uri);
  });
  return heard;
}

const textOf = (result: { contents: object[] }): string =>
  String((result.contents[0] as { text?: unknown } | undefined)?.text);

/** A task that prints a line every 0.2 s until the flag file exists, then exits 0. */
const tickUntil = (flag: string): string =>
  `while [ ! -e ${flag} ]; do echo tick; sleep 0.2; done; echo done`;

describe('resources over stdio (2025-era client)', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => {
    home = makeHome();
    mcp = await connectMcp(home);
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it('lists the task list, a template for outputs and one for records, and reads them', async () => {
    const done = await mcp.ok<Task>('start_task', { command: 'printf "one\\ntwo\\n"', wait_seconds: 20 });
    assert.equal(done.status, 'completed');
    const { resources } = await mcp.client.listResources();
    const uris = resources.map((resource) => resource.uri);
    assert.ok(uris.includes('backburner://tasks'));
    assert.ok(uris.includes(`backburner://tasks/${done.task_id}/output`));
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate).sort(), [
      'backburner://tasks/{task_id}',
      'backburner://tasks/{task_id}/output',
    ]);
    const output = await mcp.client.readResource({ uri: `backburner://tasks/${done.task_id}/output` });
    assert.equal(textOf(output), 'one\ntwo');
    const record = JSON.parse(
      textOf(await mcp.client.readResource({ uri: `backburner://tasks/${done.task_id}` })),
    );
    assert.equal(record.status, 'completed');
    assert.equal(record.exit_code, 0);
    const list = JSON.parse(textOf(await mcp.client.readResource({ uri: 'backburner://tasks' })));
    assert.equal(list.tasks[0].task_id, done.task_id);
    assert.equal(list.tasks[0].queue, undefined, 'the default queue goes without saying');
    assert.ok(uris.includes('backburner://queues'));
    const queues = JSON.parse(textOf(await mcp.client.readResource({ uri: 'backburner://queues' })));
    assert.deepEqual(
      queues.queues.map((queue: { name: string; running: number; waiting: number }) => [
        queue.name,
        queue.running,
        queue.waiting,
      ]),
      [['default', 0, 0]],
    );
  });

  it('completes task ids in the templates, and names the URI of a task that does not exist', async () => {
    const task = await mcp.ok<Task>('start_task', { command: 'true', wait_seconds: 20 });
    const completion = await mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'backburner://tasks/{task_id}/output' },
      argument: { name: 'task_id', value: task.task_id.slice(0, 2) },
    });
    assert.ok(completion.completion.values.includes(task.task_id), JSON.stringify(completion));
    assert.ok(completion.completion.values.every((id) => id.startsWith(task.task_id.slice(0, 2))));
    await assert.rejects(
      mcp.client.readResource({ uri: 'backburner://tasks/0000dead/output' }),
      (error: Error) => {
        // 2026-07-28 says -32602 for a missing resource, and the SDK sends that on every revision.
        assert.ok(error instanceof ResourceNotFoundError, String(error));
        assert.equal(error.uri, 'backburner://tasks/0000dead/output');
        assert.match(error.message, /no task with id '0000dead'.*backburner:\/\/tasks\/0000dead\/output/);
        return true;
      },
    );
  });

  it('tells a subscriber while the output grows (at most about once a second) and when the task ends', async () => {
    const heard = recordUpdates(mcp.client);
    const flag = join(home.path, 'stop-ticking');
    const task = await mcp.ok<Task>('start_task', { command: tickUntil(flag) });
    const uri = `backburner://tasks/${task.task_id}/output`;
    await mcp.client.subscribeResource({ uri });
    await mcp.client.subscribeResource({ uri: 'backburner://tasks' });
    const watchStart = Date.now();
    await waitFor('two updates while the output grows', () => heard.filter((u) => u === uri).length >= 2);
    const grown = heard.filter((u) => u === uri).length;
    const seconds = (Date.now() - watchStart) / 1000;
    assert.ok(grown <= Math.ceil(seconds) + 2, `${grown} updates in ${seconds}s is more than once a second`);
    assert.equal(heard.filter((u) => u === 'backburner://tasks').length, 0, 'no list change while it runs');
    writeFileSync(flag, '');
    await ended(mcp, task.task_id);
    await waitFor('the end to update the task list', () => heard.includes('backburner://tasks'));
    assert.match(textOf(await mcp.client.readResource({ uri })), /tick\ndone$/);
    assert.ok(
      !heard.some(
        (u) => u.startsWith('backburner://tasks/') && !u.startsWith(`backburner://tasks/${task.task_id}`),
      ),
    );
    await mcp.client.unsubscribeResource({ uri });
    await mcp.client.unsubscribeResource({ uri: 'backburner://tasks' });
  });

  it('sends nothing for resources nobody subscribed to', async () => {
    const heard = recordUpdates(mcp.client);
    const task = await mcp.ok<Task>('start_task', { command: 'echo a; sleep 1.5; echo b' });
    await ended(mcp, task.task_id);
    // The end is pushed within milliseconds when subscribed (previous test); give it the same chance here.
    await mcp.ok('list_tasks');
    assert.deepEqual(heard, []);
  });
});

describe('resource updates over HTTP', () => {
  let home: TestHome;
  let server: HttpServer;
  let token: string;
  let served: HttpHome;
  before(async () => ({ home, server, token } = served = await openHttpHome()));
  after(() => closeHttpHome(served));

  it('notifies a subscribed 2025-era HTTP session when a task ends', async () => {
    const session = await connectHttp(server.url, token);
    try {
      const heard = recordUpdates(session.client);
      const flag = join(home.path, 'flag-legacy');
      const task = await session.ok<Task>('start_task', {
        command: `while [ ! -e ${flag} ]; do sleep 0.1; done`,
      });
      const uri = `backburner://tasks/${task.task_id}/output`;
      await session.client.subscribeResource({ uri });
      writeFileSync(flag, '');
      await waitFor('the update for the ended task', () => heard.includes(uri));
      const status = await session.ok<Task>('task_status', { task_id: task.task_id });
      assert.equal(status.status, 'completed');
    } finally {
      await session.close();
    }
  });

  it('notifies a 2026-07-28 client listening for the output when the task ends', async () => {
    const session = await connectHttp(server.url, token, 'modern');
    try {
      const heard = recordUpdates(session.client);
      const flag = join(home.path, 'flag-modern');
      const task = await session.ok<Task>('start_task', {
        command: `while [ ! -e ${flag} ]; do sleep 0.1; done`,
      });
      const uri = `backburner://tasks/${task.task_id}/output`;
      const subscription = await session.client.listen({ resourceSubscriptions: [uri] });
      assert.deepEqual(subscription.honoredFilter.resourceSubscriptions, [uri]);
      writeFileSync(flag, '');
      await waitFor('the update for the ended task', () => heard.includes(uri));
      await subscription.close();
    } finally {
      await session.close();
    }
  });
});

describe('resource updates over stdio for a 2026-07-28 client', () => {
  let home: TestHome;
  let mcp: McpSession;
  before(async () => {
    home = makeHome();
    mcp = await connectMcp(home, { era: 'modern' });
  });
  after(async () => {
    await mcp.close();
    await home.cleanup();
  });

  it('delivers the end of a task on the listen stream that asked for it, and nothing else', async () => {
    const heard = recordUpdates(mcp.client);
    const flag = join(home.path, 'flag');
    const watched = await mcp.ok<Task>('start_task', {
      command: `while [ ! -e ${flag} ]; do sleep 0.1; done`,
    });
    const other = await mcp.ok<Task>('start_task', { command: `while [ ! -e ${flag} ]; do sleep 0.1; done` });
    const uri = `backburner://tasks/${watched.task_id}/output`;
    const subscription = await mcp.client.listen({ resourceSubscriptions: [uri] });
    writeFileSync(flag, '');
    await ended(mcp, other.task_id);
    await waitFor('the update for the watched task', () => heard.includes(uri));
    assert.ok(!heard.some((u) => u.includes(other.task_id)), `heard ${heard.join(', ')}`);
    await subscription.close();
  });
});
