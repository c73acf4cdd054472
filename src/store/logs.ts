import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

export const logPath = (logsDir: string, id: string): string => join(logsDir, `${id}.log`);
/** Written by the task's wrapper shell when the command ends: its exit status, one line. */
export const exitStatusPath = (logsDir: string, id: string): string => join(logsDir, `${id}.exit`);

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
