import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginLink } from './helpers/dashboard.js';
import { runCliAsync } from './helpers/home.js';
import { closeHttpHome, openHttpHome, type HttpHome } from './helpers/http.js';

describe('the dashboard: who may see it and change things', () => {
  let served: HttpHome;
  let origin: string;
  before(async () => {
    served = await openHttpHome();
    origin = new URL(served.server.url).origin;
  });
  after(async () => assert.equal(await closeHttpHome(served), 0));

  /** Logs in through a fresh link; the session cookie and the page's CSRF token. */
  async function logIn(): Promise<{ cookie: string; csrf: string }> {
    const login = await fetch(await loginLink(served), { redirect: 'manual' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/');
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^backburner_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(';')[0] ?? '';
    const session = await fetch(`${origin}/api/session`, { headers: { cookie } });
    assert.equal(session.status, 200);
    const { csrf } = (await session.json()) as { csrf: string };
    return { cookie, csrf };
  }

  it('shows nothing without a session: the page says how to log in, the API answers 401', async () => {
    const page = await fetch(`${origin}/`);
    assert.equal(page.status, 401);
    assert.match(await page.text(), /backburner dashboard/);
    assert.equal((await fetch(`${origin}/api/tasks`)).status, 401);
    assert.equal((await fetch(`${origin}/dashboard.js`)).status, 401);
    const forged = await fetch(`${origin}/api/tasks`, { headers: { cookie: 'backburner_session=forged' } });
    assert.equal(forged.status, 401);
  });

  it('does not take the bearer token as a login, nor the session cookie for MCP', async () => {
    const withToken = await fetch(`${origin}/api/tasks`, {
      headers: { authorization: `Bearer ${served.token}` },
    });
    assert.equal(withToken.status, 401);
    const { cookie } = await logIn();
    const mcp = await fetch(served.server.url, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(mcp.status, 401);
  });

  it('hands login links only to the holder of the token, and each link works once', async () => {
    const refused = await fetch(`${origin}/api/login-links`, { method: 'POST' });
    assert.equal(refused.status, 401);
    const link = await loginLink(served);
    assert.equal((await fetch(link, { redirect: 'manual' })).status, 303);
    const again = await fetch(link, { redirect: 'manual' });
    assert.equal(again.status, 401, 'a spent link opens nothing');
    assert.equal(again.headers.get('set-cookie'), null);
    const guessed = await fetch(`${origin}/login?code=${'A'.repeat(43)}`, { redirect: 'manual' });
    assert.equal(guessed.status, 401);
  });

  it('serves the page with a strict Content-Security-Policy once logged in', async () => {
    const { cookie } = await logIn();
    const page = await fetch(`${origin}/`, { headers: { cookie } });
    assert.equal(page.status, 200);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.match(await page.text(), /<script type="module" src="\/dashboard.js">/);
    const script = await fetch(`${origin}/dashboard.js`, { headers: { cookie } });
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  });

  it('refuses a change without the CSRF header, from another origin, or from another loopback port', async () => {
    const { cookie, csrf } = await logIn();
    const started = await runCliAsync(['add', '--json', '--', 'sleep 30'], served.home.env);
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout) as { task_id: string }).task_id;
    const cancel = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${origin}/api/tasks/${id}/cancel`, { method: 'POST', headers: { cookie, ...headers } });
    assert.equal((await cancel({ origin })).status, 403, 'no CSRF header');
    assert.equal((await cancel({ origin, 'x-backburner-csrf': 'wrong' })).status, 403, 'a wrong CSRF token');
    assert.equal((await cancel({ 'x-backburner-csrf': csrf })).status, 403, 'no Origin');
    assert.equal((await cancel({ origin: 'https://evil.example', 'x-backburner-csrf': csrf })).status, 403);
    const otherPort = `http://127.0.0.1:${Number(new URL(origin).port) === 9 ? 10 : 9}`;
    assert.equal(
      (await cancel({ origin: otherPort, 'x-backburner-csrf': csrf })).status,
      403,
      'a page on another port',
    );
    assert.equal(
      (await cancel({ origin, 'sec-fetch-site': 'same-site', 'x-backburner-csrf': csrf })).status,
      403,
    );
    const status = (await (await fetch(`${origin}/api/tasks/${id}`, { headers: { cookie } })).json()) as {
      status: string;
    };
    assert.notEqual(status.status, 'cancelled', 'none of those changed anything');
    const done = await cancel({ origin, 'x-backburner-csrf': csrf });
    assert.equal(done.status, 200);
    assert.match(((await done.json()) as { message: string }).message, /^cancelled; ended \d+ process/);
  });

  it('names a bad argument in a 400 and an unknown task in a 404', async () => {
    const { cookie } = await logIn();
    const bad = await fetch(`${origin}/api/tasks?status=sleeping`, { headers: { cookie } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /"sleeping"/);
    const unknown = await fetch(`${origin}/api/tasks/deadbeef`, { headers: { cookie } });
    assert.equal(unknown.status, 404);
    const grep = await fetch(`${origin}/api/tasks/deadbeef/output?tail=x`, { headers: { cookie } });
    assert.equal(grep.status, 400);
    assert.match(
      ((await grep.json()) as { error: { message: string } }).error.message,
      /tail must be a whole number, got "x"/,
    );
  });

  it("pages back through a long log with the tools' tail before a cursor, and greps the whole of it", async () => {
    const { cookie } = await logIn();
    const started = await runCliAsync(['add', '--json', '--', 'seq 1 2000'], served.home.env);
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout) as { task_id: string }).task_id;
    assert.equal((await runCliAsync(['wait', id, '--timeout', '60'], served.home.env)).code, 0);
    interface Page {
      output: string;
      start_cursor: string;
      output_total_lines: number;
    }
    const read = async (query: string): Promise<Page> => {
      const answer = await fetch(`${origin}/api/tasks/${id}/output?${query}`, { headers: { cookie } });
      assert.equal(answer.status, 200);
      return (await answer.json()) as Page;
    };
    const last = await read('tail=500&before=end');
    assert.equal(last.output_total_lines, 2000);
    assert.deepEqual(
      last.output.split('\n'),
      Array.from({ length: 500 }, (_, i) => String(1501 + i)),
    );
    const earlier = await read(`tail=500&before=${last.start_cursor}`);
    assert.deepEqual(
      earlier.output.split('\n'),
      Array.from({ length: 500 }, (_, i) => String(1001 + i)),
    );
    assert.equal(earlier.output_total_lines, 2000, "the whole log's count, not the window's");
    const first = await read(
      'tail=500&before=' + (await read(`tail=1000&before=${earlier.start_cursor}`)).start_cursor,
    );
    assert.equal(first.output, '');
    assert.equal(first.start_cursor, '0');
    const grep = await fetch(`${origin}/api/tasks/${id}/output?grep=${encodeURIComponent('^1999$')}`, {
      headers: { cookie },
    });
    assert.deepEqual(await grep.json().then((body) => (body as { output: string }).output), '1999:1999');
    const mixed = await fetch(`${origin}/api/tasks/${id}/output?head=5&before=${last.start_cursor}`, {
      headers: { cookie },
    });
    assert.equal(mixed.status, 400);
  });

  it('says which command to run when no server answers', () => {
    const { code, stderr } = served.home.cli(['dashboard', '--print', '--port', '9']);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /no server answers at http:\/\/127\.0\.0\.1:9; start one with: backburner serve --http --port 9/,
    );
  });
});
