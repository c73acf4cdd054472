import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TaskFailedError, type TaskEnabledSession } from '@modelcontextprotocol/ext-tasks/client';
import { legacyTaskSession, rawDispatcher, taskSession } from './helpers/ext-tasks.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { closeHttpHome, connectHttp, openHttpHome } from './helpers/http.js';
import { connectMcp, type Era, type McpSession } from './helpers/mcp.js';
import { fixture } from './helpers/paths.js';
import { isRunning, pidsWithEnv } from './helpers/processes.js';
import type { Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

interface ToolResult {
  structuredContent?: Task;
  content?: { text?: string }[];
}

/** The whole extension path, the same over any transport: task created, polled, completed or cancelled. */
function extensionPath(open: () => Promise<{ home: TestHome; mcp: McpSession; close: () => Promise<void> }>) {
  let home: TestHome;
  let mcp: McpSession;
  let close: () => Promise<void>;
  let session: TaskEnabledSession;
  before(async () => {
    ({ home, mcp, close } = await open());
    session = taskSession(mcp.client, mcp.transport);
  });
  after(async () => {
    await session.close();
    await close();
  });

  it('answers a command that ends within a second with the result itself', async () => {
    const execution = await session.callTool('run_command', { command: 'echo quick' });
    assert.equal(execution.kind, 'immediate');
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'completed');
    const result = (outcome as { result: ToolResult }).result;
    assert.equal(result.structuredContent?.output, 'quick');
    assert.equal(result.structuredContent?.exit_code, 0);
  });

  it('hands back a task for a slower command, polls it, and gets the result inline at the end', async () => {
    const flag = join(home.path, `finish-${Date.now()}`);
    const execution = await session.callTool('run_command', {
      command: `echo started; while [ ! -e ${flag} ]; do sleep 0.1; done; echo finished; exit 3`,
    });
    assert.equal(execution.kind, 'task');
    const taskId = execution.handle?.taskId ?? '';
    // The task id is the backburner task id: the plain tools and the CLI see the same task.
    const plain = await mcp.ok<Task>('task_status', { task_id: taskId });
    assert.equal(plain.status, 'working');
    assert.equal(JSON.parse(home.cli(['status', taskId, '--json']).stdout).command.includes(flag), true);
    const view = await session.task(taskId).snapshot();
    assert.equal(view.status, 'working');
    assert.equal(view.suggestedPollIntervalMs, 1000);
    writeFileSync(flag, '');
    const { outcome } = await execution.settle();
    // A non-zero exit is still a completed call; the result says how the command ended.
    assert.equal(outcome.status, 'completed');
    const result = (outcome as { result: ToolResult }).result;
    assert.equal(result.structuredContent?.status, 'failed');
    assert.equal(result.structuredContent?.exit_code, 3);
    assert.equal(result.structuredContent?.output, 'started\nfinished');
    assert.match(result.content?.[0]?.text ?? '', /exit code 3/);
  });

  it('cancels through tasks/cancel, and the whole process tree is gone', async () => {
    const pidFile = join(home.path, `grandchild-${Date.now()}.pid`);
    const execution = await session.callTool('run_command', {
      command: `${fixture('detached-grandchild.sh')} ${pidFile}`,
    });
    assert.equal(execution.kind, 'task');
    const taskId = execution.handle?.taskId ?? '';
    const grandchild = await waitFor('the detached grandchild', () => {
      const text = readFileSync(pidFile, 'utf8').trim();
      return text === '' ? undefined : Number(text);
    });
    assert.ok(isRunning(grandchild));
    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(isRunning(grandchild), false, 'the grandchild that left the group was killed too');
    assert.deepEqual(pidsWithEnv('BACKBURNER_TASK_ID', taskId), []);
    assert.equal((await mcp.ok<Task>('task_status', { task_id: taskId })).status, 'cancelled');
  });

  it('reports a timeout as a failed task with the reason', async () => {
    const execution = await session.callTool('run_command', { command: 'sleep 30', timeout_seconds: 1.5 });
    assert.equal(execution.kind, 'task');
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'failed');
    const error = (outcome as { error: TaskFailedError }).error;
    assert.ok(error instanceof TaskFailedError);
    assert.match(error.message, /timed out|timeout/i);
  });
}

