import { type Backburner } from '../client/backburner.js';
import type { QueueView } from '../client/scheduling.js';
import { paintStatus, plainTable } from './format.js';

/** The CLI's scheduling verbs: `add`, `restart` and `queue`. */

export interface AddOptions {
  json: boolean;
  queue?: string;
  after: string[];
  retries?: number;
  retryDelaySeconds?: number;
  retryInterrupted: boolean;
  notBefore?: string;
  label?: string;
  cwd?: string;
  timeoutSeconds?: number;
  env: Record<string, string>;
  stdin?: string;
  tty: boolean;
  cols?: number;
  rows?: number;
  ready?: string;
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

const SAFE_WORD = /^[A-Za-z0-9_\-+=.,/:@%^]+$/;

/**
 * The command line for words given after `--`: one word is taken as a whole command line (so that
 * `add -- "make && make test"` works); several are quoted for /bin/sh one by one, so that each reaches
 * the command as it was typed.
 */
export function commandLine(words: string[]): string {
  if (words.length === 1) return words[0] ?? '';
  return words.map((word) => (SAFE_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `NAME=VALUE` pairs from `--env`, as an object. */
export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new Error(`--env must be NAME=VALUE, got '${pair}'`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return env;
}

export async function addCommand(bb: Backburner, words: string[], options: AddOptions): Promise<void> {
  const task = await bb.start({
    command: commandLine(words),
    queue: options.queue,
    after: options.after.length === 0 ? undefined : options.after,
    retries: options.retries,
    retry_delay_seconds: options.retryDelaySeconds,
    retry_interrupted: options.retryInterrupted,
    not_before: options.notBefore,
    label: options.label,
    cwd: options.cwd,
    timeout_seconds: options.timeoutSeconds,
    env: Object.keys(options.env).length === 0 ? undefined : options.env,
    stdin: options.stdin,
    tty: options.tty ? true : undefined,
    tty_cols: options.cols,
    tty_rows: options.rows,
    ready_pattern: options.ready,
  });
  if (options.json) print(JSON.stringify(task, null, 2));
  else {
    const where =
      task.status === 'queued'
        ? ` in queue '${task.queue ?? 'default'}' (place ${task.queue_position ?? '?'}): waiting for ${(task.waiting_for ?? []).join('; ')}`
        : ` in queue '${task.queue ?? 'default'}'`;
    print(`${task.task_id}  ${paintStatus(task.status)}${where}`);
  }
}

export async function restartCommand(
  bb: Backburner,
  id: string,
  env: Record<string, string>,
  json: boolean,
): Promise<void> {
  const task = await bb.restart(id, { env });
  if (json) print(JSON.stringify(task, null, 2));
  else print(`${task.task_id}  ${paintStatus(task.status)}  (restarted from ${id})`);
}

function queueTable(queues: QueueView[]): string {
  const header = ['QUEUE', 'RUNNING', 'WAITING', 'MAX', 'STATE', 'LIMIT FROM'];
  const rows = queues.map((queue) => [
    queue.name,
    String(queue.running),
    String(queue.waiting),
    String(queue.max_parallel),
    queue.paused ? 'paused' : 'active',
    queue.max_parallel_from,
  ]);
  return plainTable(header, rows);
}

/** `backburner queue ls | set NAME --max-parallel N | pause NAME | resume NAME`. */
export async function queueCommand(
  bb: Backburner,
  action: string | undefined,
  name: string | undefined,
  maxParallel: number | undefined,
  json: boolean,
): Promise<void> {
  if (action === undefined || action === 'ls' || action === 'list') {
    const queues = await bb.listQueues();
    print(json ? JSON.stringify({ queues }, null, 2) : queueTable(queues));
    return;
  }
  if (name === undefined) throw new Error(`queue ${action} needs a queue name`);
  const settings =
    action === 'set'
      ? { max_parallel: maxParallel }
      : action === 'pause'
        ? { paused: true }
        : action === 'resume'
          ? { paused: false }
          : undefined;
  if (settings === undefined) throw new Error(`unknown queue action '${action}' (ls, set, pause, resume)`);
  if (action === 'set' && maxParallel === undefined) throw new Error('queue set needs --max-parallel N');
  const queue = await bb.configureQueue(name, settings);
  print(json ? JSON.stringify(queue, null, 2) : queueTable([queue]));
}
