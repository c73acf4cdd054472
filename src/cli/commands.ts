import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backburner } from '../client/backburner.js';
import { isTerminal } from '../engine/task.js';
import { readRange, readTail } from '../store/logs.js';
import { paint, taskDetails, taskTable } from './format.js';

export interface CommandOptions {
  json: boolean;
  lines?: number;
  follow: boolean;
  limit?: number;
}

const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

export async function listCommand(bb: Backburner, options: CommandOptions): Promise<void> {
  const tasks = await bb.list(options.limit ?? 20);
  if (options.json) printJson({ tasks });
  else print(tasks.length === 0 ? 'no tasks yet' : taskTable(tasks));
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
export async function logsCommand(bb: Backburner, id: string, options: CommandOptions): Promise<void> {
  const row = await bb.read(id);
  const path = bb.logFile(row.id);
  if (options.json) {
    const result = await bb.result(row.id, options.lines ?? 100);
    printJson({
      task_id: result.task_id,
      status: result.status,
      output: result.output,
      output_total_lines: result.output_total_lines,
    });
    return;
  }
  let position: number;
  if (options.lines !== undefined) {
    const tail = readTail(path, options.lines);
    if (tail.text !== '') print(tail.text);
    position = tail.totalBytes;
  } else {
    position = await streamFile(path);
  }
  if (!options.follow) return;
  for (;;) {
    const chunk = readRange(path, position, FOLLOW_CHUNK);
    if (chunk.length > 0) {
      process.stdout.write(chunk);
      position += chunk.length;
      continue;
    }
    const current = await bb.status(row.id);
    if (isTerminal(current.status)) {
      const rest = readRange(path, position, Number.MAX_SAFE_INTEGER);
      if (rest.length > 0) process.stdout.write(rest);
      process.stderr.write(paint('gray', `[backburner] task ${current.task_id} ${current.status}\n`));
      return;
    }
    await sleep(FOLLOW_POLL_MS);
  }
}

function streamFile(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const stream = createReadStream(path);
    stream.on('data', (chunk) => {
      bytes += chunk.length;
      process.stdout.write(chunk);
    });
    stream.on('end', () => resolve(bytes));
    stream.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve(0) : reject(error),
    );
  });
}