async function overStdio(era: Era = 'modern') {
  const home = makeHome();
  const mcp = await connectMcp(home, { era });
  return {
    home,
    mcp,
    close: async () => {
      await mcp.close();
      await home.cleanup();
    },
  };
}

async function overHttp(era: Era = 'modern') {
  const served = await openHttpHome();
  const mcp = await connectHttp(served.server.url, served.token, era);
  return {
    home: served.home,
    mcp,
    close: async () => {
      await mcp.close();
      await closeHttpHome(served);
    },
  };
}

const LIMIT = { timeout: 120_000 };
describe('the tasks extension over stdio, driven by @modelcontextprotocol/ext-tasks', LIMIT, () =>
  extensionPath(() => overStdio()),
);
describe('the tasks extension over HTTP, driven by @modelcontextprotocol/ext-tasks', LIMIT, () =>
  extensionPath(() => overHttp()),
);
describe('the tasks extension on the wire, over stdio', LIMIT, () => wirePath(() => overStdio()));
describe('the tasks extension on the wire, over HTTP', LIMIT, () => wirePath(() => overHttp()));

/** The extension's methods and notifications, on the wire, over any transport. */
function wirePath(open: () => Promise<{ home: TestHome; mcp: McpSession; close: () => Promise<void> }>) {
  let home: TestHome;
  let mcp: McpSession;
  let close: () => Promise<void>;
  let raw: ReturnType<typeof rawDispatcher>;
  const envelope = (declared: boolean) => ({
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': declared
      ? { extensions: { 'io.modelcontextprotocol/tasks': {} } }
      : {},
  });
  const request = (method: string, params: Record<string, unknown>, declared = true) =>
    raw({ method, params: { ...params, _meta: envelope(declared) } } as never) as Promise<{
      kind: string;
      result?: Record<string, unknown>;
      error?: { code: number; message: string; data?: unknown };
    }>;
  before(async () => {
    ({ home, mcp, close } = await open());
    raw = rawDispatcher(mcp.transport);
  });
  after(() => close());

  it('advertises the extension in server/discover', async () => {
    const discovered = await request('server/discover', {});
    const capabilities = discovered.result?.capabilities as { extensions?: Record<string, unknown> };
    assert.deepEqual(capabilities.extensions?.['io.modelcontextprotocol/tasks'], {});
  });

  it('gives a handle with the fields the extension names, and the same result inline once ended', async () => {
    const flag = join(home.path, 'wire-flag');
    const call = await request('tools/call', {
      name: 'run_command',
      arguments: { command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo wire` },
    });
    const handle = call.result ?? {};
    assert.equal(handle.resultType, 'task');
    assert.match(String(handle.taskId), /^[0-9a-f]{8}$/);
    assert.equal(handle.status, 'working');
    assert.equal(handle.ttlMs, null);
    assert.equal(handle.pollIntervalMs, 1000);
    assert.ok(!Number.isNaN(Date.parse(String(handle.createdAt))));
    assert.ok(!Number.isNaN(Date.parse(String(handle.lastUpdatedAt))));
    writeFileSync(flag, '');
    const done = await waitFor('tasks/get to say completed', async () => {
      const got = await request('tasks/get', { taskId: handle.taskId });
      return got.result?.status === 'completed' ? got.result : undefined;
    });
    assert.equal(done.resultType, 'complete');
    const inline = done.result as { resultType?: string; structuredContent?: Task };
    assert.equal(inline.resultType, 'complete');
    assert.equal(inline.structuredContent?.output, 'wire');
    // The same as what the plain tools say of the task.
    const plain = await mcp.ok<Task>('task_result', { task_id: String(handle.taskId) });
    assert.equal(plain.exit_code, inline.structuredContent?.exit_code);
    assert.equal(typeof done.ttlMs, 'number');
  });

  it('a queued run_command is a working task whose message says it is queued, and why', async () => {
    await mcp.ok('configure_queue', { queue: 'held', paused: true });
    const call = await request('tools/call', {
      name: 'run_command',
      arguments: { command: 'echo released', queue: 'held' },
    });
    const handle = call.result ?? {};
    assert.deepEqual([handle.resultType, handle.status], ['task', 'working']);
    assert.equal(
      handle.statusMessage,
      "queued in 'held' (place 1): waiting for queue 'held' to be resumed (it is paused)",
    );
    const got = await request('tasks/get', { taskId: handle.taskId });
    assert.equal(got.result?.statusMessage, handle.statusMessage);
    await mcp.ok('configure_queue', { queue: 'held', paused: false });
    const done = await waitFor('the released task to complete', async () => {
      const polled = await request('tasks/get', { taskId: handle.taskId });
      return polled.result?.status === 'completed' ? polled.result : undefined;
    });
    assert.equal((done.result as { structuredContent?: Task }).structuredContent?.output, 'released');
  });

  it('answers -32602 for an unknown task id and -32021 without the declaration', async () => {
    for (const method of ['tasks/get', 'tasks/cancel', 'tasks/update']) {
      const unknown = await request(method, { taskId: 'ffff0000', inputResponses: {} });
      assert.equal(unknown.error?.code, -32602, method);
      assert.match(unknown.error?.message ?? '', /ffff0000/);
      const undeclared = await request(method, { taskId: 'ffff0000', inputResponses: {} }, false);
      assert.equal(undeclared.error?.code, -32021, method);
      assert.deepEqual(undeclared.error?.data, {
        requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } },
      });
    }
  });

  it('sends notifications/tasks to a listen stream that asked for the task, when it ends', async () => {
    const heard: { method: string; params?: Record<string, unknown> }[] = [];
    mcp.client.fallbackNotificationHandler = async (notification) => {
      heard.push(notification as { method: string; params?: Record<string, unknown> });
    };
    const flag = join(home.path, 'notify-flag');
    const done = await mcp.ok<Task>('start_task', { command: 'echo already', wait_seconds: 20 });
    const running = await mcp.ok<Task>('start_task', {
      command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo notified`,
    });
    // The listen request is answered only when the stream closes: do not wait for it.
    void request('subscriptions/listen', { notifications: { taskIds: [running.task_id, done.task_id] } });
    const ack = await waitFor('the acknowledgement', () =>
      heard.find((n) => n.method === 'notifications/subscriptions/acknowledged'),
    );
    assert.deepEqual((ack.params?.notifications as { taskIds?: string[] }).taskIds, [
      running.task_id,
      done.task_id,
    ]);
    const tasksHeard = () =>
      heard.filter((n) => n.method === 'notifications/tasks').map((n) => n.params ?? {});
    // A task that had already ended is reported at once.
    const already = await waitFor('the ended task', () =>
      tasksHeard().find((p) => p.taskId === done.task_id),
    );
    assert.equal(already.status, 'completed');
    assert.equal(
      tasksHeard().some((p) => p.taskId === running.task_id),
      false,
      'nothing while it runs',
    );
    writeFileSync(flag, '');
    const ended = await waitFor('the notification of the end', () =>
      tasksHeard().find((p) => p.taskId === running.task_id),
    );
    assert.equal(ended.status, 'completed');
    assert.equal((ended.result as { structuredContent?: Task }).structuredContent?.output, 'notified');
  });

  it('refuses task notifications to a listen request without the declaration (-32021)', async () => {
    const refused = await request(
      'subscriptions/listen',
      { notifications: { taskIds: ['abcd1234'] } },
      false,
    );
    assert.equal(refused.error?.code, -32021);
  });

  it('never answers with a task to a request that did not declare the extension', async () => {
    const call = await request(
      'tools/call',
      { name: 'run_command', arguments: { command: 'sleep 3; echo plain', wait_seconds: 1 } },
      false,
    );
    assert.equal(call.result?.resultType, 'complete');
    assert.equal((call.result?.structuredContent as Task).status, 'working');
  });
}

/** The 2025-11-25 experimental form, for clients that connect with initialize, over any transport. */
function experimentalPath(
  open: () => Promise<{ home: TestHome; mcp: McpSession; close: () => Promise<void> }>,
) {
  let home: TestHome;
  let mcp: McpSession;
  let close: () => Promise<void>;
  let session: TaskEnabledSession;
  const asTask = { task: { preference: 'prefer' as const } };
  before(async () => {
    ({ home, mcp, close } = await open());
    session = legacyTaskSession(mcp.client);
  });
  after(async () => {
    await session.close();
    await close();
  });

  it('advertises task support for run_command only', async () => {
    assert.deepEqual(mcp.client.getServerCapabilities()?.tasks, {
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const { tools } = await mcp.client.listTools();
    const taskSupport = Object.fromEntries(tools.map((tool) => [tool.name, tool.execution?.taskSupport]));
    assert.equal(taskSupport.run_command, 'optional');
    assert.equal(taskSupport.start_task, undefined);
  });

  it('runs run_command as a task: created, polled, and its result fetched once it ends', async () => {
    const flag = join(home.path, `legacy-finish-${Date.now()}`);
    const execution = await session.callTool(
      'run_command',
      { command: `echo started; while [ ! -e ${flag} ]; do sleep 0.1; done; echo finished; exit 3` },
      asTask,
    );
    assert.equal(execution.kind, 'task');
    const taskId = execution.handle?.taskId ?? '';
    assert.equal((await mcp.ok<Task>('task_status', { task_id: taskId })).status, 'working');
    assert.equal((await session.task(taskId).snapshot()).status, 'working');
    const listed = await session.listTasks();
    assert.ok(listed.tasks.some((task) => task.taskId === taskId));
    writeFileSync(flag, '');
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'completed');
    const result = (outcome as { result: ToolResult }).result;
    assert.deepEqual([result.structuredContent?.status, result.structuredContent?.exit_code], ['failed', 3]);
    assert.equal(result.structuredContent?.output, 'started\nfinished');
  });

  it('cancels the task and its whole tree', async () => {
    const pidFile = join(home.path, `legacy-grandchild-${Date.now()}.pid`);
    const execution = await session.callTool(
      'run_command',
      { command: `${fixture('detached-grandchild.sh')} ${pidFile}` },
      asTask,
    );
    assert.equal(execution.kind, 'task');
    const grandchild = await waitFor('the detached grandchild', () => {
      const text = readFileSync(pidFile, 'utf8').trim();
      return text === '' ? undefined : Number(text);
    });
    await execution.cancel();
    const { outcome } = await execution.settle();
    assert.equal(outcome.status, 'cancelled');
    assert.equal(isRunning(grandchild), false);
  });

  it('on the wire: -32601 for a task-augmented call of another tool, -32602 for an unknown or ended task', async () => {
    const raw = rawDispatcher(mcp.transport);
    type Answer = { kind: string; error?: { code: number; message: string } };
    const call = (method: string, params: Record<string, unknown>) =>
      raw({ method, params } as never) as Promise<Answer>;
    const other = await call('tools/call', { name: 'list_tasks', arguments: {}, task: {} });
    assert.equal(other.error?.code, -32601);
    assert.match(other.error?.message ?? '', /list_tasks/);
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const unknown = await call(method, { taskId: 'ffff0000' });
      assert.equal(unknown.error?.code, -32602, method);
    }
    const done = await mcp.ok<Task>('start_task', { command: 'true', wait_seconds: 20 });
    const again = await call('tasks/cancel', { taskId: done.task_id });
    assert.equal(again.error?.code, -32602);
    assert.match(again.error?.message ?? '', /already ended/);
  });
}

describe('the 2025-11-25 experimental task form over stdio, driven by ext-tasks', LIMIT, () =>
  experimentalPath(() => overStdio('legacy')),
);
describe('the 2025-11-25 experimental task form over HTTP, driven by ext-tasks', LIMIT, () =>
  experimentalPath(() => overHttp('legacy')),
);
