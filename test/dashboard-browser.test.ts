import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SCREENSHOTS } from './helpers/browser.js';
import { loginLink } from './helpers/dashboard.js';
import { closeHttpHome, openHttpHome, type HttpHome } from './helpers/http.js';
import { pidsWithEnv } from './helpers/processes.js';
import { needsSystemTool } from './helpers/system-tools.js';
import { waitFor } from './helpers/wait-for.js';

describe(
  'the dashboard in a real browser',
  { skip: needsSystemTool('chromium', 'The dashboard browser suite') },
  () => {
    let served: HttpHome;
    let browser: Browser;
    let page: Page;

    before(async () => {
      served = await openHttpHome();
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    });
    after(async () => {
      await browser?.close();
      assert.equal(await closeHttpHome(served), 0);
    });

    const add = (command: string, ...options: string[]): string => {
      const started = served.home.cli(['add', '--json', ...options, '--', command]);
      assert.equal(started.code, 0, started.stderr);
      return (JSON.parse(started.stdout) as { task_id: string }).task_id;
    };
    const row = (id: string, status?: string) =>
      page.locator(`tr[data-task-id="${id}"]${status === undefined ? '' : `[data-status="${status}"]`}`);
    const shownTask = (): string | undefined => /#\/tasks\/([0-9a-f]+)$/.exec(page.url())?.[1];

    it('logs in through the one-time link, and the link is then spent', async () => {
      const link = await loginLink(served);
      await page.goto(link);
      assert.equal(
        new URL(page.url()).pathname,
        '/',
        'the login redirects to the page, leaving the code behind',
      );
      await page.getByTestId('live').filter({ hasText: 'live' }).waitFor({ timeout: 20_000 });
      const cookies = await page.context().cookies();
      const session = cookies.find((cookie) => cookie.name === 'backburner_session');
      assert.equal(session?.httpOnly, true);
      assert.equal(session?.sameSite, 'Strict');
      assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read the session');
      const other = await browser.newPage();
      const spent = await other.goto(link);
      assert.equal(spent?.status(), 401);
      await other.close();
    });

    it('shows a started task appear live and finish, without a reload', async () => {
      let reloaded = false;
      page.on('load', () => (reloaded = true));
      const id = add('echo first-line; sleep 1; echo done-line');
      await row(id).waitFor({ timeout: 20_000 });
      await page.locator(`tr[data-task-id="${id}"][data-status="completed"]`).waitFor({ timeout: 30_000 });
      assert.match((await row(id).textContent()) ?? '', /echo first-line/);
      assert.match((await row(id).locator('.cause').textContent()) ?? '', /exit 0/);
      assert.equal(reloaded, false);
      await page.screenshot({ path: `${SCREENSHOTS}task-list.png` });
    });

    it('follows the output of a running task, greps it with highlights, and cancels it with its tree gone', async () => {
      const id = add('i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done & sleep 600 & wait');
      await page.locator(`tr[data-task-id="${id}"][data-status="working"]`).waitFor({ timeout: 30_000 });
      await row(id).click();
      const output = page.getByTestId('output');
      await output.filter({ hasText: /tick \d+/ }).waitFor({ timeout: 20_000 });
      const first = Number(/tick (\d+)/.exec((await output.textContent()) ?? '')?.[1]);
      // Followed, not reloaded: later lines arrive in the same view.
      await waitFor('later output in the followed view', async () => {
        const text = (await output.textContent()) ?? '';
        const numbers = [...text.matchAll(/tick (\d+)/g)].map((match) => Number(match[1]));
        return Math.max(...numbers) >= first + 5;
      });
      await page.screenshot({ path: `${SCREENSHOTS}task-output.png` });

      await page.getByRole('button', { name: 'grep' }).click();
      await page.locator('input[name="grep"]').fill('tick [0-9]*5$');
      await page.locator('.grep button[type="submit"]').click();
      await page.getByTestId('match-count').waitFor({ timeout: 20_000 });
      const count = Number(/^(\d+)/.exec((await page.getByTestId('match-count').textContent()) ?? '')?.[1]);
      assert.ok(count >= 1, `matches: ${count}`);
      const marks = await page.locator('.matches mark').allTextContents();
      assert.ok(marks.length >= 1);
      for (const mark of marks) assert.match(mark, /^tick \d*5$/);
      await page.screenshot({ path: `${SCREENSHOTS}task-grep.png` });

      assert.ok(pidsWithEnv('BACKBURNER_TASK_ID', id).length >= 2, 'the task has a tree to end');
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('alertdialog').waitFor();
      await page.getByRole('button', { name: 'Yes, cancel' }).click();
      await page.getByTestId('task-status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
      assert.match(
        (await page.getByTestId('action-message').textContent()) ?? '',
        /^cancelled; ended \d+ process/,
      );
      assert.deepEqual(pidsWithEnv('BACKBURNER_TASK_ID', id), [], 'no process of the task is left');
    });

    it('shows queue limits and the durations chart, restarts a task and deletes one, each after a confirmation', async () => {
      assert.equal(served.home.cli(['queue', 'set', 'nightly', '--max-parallel', '3']).code, 0);
      const first = add('echo chart-run', '--queue', 'nightly');
      const second = add('echo chart-run', '--queue', 'nightly', '--after', first);
      await page.goto(new URL('/', page.url()).href);
      await row(second, 'completed').waitFor({ timeout: 30_000 });
      await page.locator('.queue[data-queue="nightly"]').filter({ hasText: '0/3 running' }).waitFor();
      const chart = page.locator('.chart');
      await chart.locator('canvas').first().waitFor({ timeout: 20_000 });
      assert.match((await chart.textContent()) ?? '', /echo chart-run/, 'the chart names the command');
      await page.screenshot({ path: `${SCREENSHOTS}dashboard-queues-chart.png` });

      await row(second).click();
      await page.getByRole('button', { name: 'Restart' }).click();
      await page.getByRole('alertdialog').waitFor();
      await page.getByRole('button', { name: 'Yes, restart' }).click();
      const restarted = await waitFor('the view of the new task', () => {
        const shown = shownTask();
        return shown !== undefined && shown !== second ? shown : undefined;
      });
      await page.getByTestId('task-status').filter({ hasText: 'completed' }).waitFor({ timeout: 30_000 });
      const record = served.home.cli(['status', '--json', restarted]);
      assert.equal((JSON.parse(record.stdout) as { restarted_from?: string }).restarted_from, second);

      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('alertdialog').waitFor();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await waitFor('the list again', () => shownTask() === undefined);
      await row(second).waitFor();
      // The list drops it at its next push (at most a second), without a reload.
      await row(restarted).waitFor({ state: 'detached', timeout: 20_000 });
      assert.notEqual(served.home.cli(['status', restarted]).code, 0, 'and from the store');
    });
  },
);
