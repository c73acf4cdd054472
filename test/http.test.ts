import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import {
  closeHttpHome,
  connectHttp,
  openHttpHome,
  startHttpServer,
  type HttpHome,
  type HttpServer,
} from './helpers/http.js';
import type { Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A raw POST, to see exactly what the server answers to what a client (or an attacker) sends. */
function post(url: string, headers: Record<string, string>, body: unknown = INITIALIZE): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

/**
 * The status of a POST whose body is too large: `declared` sends only a Content-Length of that many bytes
 * and waits; `streamed` sends that many bytes chunked (no length), then stops and waits.
 */
function uploadStatus(
  url: string,
  token: string,
  body: { declared: number } | { streamed: number },
): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if ('declared' in body) headers['content-length'] = body.declared;
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode);
      request.destroy();
    });
    request.on('error', reject);
    if ('declared' in body) request.flushHeaders();
    else request.write(Buffer.alloc(body.streamed, 0x20));
  });
}

/** fetch() will not send a forged Host header; node:http will, as a rebinding browser would. */
function statusWithHost(url: string, host: string, token: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          host,
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode);
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(INITIALIZE));
  });
}

describe('serve --http', () => {
  let home: TestHome;
  let server: HttpServer;
  let token: string;
  let served: HttpHome;
  before(async () => ({ home, server, token } = served = await openHttpHome()));
  after(async () => assert.equal(await closeHttpHome(served), 0, 'SIGTERM stops the server cleanly'));

  it('binds to loopback and keeps a generated token in the home, owner-only', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.equal(statSync(join(home.path, 'http-token')).mode & 0o777, 0o600);
    assert.ok(token.length >= 32, `token ${token} is long enough to guess at no cost`);
    assert.equal(home.cli(['token']).stdout.trim(), token, 'backburner token prints the same token');
  });

  it('answers 401 without the token or with a wrong one, and creates no session', async () => {
    const missing = await post(server.url, {});
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal(missing.headers.get('mcp-session-id'), null);
    const wrong = await post(server.url, { authorization: `Bearer ${token}x` });
    assert.equal(wrong.status, 401);
    const basic = await post(server.url, {
      authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}`,
    });
    assert.equal(basic.status, 401);
  });

  it('answers 403 to a foreign Origin or Host even with the right token (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const origin = await post(server.url, { ...auth, origin: 'https://evil.example' });
    assert.equal(origin.status, 403);
    const nullOrigin = await post(server.url, { ...auth, origin: 'null' });
    assert.equal(nullOrigin.status, 403);
    const port = new URL(server.url).port;
    assert.equal(await statusWithHost(server.url, `evil.example:${port}`, token), 403);
    assert.equal(await statusWithHost(server.url, `localhost:${port}`, token), 200);
    const local = await post(server.url, { ...auth, origin: `http://localhost:${port}` });
    assert.equal(local.status, 200, 'a page on localhost may call');
    assert.ok(local.headers.get('mcp-session-id'));
  });

  it('refuses a body past 4 MiB with 413, whether its length is declared or streamed, and goes on serving', async () => {
    // The server answers before reading the rest, and closes: the client sends no more than it must, so
    // that the answer is not lost to a reset (what a real client would see is the answer or a reset).
    assert.equal(await uploadStatus(server.url, token, { declared: 5 * 1024 * 1024 }), 413);
    assert.equal(await uploadStatus(server.url, token, { streamed: 4 * 1024 * 1024 + 64 * 1024 }), 413);
    assert.equal((await post(server.url, { authorization: `Bearer ${token}` })).status, 200);
  });

  it('serves MCP only at /mcp: elsewhere is the dashboard, which the bearer token does not log in to', async () => {
    const other = await post(server.url.replace(/\/mcp$/, '/other'), { authorization: `Bearer ${token}` });
    assert.equal(other.status, 401);
    assert.match(await other.text(), /backburner dashboard/);
  });

  it('gives each 2025-era client its own session, and a task started over one is seen by another', async () => {
    const first = await connectHttp(server.url, token);
    const second = await connectHttp(server.url, token);
    try {
      assert.ok(first.transport.sessionId);
      assert.notEqual(first.transport.sessionId, second.transport.sessionId);
      const started = await first.ok<Task>('start_task', { command: 'echo over-http', wait_seconds: 20 });
      assert.equal(started.status, 'completed');
      const seen = await second.ok<{ output: string }>('task_result', { task_id: started.task_id });
      assert.equal(seen.output, 'over-http');
      // Ending one session leaves the other working.
      await first.transport.terminateSession();
      const listed = await second.ok<{ tasks: Task[] }>('list_tasks');
      assert.ok(listed.tasks.some((task) => task.task_id === started.task_id));
      const stale = await post(
        server.url,
        {
          authorization: `Bearer ${token}`,
          'mcp-session-id': first.transport.sessionId ?? '',
          'mcp-protocol-version': '2025-06-18',
        },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      );
      assert.equal(stale.status, 404, 'a terminated session is gone');
    } finally {
      await Promise.allSettled([first.close(), second.close()]);
    }
  });

  it('serves 2026-07-28 clients, which carry everything in each request, without a session', async () => {
    const modern = await connectHttp(server.url, token, 'modern');
    try {
      assert.equal(modern.transport.sessionId, undefined);
      const { tools } = await modern.client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'start_task'));
      const started = await modern.ok<Task>('start_task', { command: 'echo modern', wait_seconds: 20 });
      assert.equal(started.status, 'completed');
    } finally {
      await modern.close();
    }
  });
});

