import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

export const logPath = (logsDir: string, id: string): string => join(logsDir, `${id}.log`);
/** Written by the task's wrapper shell when the command ends: its exit status, one line. */
export const exitStatusPath = (logsDir: string, id: string): string => join(logsDir, `${id}.exit`);

export interface LogTail {
  /** The last lines, joined with '\n', without a trailing newline. */
  text: string;
  /** Lines in the whole log (a last line without a newline counts). */
  totalLines: number;
  totalBytes: number;
}

function openForReading(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Counts lines by streaming through the file in chunks: memory stays flat whatever the size. */
function countLines(fd: number, size: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK * 16);
  let lines = 0;
  let position = 0;
  let last = NEWLINE;
  while (position < size) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
    if (read === 0) break;
    let at = buffer.indexOf(NEWLINE, 0);
    while (at !== -1 && at < read) {
      lines++;
      at = buffer.indexOf(NEWLINE, at + 1);
    }
    last = buffer[read - 1] ?? NEWLINE;
    position += read;
  }
  return last === NEWLINE ? lines : lines + 1;
}

/**
 * Reads the last `lines` lines by walking backwards from the end of the file, so that the cost
 * depends on the size of the tail, not of the log.
 */
export function readTail(path: string, lines: number): LogTail {
  const fd = openForReading(path);
  if (fd === null) return { text: '', totalLines: 0, totalBytes: 0 };
  try {
    const size = fstatSync(fd).size;
    const totalLines = countLines(fd, size);
    if (size === 0 || lines <= 0) return { text: '', totalLines, totalBytes: size };
    // Ignore one trailing newline: it ends the last line rather than starting an empty one.
    let end = size;
    const lastByte = Buffer.alloc(1);
    readSync(fd, lastByte, 0, 1, size - 1);
    if (lastByte[0] === NEWLINE) end--;
    const chunks: Buffer[] = [];
    let start = end;
    let found = 0;
    let cut = 0; // where the tail begins, once enough newlines are seen
    outer: while (start > 0) {
      const length = Math.min(CHUNK, start);
      start -= length;
      const chunk = Buffer.allocUnsafe(length);
      readSync(fd, chunk, 0, length, start);
      chunks.unshift(chunk);
      for (let i = length - 1; i >= 0; i--) {
        if (chunk[i] === NEWLINE && ++found === lines) {
          cut = start + i + 1;
          break outer;
        }
      }
    }
    const tail = Buffer.concat(chunks).subarray(cut - start, end - start);
    return { text: tail.toString('utf8'), totalLines, totalBytes: size };
  } finally {
    closeSync(fd);
  }
}

/** Reads bytes [from, from + max) of a log: for following a log as it grows. */
export function readRange(path: string, from: number, max: number): Buffer {
  const fd = openForReading(path);
  if (fd === null) return Buffer.alloc(0);
  try {
    const size = fstatSync(fd).size;
    if (from >= size) return Buffer.alloc(0);
    const length = Math.min(max, size - from);
    const buffer = Buffer.allocUnsafe(length);
    const read = readSync(fd, buffer, 0, length, from);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
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
