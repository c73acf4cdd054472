import { appendFileSync, closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { logicalOffset, type LogLayout } from './log-cap.js';
import { LogView } from './log-view.js';

export const logPath = (logsDir: string, id: string): string => join(logsDir, `${id}.log`);
/** Written by the task's wrapper shell when the command ends: its exit status, one line. */
export const exitStatusPath = (logsDir: string, id: string): string => join(logsDir, `${id}.exit`);
/** The FIFO a task that takes input reads its standard input from (and, beside it, `.holder`). */
export const inputPath = (logsDir: string, id: string): string => join(logsDir, `${id}.in`);

function openForReading(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The last `bytes` of a log as text (for telling why a task failed); empty when there is no log. */
export function recentLogText(path: string, bytes = 4096): string {
  const fd = openForReading(path);
  if (fd === null) return '';
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.allocUnsafe(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends a line backburner writes itself (an attempt's marker) to a log, and returns the logical
 * offset it begins at: the bytes written to the log before it, as cursors count them.
 */
export function appendOwnLine(path: string, line: string, layout: LogLayout): number {
  const view = LogView.open(path, layout);
  let size = 0;
  if (view !== null) {
    size = view.size;
    view.close();
  }
  appendFileSync(path, line, { mode: 0o600 });
  return logicalOffset(layout, size);
}
