import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loginLink } from './helpers/dashboard.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { startHttpServer } from './helpers/http.js';
import { rawDispatcher } from './helpers/ext-tasks.js';
import { connectMcp, type McpSession } from './helpers/mcp.js';
import { pidsWithEnv } from './helpers/processes.js';
import { REDIS_PASSWORD, startRedis, startWorker, type TestRedis, type TestWorker } from './helpers/redis.js';
import { needsSystemTool } from './helpers/system-tools.js';
import { waitFor } from './helpers/wait-for.js';

type Task = {
  task_id: string;
  status: string;
  worker?: string;
  host?: string;
  exit_code?: number;
  terminated_by?: string;
  reason?: string;
  output?: string;
  next_cursor?: string;
  full_log?: string;
  processes_ended?: number;
};

/** Every file under a folder, read whole (homes are small in these tests). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

describe(
  'workers on other hosts through Redis and BullMQ',
  { timeout: 300_000, skip: needsSystemTool('redis-server', 'The workers suite (Redis and BullMQ)') },
  () => {
    let redis: TestRedis;
    let client: TestHome;
    let mcp: McpSession;
    const homes: TestHome[] = [];
    const workers: TestWorker[] = [];
    const texts: string[] = [];

    const worker = async (name: string, args: string[], home?: TestHome): Promise<TestWorker> => {
      const where = home ?? makeHome();
      if (home === undefined) homes.push(where);
      const started = await startWorker(where, redis.url, name, args);
      workers.push(started);
      return started;
    };
    const call = async (name: string, args: Record<string, unknown>): Promise<Task> => {
      const result = await mcp.call(name, args);
      texts.push(JSON.stringify(result));
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return result.structuredContent as Task;
    };
    const status = (taskId: string) => call('task_status', { task_id: taskId });
    const waitEnd = async (taskId: string): Promise<Task> =>
      waitFor(
        `task ${taskId} to end`,
        async () => {
          const task = await status(taskId);
          return ['queued', 'working'].includes(task.status) ? undefined : task;
        },
        60_000,
      );

    before(async () => {
      redis = await startRedis();
      client = makeHome({ BACKBURNER_REDIS_URL: redis.url });
      mcp = await connectMcp(client);
    });
    after(async () => {
      await mcp?.close();
      for (const one of workers) await one.stop();
      await client?.cleanup();
      for (const home of homes) await home.cleanup();
      await redis?.stop();
    });

    it('sends a task to the worker whose queue and tags fit, and runs other queues here', async () => {
      const plain = await worker('plain-box', ['--queue', 'build']);
      const gpu = await worker('gpu-box', ['--queue', 'build', '--tag', 'gpu', '--tag', 'linux']);
      const onGpu = await call('start_task', { command: 'echo on-gpu; pwd', queue: 'build', tags: ['gpu'] });
      assert.equal(onGpu.status, 'queued');
      const ended = await waitEnd(onGpu.task_id);
      assert.equal(ended.status, 'completed');
      assert.equal(ended.worker, 'gpu-box');
      const result = await call('task_result', { task_id: onGpu.task_id });
      assert.equal(result.output, `on-gpu\n${gpu.home.path}`, 'it ran in the worker host’s directory');

      const anywhere = await call('start_task', {
        command: 'echo anywhere',
        queue: 'build',
        wait_seconds: 30,
      });
      assert.equal(anywhere.status, 'completed');
      assert.ok(['plain-box', 'gpu-box'].includes(anywhere.worker ?? ''), `ran on ${anywhere.worker}`);

      const here = await call('start_task', { command: 'echo here', wait_seconds: 30 });
      assert.equal(here.status, 'completed');
      assert.equal(here.worker, undefined, 'a queue no worker serves runs on this host');

      const listed = (await mcp.ok<{ tasks: Task[] }>('list_tasks', { limit: 10 })).tasks;
      for (const id of [onGpu.task_id, anywhere.task_id, here.task_id])
        assert.ok(
          listed.some((task) => task.task_id === id),
          `list_tasks shows ${id}`,
        );
      assert.equal(listed.find((task) => task.task_id === onGpu.task_id)?.worker, 'gpu-box');
      assert.ok(plain.stderr().includes('worker plain-box on'), 'both workers took part');
      const seen = client.cli(['workers', '--json']);
      assert.equal(seen.code, 0, seen.stderr);
      const alive = (
        JSON.parse(seen.stdout) as { workers: { name: string; queues: string[]; tags: string[] }[] }
      ).workers;
      assert.deepEqual(
        alive.map((one) => [one.name, one.queues, one.tags]),
        [
          ['gpu-box', ['build'], ['gpu', 'linux']],
          ['plain-box', ['build'], []],
        ],
      );
      assert.match(client.cli(['workers']).stdout, /^NAME\s+HOST\s+QUEUES\s+TAGS\s+RUNNING/);
      const nowhere = makeHome();
      homes.push(nowhere);
      const refused = nowhere.cli(['workers']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /no Redis is configured: set BACKBURNER_REDIS_URL/);

      assert.match(
        await mcp.error('start_task', { command: 'echo x', tags: ['Not A Tag'] }),
        /tags must be a list of short words.*Not A Tag/,
      );
      assert.match(
        await mcp.error('start_task', { command: 'echo x', queue: 'build', retries: 2 }),
        /retries is not available for tasks on workers yet/,
      );
    });

    it('finds Redis in the policy file when BACKBURNER_REDIS_URL is not set', async () => {
      const configured = makeHome();
      homes.push(configured);
      writeFileSync(join(configured.path, 'policy.json'), JSON.stringify({ redis: redis.url }));
      const session = await connectMcp(configured);
      try {
        const task = await session.ok<Task>('start_task', {
          command: 'echo via-the-file',
          queue: 'build',
          wait_seconds: 30,
        });
        assert.equal(task.status, 'completed');
        assert.ok(['plain-box', 'gpu-box'].includes(task.worker ?? ''), `ran on ${task.worker}`);
      } finally {
        await session.close();
      }
    });

    it('follows and greps the output of a remote task from this process while it runs', async () => {
      const task = await call('start_task', {
        command: 'for i in $(seq 1 40); do echo "line $i"; sleep 0.05; done; sleep 1',
        queue: 'build',
      });
      const first = await waitFor('some output', async () => {
        const read = await call('task_result', { task_id: task.task_id });
        return read.output !== undefined && read.output.includes('line 3') ? read : undefined;
      });
      const rest = await waitFor('the rest, since the cursor', async () => {
        const read = await call('task_result', { task_id: task.task_id, since: first.next_cursor });
        return read.output?.includes('line 40') === true ? read : undefined;
      });
      const whole = `${first.output ?? ''}\n${rest.output ?? ''}`.split('\n').filter((line) => line !== '');
      assert.deepEqual(
        whole,
        Array.from({ length: 40 }, (_, n) => `line ${n + 1}`),
        'each line once, in order, across the two reads',
      );
      const grep = await call('task_result', { task_id: task.task_id, grep: 'line [0-9]*7$' });
      assert.equal(grep.output, ['7:line 7', '17:line 17', '27:line 27', '37:line 37'].join('\n'));
      assert.ok(
        (await waitEnd(task.task_id)).full_log?.includes('backburner logs'),
        'says where the full log is',
      );
      const shown = client.cli(['status', task.task_id]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /completed/);
      const logs = client.cli(['logs', task.task_id, '-n', '2']);
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.stdout, 'line 39\nline 40\n');
      const textOf = (read: { contents: unknown[] }): string => (read.contents[0] as { text: string }).text;
      const output = textOf(
        await mcp.client.readResource({ uri: `backburner://tasks/${task.task_id}/output` }),
      );
      assert.match(output, /line 1\n[\s\S]*line 40$/);
      const record = JSON.parse(
        textOf(await mcp.client.readResource({ uri: `backburner://tasks/${task.task_id}` })),
      ) as Task;
      assert.ok(['plain-box', 'gpu-box'].includes(record.worker ?? ''), 'the resource says where it ran');
    });

    it('cancels a remote task and ends its whole tree on the worker', async () => {
      const mark = randomUUID();
      const task = await call('start_task', {
        command: 'sh -c "sleep 300" & sleep 300',
        queue: 'build',
        tags: ['gpu'],
        env: { WORKER_TEST_MARK: mark },
      });
      await waitFor(
        'the tree on the worker',
        () => pidsWithEnv('WORKER_TEST_MARK', mark).length >= 2,
        30_000,
      );
      assert.match(
        await mcp.error('delete_task', { task_id: task.task_id }),
        /is working; cancel it before deleting it/,
      );
      const cancelled = await call('cancel_task', { task_id: task.task_id });
      assert.equal(cancelled.status, 'cancelled');
      assert.ok((cancelled.processes_ended ?? 0) >= 2, `ended ${cancelled.processes_ended}`);
      assert.deepEqual(pidsWithEnv('WORKER_TEST_MARK', mark), [], 'no process of the task is left');
      const deleted = await call('delete_task', { task_id: task.task_id });
      assert.equal((deleted as unknown as { deleted: boolean }).deleted, true);
      assert.match(await mcp.error('task_status', { task_id: task.task_id }), /no task with id/);
    });

    it('a worker killed with -9 leaves its task running; started again, it adopts it and reports its true end', async () => {
      const home = makeHome();
      homes.push(home);
      const first = await worker('adopting-box', ['--queue', 'adopt'], home);
      const flag = join(home.path, 'go-on');
      const task = await call('start_task', {
        command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo after-the-restart; exit 4`,
        queue: 'adopt',
      });
      await waitFor('it to run on the host', async () => (await status(task.task_id)).full_log !== undefined);
      await first.kill();
      assert.equal((await status(task.task_id)).status, 'working', 'the task outlives its worker');
      await worker('adopting-box', ['--queue', 'adopt'], home);
      writeFileSync(flag, '');
      const ended = await waitEnd(task.task_id);
      assert.equal(ended.status, 'failed', JSON.stringify(ended));
      assert.equal(ended.exit_code, 4);
      assert.equal((await call('task_result', { task_id: task.task_id })).output, 'after-the-restart');
    });

    it('a worker gone longer than --lost-after: its task is interrupted (worker_lost), and nothing is left running', async () => {
      const home = makeHome();
      homes.push(home);
      const mark = randomUUID();
      const lonely = await worker('lonely-box', ['--queue', 'lonely', '--lost-after', '2'], home);
      const task = await call('start_task', {
        command: 'sleep 300',
        queue: 'lonely',
        env: { WORKER_TEST_MARK: mark },
      });
      const running = await waitFor('it to run on the host', async () => {
        const pids = pidsWithEnv('WORKER_TEST_MARK', mark);
        return pids.length > 0 && (await status(task.task_id)).full_log !== undefined ? pids : undefined;
      });
      await lonely.kill();
      const lost = await waitFor(
        'the loss to be seen',
        async () => {
          const now = await status(task.task_id);
          return now.status === 'working' ? undefined : now;
        },
        30_000,
      );
      assert.equal(lost.status, 'interrupted');
      assert.equal(lost.terminated_by, 'worker_lost');
      assert.match(lost.reason ?? '', /worker lonely-box .* stopped answering/);
      assert.deepEqual(pidsWithEnv('WORKER_TEST_MARK', mark), running, 'its host kept it running');
      await worker('lonely-box', ['--queue', 'lonely', '--lost-after', '2'], home);
      await waitFor(
        'the restarted worker to end it',
        () => pidsWithEnv('WORKER_TEST_MARK', mark).length === 0,
        30_000,
      );
      assert.equal((await status(task.task_id)).status, 'interrupted', 'never re-run, never completed');
    });

    it('Redis restarted: no record lost, workers reconnect, a queued task runs once', async () => {
      const done = await call('start_task', { command: 'echo before', queue: 'build', wait_seconds: 30 });
      assert.equal(done.status, 'completed');
      const home = makeHome();
      homes.push(home);
      const runs = join(home.path, 'runs');
      const waiting = await call('start_task', {
        command: `echo run >> ${runs}`,
        queue: 'later',
        tags: ['nightly'],
      });
      assert.equal(waiting.status, 'queued');
      await redis.restart();
      assert.equal((await status(done.task_id)).status, 'completed', 'the record survived');
      assert.equal((await status(waiting.task_id)).status, 'queued');
      await worker('later-box', ['--queue', 'later', '--tag', 'nightly'], home);
      assert.equal((await waitEnd(waiting.task_id)).status, 'completed');
      const again = await call('start_task', { command: 'echo after', queue: 'build', wait_seconds: 30 });
      assert.equal(again.status, 'completed', 'the workers that were up reconnected by themselves');
      assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'it ran once');
    });

    it("checks the caller's policy before sending, and the worker's own (stricter) policy before running", async () => {
      const strict = makeHome({ BACKBURNER_DENY: '^echo strict-refused' });
      homes.push(strict);
      await worker('strict-box', ['--queue', 'strict'], strict);
      const refusedThere = await call('start_task', { command: 'echo strict-refused', queue: 'strict' });
      const ended = await waitEnd(refusedThere.task_id);
      assert.equal(ended.status, 'failed');
      assert.equal(ended.terminated_by, 'spawn_error');
      assert.match(ended.reason ?? '', /worker strict-box did not start it: .*refused/i);

      const before = (await mcp.ok<{ tasks: Task[] }>('list_tasks', { limit: 100 })).tasks.length;
      const picky = await connectMcp(client, { env: { BACKBURNER_DENY: '^echo caller-refused' } });
      try {
        const refusedHere = await picky.call('start_task', {
          command: 'echo caller-refused',
          queue: 'strict',
        });
        assert.equal(refusedHere.isError, true);
        assert.match(JSON.stringify(refusedHere.content), /caller-refused/);
      } finally {
        await picky.close();
      }
      const after = (await mcp.ok<{ tasks: Task[] }>('list_tasks', { limit: 100 })).tasks.length;
      assert.equal(after, before, 'nothing was sent');
    });

    it('the dashboard lists tasks on workers and reads their output', async () => {
      const task = await call('start_task', {
        command: 'echo for-the-dashboard',
        queue: 'build',
        wait_seconds: 30,
      });
      const server = await startHttpServer(client);
      try {
        const served = { home: client, server, token: '' };
        const login = await fetch(await loginLink(served), { redirect: 'manual' });
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
        const origin = new URL(server.url).origin;
        const list = (await (await fetch(`${origin}/api/tasks`, { headers: { cookie } })).json()) as {
          tasks: Task[];
        };
        const row = list.tasks.find((one) => one.task_id === task.task_id);
        assert.ok(['plain-box', 'gpu-box'].includes(row?.worker ?? ''), JSON.stringify(row));
        const output = (await (
          await fetch(`${origin}/api/tasks/${task.task_id}/output?tail=10`, { headers: { cookie } })
        ).json()) as Task;
        assert.equal(output.output, 'for-the-dashboard');
      } finally {
        await server.stop();
      }
    });

    it('the Tasks extension answers for a task on a worker: a handle, tasks/get, the result inline', async () => {
      const modern = await connectMcp(client, { era: 'modern' });
      try {
        const raw = rawDispatcher(modern.transport);
        const envelope = {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {
            extensions: { 'io.modelcontextprotocol/tasks': {} },
          },
        };
        const request = (method: string, params: Record<string, unknown>) =>
          raw({ method, params: { ...params, _meta: envelope } } as never) as Promise<{
            result?: Record<string, unknown>;
          }>;
        const call = await request('tools/call', {
          name: 'run_command',
          arguments: { command: 'sleep 2; echo from-a-worker', queue: 'build' },
        });
        const handle = call.result ?? {};
        assert.deepEqual([handle.resultType, handle.status], ['task', 'working'], JSON.stringify(handle));
        const done = await waitFor(
          'tasks/get to say completed',
          async () => {
            const got = await request('tasks/get', { taskId: handle.taskId });
            return got.result?.status === 'completed' ? got.result : undefined;
          },
          60_000,
        );
        const inline = done.result as { structuredContent?: Task };
        assert.equal(inline.structuredContent?.output, 'from-a-worker');
        assert.ok(['plain-box', 'gpu-box'].includes(inline.structuredContent?.worker ?? ''));
      } finally {
        await modern.close();
      }
    });

    it('with Redis out of reach, a plain task still runs here, and one asking for tags says why not', async () => {
      const offline = makeHome({ BACKBURNER_REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:1` });
      homes.push(offline);
      const session = await connectMcp(offline);
      try {
        const plain = await session.ok<Task>('start_task', { command: 'echo still-here', wait_seconds: 30 });
        assert.equal(plain.status, 'completed');
        assert.equal(plain.worker, undefined);
        const refused = await session.error('start_task', { command: 'echo x', tags: ['gpu'] });
        texts.push(refused);
        assert.match(refused, /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/? did not answer/);
      } finally {
        await session.close();
      }
    });

    it('never shows the Redis password: not in a result, a worker log or a file of any home', () => {
      assert.ok(texts.length > 20);
      for (const text of texts)
        assert.ok(!text.includes(REDIS_PASSWORD), `a result shows it: ${text.slice(0, 200)}`);
      for (const one of workers)
        assert.ok(!one.stderr().includes(REDIS_PASSWORD), `worker ${one.name}'s log shows it`);
      for (const home of [client, ...homes])
        for (const file of filesUnder(home.path).filter((path) => !path.endsWith('/policy.json')))
          assert.ok(!readFileSync(file).includes(REDIS_PASSWORD), `${file} holds it`);
    });
  },
);

describe(
  'workers through a TLS Redis (rediss://)',
  {
    timeout: 120_000,
    skip:
      needsSystemTool('redis-server', 'The workers suite (Redis and BullMQ)') ||
      needsSystemTool('openssl', 'The workers suite over TLS'),
  },
  () => {
    let redis: TestRedis & { ca?: string };
    let worker: TestWorker;
    let mcp: McpSession;
    const homes: TestHome[] = [];

    before(async () => {
      redis = await startRedis({ tls: true });
      const trust = { NODE_EXTRA_CA_CERTS: redis.ca ?? '' };
      const workerHome = makeHome(trust);
      const client = makeHome({ BACKBURNER_REDIS_URL: redis.url, ...trust });
      homes.push(workerHome, client);
      worker = await startWorker(workerHome, redis.url, 'tls-box', ['--queue', 'secure']);
      mcp = await connectMcp(client);
    });
    after(async () => {
      await mcp?.close();
      await worker?.stop();
      for (const home of homes) await home.cleanup();
      await redis?.stop();
    });

    it('sends, runs and reads a task through Redis over TLS with a password', async () => {
      assert.match(redis.url, /^rediss:\/\//);
      const task = await mcp.ok<Task>('start_task', {
        command: 'echo over-tls',
        queue: 'secure',
        wait_seconds: 30,
      });
      assert.equal(task.status, 'completed');
      assert.equal(task.worker, 'tls-box');
      assert.equal((await mcp.ok<Task>('task_result', { task_id: task.task_id })).output, 'over-tls');
      assert.ok(!worker.stderr().includes(REDIS_PASSWORD));
      assert.match(
        worker.stderr(),
        /Redis rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+/,
        'the worker names Redis without the password',
      );
    });
  },
);
