import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const NEWLINE = 0x0a;
const CHUNK = 1024 * 1024;

interface Counted {
  generation: number;
  ino: number;
  size: number;
  newlines: number;
  lastByte: number;
  /** Newlines before each chunk start: [offset, newlines] pairs in offset order, an index for line numbers. */
  checkpoints: [number, number][];
}

/**
 * Line counts of logs, remembered per file so that a growing log is counted only in its new part, with
 * a checkpoint every MiB so that the line number of any offset costs at most one MiB of counting.
 * A log that was cut (a new `generation`) or replaced is counted again from the start.
 */
const counted = new Map<string, Counted>();

function newlinesIn(buffer: Buffer, end: number): number {
  let lines = 0;
  for (let at = buffer.indexOf(NEWLINE, 0); at !== -1 && at < end; at = buffer.indexOf(NEWLINE, at + 1))
    lines++;
  return lines;
}

function update(path: string, generation: number): Counted | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    counted.delete(path);
    return null;
  }
  try {
    const stat = fstatSync(fd);
    const known = counted.get(path);
    const resume =
      known !== undefined &&
      known.generation === generation &&
      known.ino === stat.ino &&
      known.size <= stat.size;
    const entry: Counted = resume
      ? known
      : { generation, ino: stat.ino, size: 0, newlines: 0, lastByte: NEWLINE, checkpoints: [] };
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (entry.size < stat.size) {
      const read = readSync(fd, buffer, 0, Math.min(CHUNK, stat.size - entry.size), entry.size);
      if (read === 0) break;
      entry.checkpoints.push([entry.size, entry.newlines]);
      entry.newlines += newlinesIn(buffer, read);
      entry.lastByte = buffer[read - 1] ?? NEWLINE;
      entry.size += read;
    }
    counted.set(path, entry);
    return entry;
  } finally {
    closeSync(fd);
  }
}

/**
 * Lines in the file (a last line without a newline counts); streams, memory stays flat. `generation`
 * changes whenever the file is rewritten in place (a cut), so that a stale count is never resumed.
 */
export function countLines(path: string, generation = 0): number {
  const entry = update(path, generation);
  if (entry === null || entry.size === 0) return 0;
  return entry.lastByte === NEWLINE ? entry.newlines : entry.newlines + 1;
}

/** How many newlines come before byte `offset` of the file: the 0-based line number of that byte. */
export function linesBefore(path: string, generation: number, offset: number): number {
  const entry = update(path, generation);
  if (entry === null) return 0;
  let low = 0;
  let high = entry.checkpoints.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((entry.checkpoints[mid]?.[0] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  const [from, before] = entry.checkpoints[low] ?? [0, 0];
  if (offset <= from) return before;
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(offset - from);
    const read = readSync(fd, buffer, 0, buffer.length, from);
    return before + newlinesIn(buffer, read);
  } finally {
    closeSync(fd);
  }
}
