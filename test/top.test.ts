import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { makeHome, type TestHome } from './helpers/home.js';
import { CLI } from './helpers/paths.js';
import type { Task } from './helpers/tasks.js';
import { waitFor } from './helpers/wait-for.js';

describe('progress in the terminal: ls, status and top', { timeout: 120_000 }, () => {
  let home: TestHome;
  let task: Task;
  before(async () => {
    home = makeHome();
    task = JSON.parse(home.cli(['add', '--json', '--', 'echo "step 42%"; sleep 60']).stdout) as Task;
    await waitFor(
      'the task to print its progress',
      () => home.cli(['logs', task.task_id]).stdout === 'step 42%\n',
    );
  });
  after(() => home.cleanup());

  it('ls and status show the progress as plain text when piped', () => {
    const listed = home.cli(['ls']).stdout;
    assert.match(
      listed.split('\n')[0] ?? '',
      /^ID\s+STATUS\s+QUEUE\s+EXIT\s+TIME\s+PROGRESS\s+CREATED\s+COMMAND$/,
    );
    assert.match(listed, new RegExp(`${task.task_id}\\s+working\\s+default\\s+-\\s+\\S+\\s+42%\\s+`));
    assert.equal(listed.includes('█'), false, 'no bar when piped');
    assert.match(home.cli(['status', task.task_id]).stdout, /progress\s+42%/);
    const json = JSON.parse(home.cli(['ls', '--json']).stdout) as { tasks: Task[] };
    assert.equal(json.tasks[0]?.progress, undefined, '--json is unchanged: listings carry records');
  });

  it('top shows the tasks with a bar, cancels the selected one after a y, and quits on q', async () => {
    const top = spawn('script', ['-qec', `${process.execPath} ${CLI} top`, '/dev/null'], {
      env: home.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    top.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    await waitFor(
      'top to draw the task with its bar',
      () => screen.includes(task.task_id) && /█+░* 42%/.test(screen) && screen.includes('step 42%'),
    );
    top.stdin.write('c');
    await waitFor('the question', () =>
      screen.includes(`cancel ${task.task_id} and its whole process tree? y/N`),
    );
    top.stdin.write('y');
    await waitFor('the task to be cancelled', () => {
      const status = JSON.parse(home.cli(['status', task.task_id, '--json']).stdout) as Task;
      return status.status === 'cancelled';
    });
    await waitFor('top to say so', () => /cancelled; ended \d+ process/.test(screen));
    top.stdin.write('q');
    const code = await new Promise<number | null>((resolve) => top.once('exit', resolve));
    assert.equal(code, 0);
  });
});
