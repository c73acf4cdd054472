import type { LogView } from '../store/log-view.js';

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

function update(log: LogView): Counted {
  const { key, generation, ino, size } = log;
  const known = counted.get(key);
  const resume =
    known !== undefined && known.generation === generation && known.ino === ino && known.size <= size;
  const entry: Counted = resume
    ? known
    : { generation, ino, size: 0, newlines: 0, lastByte: NEWLINE, checkpoints: [] };
  const buffer = Buffer.allocUnsafe(CHUNK);
  while (entry.size < size) {
    const read = log.read(buffer, 0, Math.min(CHUNK, size - entry.size), entry.size);
    if (read === 0) break;
    entry.checkpoints.push([entry.size, entry.newlines]);
    entry.newlines += newlinesIn(buffer, read);
    entry.lastByte = buffer[read - 1] ?? NEWLINE;
    entry.size += read;
  }
  counted.set(key, entry);
  return entry;
}

/**
 * Lines in the log as readers see it (a last line without a newline counts); streams, memory stays
 * flat. The view's generation changes with every cut, so that a stale count is never resumed.
 */
export function countLines(log: LogView): number {
  const entry = update(log);
  if (entry.size === 0) return 0;
  return entry.lastByte === NEWLINE ? entry.newlines : entry.newlines + 1;
}

/** How many newlines come before byte `offset` of the view: the 0-based line number of that byte. */
export function linesBefore(log: LogView, offset: number): number {
  const entry = update(log);
  let low = 0;
  let high = entry.checkpoints.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((entry.checkpoints[mid]?.[0] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  const [from, before] = entry.checkpoints[low] ?? [0, 0];
  if (offset <= from) return before;
  const buffer = log.readAt(from, offset - from);
  return before + newlinesIn(buffer, buffer.length);
}
