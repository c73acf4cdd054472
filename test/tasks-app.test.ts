import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium, SCREENSHOTS } from './helpers/browser.js';
import { makeHome, type TestHome } from './helpers/home.js';
import { connectMcp, type Era, type McpSession, type ToolResult } from './helpers/mcp.js';
import { fixture, ROOT } from './helpers/paths.js';
import { pidsWithEnv } from './helpers/processes.js';
import { needsSystemTool } from './helpers/system-tools.js';
import { waitFor } from './helpers/wait-for.js';

const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const APP_MIME_TYPE = 'text/html;profile=mcp-app';
const VIEW_URI = 'ui://backburner/tasks.html';
/** What a client that renders MCP Apps (Claude, VS Code, Goose…) declares. */
const RENDERS_APPS = { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME_TYPE] } } };
const LIMIT = { timeout: 120_000 };

type ListedTool = Awaited<ReturnType<McpSession['client']['listTools']>>['tools'][number];
const uiOf = (tool: ListedTool) =>
  tool._meta?.ui as { resourceUri?: string; visibility?: string[] } | undefined;

async function viewHtml(mcp: McpSession): Promise<string> {
  const read = await mcp.client.readResource({ uri: VIEW_URI });
  const [content] = read.contents;
  assert.equal(content?.mimeType, APP_MIME_TYPE);
  return (content as { text: string }).text;
}

describe('the MCP App through the SDK client', LIMIT, () => {
  let home: TestHome;
  const sessions: McpSession[] = [];
  const open = async (era: Era, renders: boolean): Promise<McpSession> => {
    const mcp = await connectMcp(home, { era, ...(renders ? { capabilities: RENDERS_APPS } : {}) });
    sessions.push(mcp);
    return mcp;
  };
  before(() => {
    home = makeHome();
  });
  after(async () => {
    for (const mcp of sessions) await mcp.close();
    await home.cleanup();
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`a ${era} client without the UI extension sees nothing of the app`, async () => {
      const mcp = await open(era, false);
      const { tools } = await mcp.client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('start_task'));
      assert.ok(!names.includes('show_tasks') && !names.includes('poll_tasks_view'), names.join(', '));
      for (const tool of tools) {
        assert.equal(uiOf(tool), undefined, `${tool.name} has no _meta.ui`);
        assert.equal(tool._meta?.['ui/resourceUri'], undefined, `${tool.name} has no ui/resourceUri`);
      }
      const { resources } = await mcp.client.listResources();
      assert.deepEqual(
        resources.filter((resource) => resource.uri.startsWith('ui://')),
        [],
        'no ui:// resource is listed',
      );
    });

    it(`a ${era} client that renders apps sees show_tasks, the app-only poll tool and the view on the task tools`, async () => {
      const mcp = await open(era, true);
      const { tools } = await mcp.client.listTools();
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      assert.deepEqual(uiOf(byName.get('show_tasks') as ListedTool), { resourceUri: VIEW_URI });
      assert.deepEqual(uiOf(byName.get('poll_tasks_view') as ListedTool), {
        resourceUri: VIEW_URI,
        visibility: ['app'],
      });
      for (const name of ['start_task', 'run_command', 'wait_tasks']) {
        assert.equal(uiOf(byName.get(name) as ListedTool)?.resourceUri, VIEW_URI, `${name} shows the view`);
        assert.equal(byName.get(name)?._meta?.['ui/resourceUri'], VIEW_URI, `${name}, for older hosts`);
      }
      for (const name of ['task_result', 'cancel_task', 'list_tasks'])
        assert.equal(uiOf(byName.get(name) as ListedTool), undefined, `${name} shows no view`);
      assert.equal(byName.get('show_tasks')?.annotations?.readOnlyHint, true);
      const { resources } = await mcp.client.listResources();
      const view = resources.find((resource) => resource.uri === VIEW_URI);
      assert.equal(view?.mimeType, APP_MIME_TYPE);
    });
  }

  it('serves the view as one page that loads nothing from anywhere', async () => {
    const mcp = await open('legacy', true);
    const read = await mcp.client.readResource({ uri: VIEW_URI });
    const meta = read.contents[0]?._meta as { ui?: { csp?: Record<string, string[]> } } | undefined;
    assert.deepEqual(meta?.ui?.csp, { connectDomains: [], resourceDomains: [] });
    const html = await viewHtml(mcp);
    // The page's own markup, without the inline script and styles (which are large and say anything).
    const markup = html.replace(/<(script|style)>[\s\S]*?<\/\1>/g, '<$1></$1>');
    assert.ok(markup.length < 2000, `the markup is small: ${markup}`);
    assert.match(markup, /<div id="app"><\/div>/);
    assert.match(
      markup,
      /http-equiv="Content-Security-Policy"\s+content="default-src 'none'; script-src 'unsafe-inline';/,
    );
    assert.doesNotMatch(markup, /src=|href=|<link/, 'no script, stylesheet or anything else is fetched');
    assert.ok(html.length > 10_000, 'the script and styles are inline');
  });

  it('poll_tasks_view answers with the named tasks in order, filters them, and names a bad value', async () => {
    const mcp = await open('modern', true);
    const quick = await mcp.ok<{ task_id: string }>('start_task', {
      command: 'echo quick',
      label: 'app-poll',
      wait_seconds: 30,
    });
    const slow = await mcp.ok<{ task_id: string }>('start_task', { command: 'sleep 60', label: 'app-poll' });
    const poll = (args: Record<string, unknown>) =>
      mcp.ok<{ tasks: { task_id: string; status: string }[] }>('poll_tasks_view', args);

    const named = await poll({ task_ids: [slow.task_id, quick.task_id, 'ffff0000'] });
    assert.deepEqual(
      named.tasks.map((task) => [task.task_id, task.status]),
      [
        [slow.task_id, 'working'],
        [quick.task_id, 'completed'],
      ],
      'in the order named; a task that does not exist is left out',
    );
    const working = await poll({ task_ids: [slow.task_id, quick.task_id], status: 'working' });
    assert.deepEqual(
      working.tasks.map((task) => task.task_id),
      [slow.task_id],
    );
    const labelled = await poll({ label: 'app-poll', status: ['completed'] });
    assert.deepEqual(
      labelled.tasks.map((task) => task.task_id),
      [quick.task_id],
    );
    const shown = await mcp.call('show_tasks', { label: 'app-poll' });
    const text = shown.content.map((part) => part.text ?? '').join('\n');
    assert.match(text, new RegExp(`task ${slow.task_id} working`));
    assert.match(text, new RegExp(`task ${quick.task_id} completed`));

    assert.match(await mcp.error('poll_tasks_view', { status: 'bogus' }), /status.*"bogus"/);
    assert.match(await mcp.error('show_tasks', { limit: 0 }), /limit.*0/);
    assert.match(
      await mcp.error('poll_tasks_view', { task_ids: Array.from({ length: 51 }, (_, n) => `${n}`) }),
      /task_ids must name at most 50/,
    );
    await mcp.ok('cancel_task', { task_id: slow.task_id });
  });
});

