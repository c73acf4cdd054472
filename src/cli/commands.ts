import { BackburnerError } from '../shared/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Backburner } from '../client/backburner.js';
import { MAX_MAX_BYTES, MAX_WAIT_SECONDS } from '../client/arguments.js';
import { isTerminal } from '../shared/task.js';
import { localTime, paint, paintStatus, plainTable, taskDetails, taskTable } from './format.js';
import { progressText } from './progress-bar.js';

export interface CommandOptions {
  json: boolean;
  lines?: number;
  follow: boolean;
  limit?: number;
  status?: string;
  label?: string;
  cursor?: string;
  queue?: string;
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

/** `backburner workers`: the workers alive now, what they take, and how busy they are. */
export async function workersCommand(bb: Backburner, options: CommandOptions): Promise<void> {
  const workers = await bb.workers();
  if (options.json) {
    printJson({ workers });
    return;
  }
  if (workers.length === 0) {
    print('no worker is alive (start one with: backburner worker --redis URL --queue Q)');
    return;
  }
  const rows = workers.map((worker) => [
    worker.name,
    worker.host,
    worker.queues.join(','),
    worker.tags.length === 0 ? '-' : worker.tags.join(','),
    `${worker.running}/${worker.concurrency}`,
    localTime(worker.started_at),
  ]);
  print(plainTable(['NAME', 'HOST', 'QUEUES', 'TAGS', 'RUNNING', 'UP SINCE'], rows));
}

export async function listCommand(bb: Backburner, options: CommandOptions): Promise<void> {
  const page = await bb.list({
    limit: options.limit ?? 20,
    status: options.status,
    label: options.label,
    cursor: options.cursor,
    queue: options.queue,
  });
  if (options.json) printJson(page);
  else {
    // Progress is read from each working task's latest output: only for the ones shown.
    const progress = new Map<string, string>();
    for (const task of page.tasks.filter((listed) => listed.status === 'working'))
      progress.set(task.task_id, progressText(await bb.status(task.task_id), process.stdout.isTTY === true));
    print(page.tasks.length === 0 ? 'no tasks yet' : taskTable(page.tasks, progress));
    if (page.next_cursor !== undefined) print(`more: backburner ls --cursor ${page.next_cursor}`);
  }
}

export async function statusCommand(bb: Backburner, id: string, options: CommandOptions): Promise<void> {
  const task = await bb.status(id);
  if (options.json) printJson(task);
  else print(taskDetails(task));
}

export async function cancelCommand(bb: Backburner, id: string, options: CommandOptions): Promise<void> {
  const outcome = await bb.cancel(id);
  if (options.json) printJson(outcome);
  else
    print(`${outcome.task.task_id}: ${outcome.changed ? paint('yellow', outcome.message) : outcome.message}`);
}

const FOLLOW_POLL_MS = 100;
const FOLLOW_CHUNK = 1024 * 1024;

/**
 * Prints a task's log: all of it, or the last `-n` lines; with `-f`, keeps printing what the task
 * writes until it ends. Streams the file, so a huge log never enters memory.
 */
/** `logs` of a task on a worker: what Redis holds of its output, read on with cursors (-f follows it). */
async function remoteLogs(bb: Backburner, taskId: string, options: CommandOptions): Promise<void> {
  let read = await bb.result(taskId, {
    tail_lines: options.lines ?? 100,
    raw: true,
    max_bytes: MAX_MAX_BYTES,
  });
  if (options.json) {
    printJson({
      task_id: read.task_id,
      status: read.status,
      output: read.output,
      output_total_lines: read.output_total_lines,
    });
    return;
  }
  for (;;) {
    if (read.output !== '') print(read.output);
    if (!options.follow) return;
    if (isTerminal(read.status)) {
      process.stderr.write(paint('gray', `[backburner] task ${read.task_id} ${read.status}\n`));
      return;
    }
    await sleep(FOLLOW_POLL_MS);
    read = await bb.result(taskId, { since: read.next_cursor, raw: true, max_bytes: MAX_MAX_BYTES });
  }
}

export async function logsCommand(bb: Backburner, id: string, options: CommandOptions): Promise<void> {
  let row;
  try {
    row = await bb.read(id);
  } catch (error) {
    if (!(error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND')) throw error;
    await remoteLogs(bb, (await bb.status(id)).task_id, options); // not here: a task on a worker, or not found
    return;
  }
  if (options.json) {
    const result = await bb.result(row.id, { tail_lines: options.lines ?? 100, max_bytes: MAX_MAX_BYTES });
    printJson({
      task_id: result.task_id,
      status: result.status,
      output: result.output,
      output_total_lines: result.output_total_lines,
    });
    return;
  }
  // Cursors are logical (bytes the task wrote), so that following survives the log being cut to its cap.
  let cursor = 0;
  if (options.lines !== undefined) {
    const tail = await bb.result(row.id, { tail_lines: options.lines, raw: true, max_bytes: MAX_MAX_BYTES });
    if (tail.truncated !== undefined)
      process.stderr.write(paint('gray', `[backburner: ${tail.truncated}]\n`));
    if (tail.output !== '') print(tail.output);
    cursor = Number(tail.next_cursor);
  }
  for (;;) {
    const chunk = await bb.readLog(row.id, cursor, FOLLOW_CHUNK);
    if (chunk.missedBytes > 0)
      process.stderr.write(
        paint('gray', `[backburner: ${chunk.missedBytes} bytes were dropped by the log cap]\n`),
      );
    cursor = chunk.cursor;
    if (chunk.bytes.length > 0) {
      await write(chunk.bytes);
      continue;
    }
    if (!options.follow) return;
    if (isTerminal(chunk.task.status)) {
      process.stderr.write(paint('gray', `[backburner] task ${chunk.task.id} ${chunk.task.status}\n`));
      return;
    }
    await sleep(FOLLOW_POLL_MS);
  }
}

/** Writes to stdout, waiting when the reader is slower than the log (a pipe into `less`). */
function write(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(bytes)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}

/**
 * Waits for tasks, however long it takes (or --timeout seconds): unlike the MCP tool, a person's
 * terminal has no tool-call limit, so this loops over the bounded waits.
 */
export async function waitCommand(
  bb: Backburner,
  ids: string[],
  all: boolean,
  timeoutSeconds: number | undefined,
  options: CommandOptions,
): Promise<number> {
  const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const slice = Math.min(MAX_WAIT_SECONDS, Math.max(0, (deadline - Date.now()) / 1000));
    const result = await bb.wait(ids, all ? 'all' : 'any', slice);
    if (!result.timed_out || Date.now() >= deadline) {
      if (options.json) printJson(result);
      else
        for (const task of result.tasks)
          print(`${task.task_id}  ${paintStatus(task.status)}  ${task.summary}`);
      if (result.timed_out) return 124;
      const ended = result.tasks.filter((task) => isTerminal(task.status));
      return ended.every((task) => task.status === 'completed') ? 0 : 1;
    }
  }
}

/** `backburner policy check "<command>"`: exit 0 when the command would run, 1 when it would be refused. */
export function policyCheckCommand(bb: Backburner, command: string, options: CommandOptions): number {
  const decision = bb.checkPolicy(command);
  if (options.json) {
    printJson({
      command,
      allowed: decision.allowed,
      part: decision.part,
      rule: decision.rule?.pattern.source,
      source: decision.rule?.source,
      reason: decision.rule?.reason,
      message: decision.message,
    });
  } else {
    print(decision.allowed ? paint('green', decision.message) : paint('red', decision.message));
  }
  return decision.allowed ? 0 : 1;
}
