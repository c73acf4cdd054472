import { setTimeout as sleep } from 'node:timers/promises';
import { type Backburner } from '../client/backburner.js';
import { MAX_WAIT_SECONDS } from '../client/arguments.js';
import { isTerminal } from '../shared/task.js';
import { paint } from './format.js';

/** The CLI's verbs for talking with a running task: `send`, `attach`, and `wait --until`. */

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Ctrl-] detaches from `attach`, as in telnet: a key no shell or REPL needs. */
const DETACH = 0x1d;
const FOLLOW_POLL_MS = 50;
const CHUNK = 1024 * 1024;

export async function sendCommand(
  bb: Backburner,
  id: string,
  text: string | undefined,
  options: { end: boolean; secret: boolean; json: boolean },
): Promise<void> {
  // Without TEXT, what the person pipes in is sent (e.g. `echo y | backburner send ID`).
  const input = text ?? (process.stdin.isTTY ? '' : await readStdin());
  const task = await bb.sendInput(id, input, { end: options.end, secret: options.secret });
  if (options.json) print(JSON.stringify(task, null, 2));
  else
    print(
      `${task.task_id}: sent${options.end ? ', input closed' : ''} (${task.input_sent?.bytes ?? 0} bytes in ${task.input_sent?.count ?? 0} inputs so far)`,
    );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Follows a task's output and forwards what the person types to its input, like `docker attach`. On a
 * terminal, keys go one by one (raw mode), so a REPL on a task's terminal behaves as a local one;
 * Ctrl-] detaches and leaves the task running. Ends when the task does.
 */
export async function attachCommand(bb: Backburner, id: string): Promise<number> {
  const row = await bb.read(id);
  if (row.stdin_pipe !== 1)
    process.stderr.write(
      paint('gray', `[backburner] task ${row.id} takes no input: showing its output only\n`),
    );
  else process.stderr.write(paint('gray', `[backburner] attached to ${row.id}; Ctrl-] detaches\n`));
  let detached = false;
  let sending = Promise.resolve();
  const raw = process.stdin.isTTY;
  const onData = (data: Buffer): void => {
    const at = data.indexOf(DETACH);
    const keys = at === -1 ? data : data.subarray(0, at);
    if (keys.length > 0 && row.stdin_pipe === 1) {
      // A raw terminal sends Enter as \r; a task's terminal turns it into \n itself, a plain pipe does not.
      const typed = keys.toString('utf8');
      const text = raw && row.tty_cols === null ? typed.replace(/\r/g, '\n') : typed;
      sending = sending.then(() =>
        bb.sendInput(row.id, text).then(
          () => undefined,
          (error: Error) => {
            process.stderr.write(paint('gray', `\n[backburner] ${error.message}\n`));
          },
        ),
      );
    }
    if (at !== -1) detached = true;
  };
  if (raw) process.stdin.setRawMode(true);
  process.stdin.on('data', onData);
  process.stdin.resume();
  try {
    let cursor = 0;
    for (;;) {
      const chunk = await bb.readLog(row.id, cursor, CHUNK);
      cursor = chunk.cursor;
      if (chunk.bytes.length > 0) {
        process.stdout.write(chunk.bytes);
        continue;
      }
      if (detached) {
        process.stderr.write(paint('gray', `\n[backburner] detached; task ${row.id} keeps running\n`));
        return 0;
      }
      if (isTerminal(chunk.task.status)) {
        process.stderr.write(paint('gray', `\n[backburner] task ${row.id} ${chunk.task.status}\n`));
        return chunk.task.status === 'completed' ? 0 : 1;
      }
      await sleep(FOLLOW_POLL_MS);
    }
  } finally {
    await sending;
    process.stdin.off('data', onData);
    if (raw) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}

/**
 * `backburner wait ID --until REGEX`: until a line of the task's output matches (exit 0), the task ends
 * (1), or time runs out (124). A person has no cursor to give: the whole output counts, from its start.
 */
export async function waitUntilCommand(
  bb: Backburner,
  id: string,
  pattern: string,
  timeoutSeconds: number | undefined,
  json: boolean,
): Promise<number> {
  const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
  let since = '0';
  for (;;) {
    const slice = Math.min(MAX_WAIT_SECONDS, Math.max(0, (deadline - Date.now()) / 1000));
    const result = await bb.wait([id], 'any', slice, undefined, undefined, { until_output: pattern, since });
    const [task] = result.tasks;
    if (result.output_match !== undefined || !result.timed_out || Date.now() >= deadline) {
      if (json) print(JSON.stringify(result, null, 2));
      else if (result.output_match !== undefined)
        print(`${result.output_match.line_number}:${result.output_match.line}`);
      else print(`${task?.task_id ?? id}  ${task?.status ?? ''}  ${task?.summary ?? ''}`);
      if (result.output_match !== undefined) return 0;
      return result.timed_out ? 124 : 1;
    }
    // Keep looking from where this slice stopped, so that nothing printed between two slices is missed.
    since = result.output_cursors?.[task?.task_id ?? id] ?? since;
  }
}
