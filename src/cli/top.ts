import { type Backburner, type ListedTask } from '../client/backburner.js';
import { formatSeconds } from '../output/duration.js';
import { paint, paintStatus } from './format.js';
import { progressText } from './progress-bar.js';

const REFRESH_MS = 1000;
const FOLLOW_REFRESH_MS = 250;
const ESC = '\u001b';
const KEYS = {
  up: [`${ESC}[A`, 'k'],
  down: [`${ESC}[B`, 'j'],
  quit: ['q', '\u0003'],
};

interface View {
  tasks: ListedTask[];
  progress: Map<string, string>;
  selected: number;
  /** The selected task's output fills the screen, refreshed often. */
  following: boolean;
  /** Waiting for y/n before cancelling the selected task. */
  confirming: boolean;
  message: string;
}

const cut = (text: string, width: number): string =>
  text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;

/**
 * `backburner top`: a live full-screen view of the tasks (working and queued first, then the latest
 * ended), their progress, and the selected task's last lines; ↑/↓ (or j/k) select, c cancels (after a
 * y), f follows the selected task's output, q quits. Plain ANSI on the alternate screen: no library.
 */
export async function topCommand(bb: Backburner): Promise<number> {
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true)
    throw new Error('top needs a terminal; use `backburner ls` (or ls --json) when piping');
  const view: View = {
    tasks: [],
    progress: new Map(),
    selected: 0,
    following: false,
    confirming: false,
    message: '',
  };
  const out = process.stdout;
  out.write(`${ESC}[?1049h${ESC}[?25l`);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let timer: NodeJS.Timeout | undefined;
  let drawing = Promise.resolve();
  let stopped = false;

  const load = async (): Promise<void> => {
    const active = await bb.list({ status: ['working', 'queued'], limit: 100 });
    const recent = await bb.list({ limit: 30 });
    const ids = new Set(active.tasks.map((task) => task.task_id));
    view.tasks = [...active.tasks, ...recent.tasks.filter((task) => !ids.has(task.task_id))];
    view.progress = new Map();
    for (const task of view.tasks.filter((listed) => listed.status === 'working'))
      view.progress.set(task.task_id, progressText(await bb.status(task.task_id), true));
    view.selected = Math.min(view.selected, Math.max(0, view.tasks.length - 1));
  };

  const draw = async (): Promise<void> => {
    await load();
    const width = out.columns || 80;
    const height = out.rows || 24;
    const working = view.tasks.filter((task) => task.status === 'working').length;
    const queued = view.tasks.filter((task) => task.status === 'queued').length;
    const lines: string[] = [
      paint(
        'bold',
        cut(
          `backburner top: ${working} working, ${queued} queued   ↑/↓ select  c cancel  f follow  q quit`,
          width,
        ),
      ),
    ];
    const selected = view.tasks[view.selected];
    const tailLines = view.following ? height - 3 : Math.max(3, Math.floor(height / 3));
    if (!view.following) {
      const room = Math.max(1, height - tailLines - 4);
      const first = Math.max(0, Math.min(view.selected - room + 1, view.tasks.length - room));
      for (const [index, task] of view.tasks.slice(first, first + room).entries()) {
        const time = task.duration_seconds ?? task.running_for_seconds;
        const cells = [
          task.task_id,
          paintStatus(task.status, task.status.padEnd(11)),
          (view.progress.get(task.task_id) ?? '').padEnd(24),
          (time === undefined ? '-' : formatSeconds(time)).padEnd(8),
        ].join(' ');
        const row = `${cells} ${cut(task.command.replace(/\s+/g, ' '), Math.max(10, width - 57))}`;
        lines.push(first + index === view.selected ? `${ESC}[7m${row}${ESC}[27m` : row);
      }
    }
    lines.push(paint('gray', '─'.repeat(width)));
    if (selected !== undefined) {
      const tail = await bb.result(selected.task_id, { tail_lines: tailLines, max_bytes: 64 * 1024 });
      lines.push(paint('bold', cut(`${selected.task_id} ${tail.summary}`, width)));
      for (const line of tail.output.split('\n').slice(-tailLines)) lines.push(cut(line, width));
    } else lines.push('no tasks yet');
    const prompt =
      view.confirming && selected !== undefined
        ? paint('yellow', `cancel ${selected.task_id} and its whole process tree? y/N`)
        : view.message;
    out.write(`${ESC}[H${ESC}[2J${lines.slice(0, height - 1).join('\n')}\n${prompt}`);
  };

  const redraw = (): void => {
    if (stopped) return;
    drawing = drawing.then(draw).catch((error: unknown) => {
      view.message = paint('red', (error as Error).message);
    });
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(redraw, view.following ? FOLLOW_REFRESH_MS : REFRESH_MS);
  };

  const onKey = (data: Buffer): void => {
    const key = data.toString('utf8');
    const selected = view.tasks[view.selected];
    if (view.confirming) {
      view.confirming = false;
      if (key === 'y' && selected !== undefined) {
        view.message = `cancelling ${selected.task_id}…`;
        void bb.cancel(selected.task_id).then(
          (outcome) => {
            view.message = `${selected.task_id}: ${outcome.message}`;
            redraw();
          },
          (error: Error) => {
            view.message = paint('red', error.message);
          },
        );
      } else view.message = '';
    } else if (KEYS.quit.includes(key)) return done(0);
    else if (KEYS.up.includes(key)) view.selected = Math.max(0, view.selected - 1);
    else if (KEYS.down.includes(key)) view.selected = Math.min(view.tasks.length - 1, view.selected + 1);
    else if (key === 'c' && selected !== undefined) view.confirming = true;
    else if (key === 'f' || (key === ESC && view.following)) view.following = !view.following;
    redraw();
  };

  process.stdin.on('data', onKey);
  out.on('resize', redraw);
  redraw();
  try {
    return await finished;
  } finally {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    await drawing;
    process.stdin.off('data', onKey);
    out.off('resize', redraw);
    process.stdin.setRawMode(false);
    process.stdin.pause();
    out.write(`${ESC}[?25h${ESC}[?1049l`);
  }
}