/** The stub host's script, bundled as a host would bundle the ext-apps bridge. */
async function hostScript(): Promise<string> {
  const built = await build({
    entryPoints: [fixture('app-host.mjs')],
    bundle: true,
    format: 'esm',
    write: false,
    absWorkingDir: ROOT,
    logLevel: 'error',
  });
  const [script] = built.outputFiles;
  if (script === undefined) throw new Error('the stub host did not build');
  return script.text;
}

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

describe(
  'the MCP App in a headless browser, under a stub host',
  { ...LIMIT, skip: needsSystemTool('chromium', 'The MCP App browser suite') },
  () => {
    let home: TestHome;
    let mcp: McpSession;
    let browser: Browser;
    let host: string;
    let html: string;
    /** The tools the view called through the host, in order. */
    let called: string[];
    /** Script errors in the host page or the view. */
    let errors: string[];

    before(async () => {
      home = makeHome();
      mcp = await connectMcp(home, { capabilities: RENDERS_APPS });
      [browser, host, html] = await Promise.all([launchChromium(), hostScript(), viewHtml(mcp)]);
    });
    after(async () => {
      await browser?.close();
      await mcp?.close();
      await home?.cleanup();
    });

    /** Opens the view as a host would after a tool call (its arguments and result); returns its frame. */
    async function openView(args: Record<string, unknown>, result: ToolResult) {
      called = [];
      errors = [];
      const page: Page = await browser.newPage({ viewport: { width: 760, height: 600 } });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.exposeFunction('hostCallTool', async (params: { name: string; arguments?: object }) => {
        called.push(params.name);
        return mcp.client.callTool({ name: params.name, arguments: { ...params.arguments } });
      });
      await page.setContent(
        `<!doctype html><html><body>
          <iframe id="view" sandbox="allow-scripts" style="width: 100%; border: 0"></iframe>
          <script>window.viewHtml = ${scriptJson(html)}; window.openedFor = ${scriptJson({ arguments: args, result })};</script>
          <script type="module">${host.replace(/<\/script/g, '<\\/script')}</script>
        </body></html>`,
      );
      await page.locator('body[data-view-initialized="yes"]').waitFor({ timeout: 30_000 });
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      assert.ok(frame !== undefined, 'the view has its frame');
      return { page, frame: frame as Frame };
    }

    const row = (frame: Frame, id: string, status?: string) =>
      frame.locator(`tr[data-task-id="${id}"]${status === undefined ? '' : `[data-status="${status}"]`}`);

    it('renders the list show_tasks was called for, and keeps it live by polling the app-only tool', async () => {
      const done = await mcp.ok<{ task_id: string }>('start_task', {
        command: 'echo from-the-app',
        label: 'in-chat',
        wait_seconds: 30,
      });
      const flag = `${home.path}/app-flag`;
      const waiting = await mcp.ok<{ task_id: string }>('start_task', {
        command: `while [ ! -e ${flag} ]; do sleep 0.1; done; echo released`,
        label: 'in-chat',
      });
      const args = { label: 'in-chat' };
      const { page, frame } = await openView(args, await mcp.call('show_tasks', args));
      await row(frame, done.task_id, 'completed').waitFor({ timeout: 20_000 });
      await row(frame, waiting.task_id, 'working').waitFor({ timeout: 20_000 });
      assert.match((await row(frame, done.task_id).textContent()) ?? '', /echo from-the-app.*exit 0/);
      await page.locator('#view').screenshot({ path: `${SCREENSHOTS}mcp-app.png` });

      // No new tool result arrives: the view sees the end by polling.
      writeFileSync(flag, '');
      await row(frame, waiting.task_id, 'completed').waitFor({ timeout: 30_000 });
      assert.ok(called.filter((name) => name === 'poll_tasks_view').length >= 1, called.join(', '));
      assert.ok(
        called.every((name) => name === 'poll_tasks_view'),
        called.join(', '),
      );
      assert.deepEqual(errors, []);
      await page.close();
    });

    it("opens on start_task's result, shows the task's output, and cancels it with its tree gone", async () => {
      const marker = randomUUID();
      const started = await mcp.call('start_task', {
        command: 'sh -c "while true; do echo tick; sleep 0.2; done" & sleep 600',
        env: { APP_TEST_MARK: marker },
      });
      const id = (started.structuredContent as { task_id: string }).task_id;
      await waitFor('the task and its child', () => pidsWithEnv('APP_TEST_MARK', marker).length >= 2, 30_000);
      const { page, frame } = await openView({}, started);
      await row(frame, id, 'working').waitFor({ timeout: 20_000 });
      assert.equal(await frame.locator('tbody tr[data-task-id]').count(), 1, 'only the task it started');

      await row(frame, id).getByRole('button', { name: 'Show output' }).click();
      await frame.getByTestId('output').filter({ hasText: 'tick' }).waitFor({ timeout: 20_000 });

      await row(frame, id).getByRole('button', { name: 'Cancel' }).click();
      await frame.getByRole('alertdialog').waitFor();
      await page.locator('#view').screenshot({ path: `${SCREENSHOTS}mcp-app-cancel.png` });
      await frame.getByRole('button', { name: 'Yes, cancel' }).click();
      await row(frame, id, 'cancelled').waitFor({ timeout: 30_000 });
      assert.match(
        (await frame.getByTestId('action-message').textContent()) ?? '',
        /^cancelled; ended \d+ process/,
      );
      assert.deepEqual(pidsWithEnv('APP_TEST_MARK', marker), [], 'no process of the task is left');
      assert.ok(called.includes('task_result') && called.includes('cancel_task'), called.join(', '));
      assert.deepEqual(errors, []);
      await page.close();
    });
  },
);