describe('serve --http settings', () => {
  let home: TestHome;
  before(() => (home = makeHome()));
  after(() => home.cleanup());

  it('uses BACKBURNER_TOKEN when given, and writes no token file', async () => {
    const given = 'a-token-given-by-the-user-0123456789';
    const server = await startHttpServer(home, [], { BACKBURNER_TOKEN: given });
    try {
      assert.equal((await post(server.url, { authorization: `Bearer ${given}` })).status, 200);
      assert.throws(() => statSync(join(home.path, 'http-token')), /ENOENT/);
    } finally {
      await server.stop();
    }
  });

  it('beyond loopback, warns, and accepts only the Host names it was told to', async () => {
    const token = 'a-token-for-the-wide-bind-0123456789';
    const server = await startHttpServer(home, ['--host', '0.0.0.0'], {
      BACKBURNER_TOKEN: token,
      BACKBURNER_ALLOWED_HOSTS: 'build-box.internal',
    });
    try {
      assert.match(server.stderr(), /listening beyond loopback \(0\.0\.0\.0\)/);
      const port = new URL(server.url).port;
      const local = server.url.replace('0.0.0.0', '127.0.0.1');
      assert.equal(await statusWithHost(local, `127.0.0.1:${port}`, token), 200);
      assert.equal(await statusWithHost(local, `build-box.internal:${port}`, token), 200);
      assert.equal(await statusWithHost(local, `10.9.8.7:${port}`, token), 403);
    } finally {
      await server.stop();
    }
  });

  it('a task outlives the HTTP server: kill -9 it, and a new one reports the true end', async () => {
    const token = 'a-token-for-the-killed-server-0123';
    const first = await startHttpServer(home, [], { BACKBURNER_TOKEN: token });
    const flag = join(home.path, 'outlive-flag');
    let taskId: string;
    const client = await connectHttp(first.url, token);
    try {
      const task = await client.ok<Task>('start_task', {
        command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo survived; exit 5`,
      });
      taskId = task.task_id;
    } finally {
      await client.close();
    }
    first.process.kill('SIGKILL');
    await first.stop();
    writeFileSync(flag, '');
    const second = await startHttpServer(home, [], { BACKBURNER_TOKEN: token });
    const again = await connectHttp(second.url, token, 'modern');
    try {
      const waited = await again.ok<{ tasks: Task[] }>('wait_tasks', {
        task_ids: [taskId],
        timeout_seconds: 30,
      });
      assert.deepEqual([waited.tasks[0]?.status, waited.tasks[0]?.exit_code], ['failed', 5]);
      assert.equal((await again.ok<Task>('task_result', { task_id: taskId })).output, 'survived');
    } finally {
      await again.close();
      await second.stop();
    }
  });

  it('refuses a bad port, a short token and a taken port with the value named', async () => {
    const badPort = home.cli(['serve', '--http', '--port', '70000']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be a port number .*'70000'/);
    const short = home.cli(['serve', '--http', '--port', '0'], { BACKBURNER_TOKEN: 'short' });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /BACKBURNER_TOKEN must be at least 16 characters/);
    const first = await startHttpServer(home);
    try {
      const port = new URL(first.url).port;
      const taken = home.cli(['serve', '--http', '--port', port]);
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await first.stop();
    }
  });
});

describe('serve --http: a dropped SSE stream is resumed with Last-Event-ID', () => {
  let home: TestHome;
  let server: HttpServer;
  let token: string;
  let served: HttpHome;
  before(async () => ({ home, server, token } = served = await openHttpHome()));
  after(() => closeHttpHome(served));

  it('delivers the answer of a call whose stream dropped while it waited', async () => {
    const version = '2025-11-25';
    const auth = { authorization: `Bearer ${token}` };
    const init = await post(server.url, auth, {
      ...INITIALIZE,
      params: { ...INITIALIZE.params, protocolVersion: version },
    });
    const session = init.headers.get('mcp-session-id') ?? '';
    await init.text();
    const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': version };
    await (await post(server.url, headers, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    const flag = join(home.path, 'resume-flag');
    const start = await post(server.url, headers, {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: {
        name: 'start_task',
        arguments: { command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo resumed` },
      },
    });
    const started = /"task_id":"([0-9a-f]{8})"/.exec(await start.text())?.[1] ?? '';
    assert.match(started, /^[0-9a-f]{8}$/);

    // A long wait, whose stream we drop right after its first (priming) event.
    const aborter = new AbortController();
    const waiting = await fetch(server.url, {
      method: 'POST',
      signal: aborter.signal,
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'wait_tasks', arguments: { task_ids: [started], timeout_seconds: 30 } },
      }),
    });
    const reader = waiting.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    const eventId = /^id: (\S+)/m.exec(first)?.[1];
    assert.ok(eventId, `a priming event with an id, got ${JSON.stringify(first)}`);
    aborter.abort();

    writeFileSync(flag, '');
    // Until the server has noticed the drop, the stream counts as connected (409); a client retries.
    const resumed = await waitFor('the server to take the reconnection', async () => {
      const response = await fetch(server.url, {
        headers: { ...headers, accept: 'text/event-stream', 'last-event-id': eventId },
      });
      if (response.status === 409) await response.text();
      return response.status === 409 ? undefined : response;
    });
    assert.equal(resumed.status, 200);
    const replay = resumed.body?.getReader();
    let text = '';
    while (!text.includes('"id":3')) {
      const chunk = await replay?.read();
      if (chunk === undefined || chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await replay?.cancel();
    assert.match(text, /"id":3/);
    assert.match(text, /1 of 1 ended/);
  });
});
