import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const NEWLINE = 0x0a;
const CHUNK = 1024 * 1024;

interface Counted {
  generation: number;
  ino: number;
  size: number;
  newlines: number;
  lastByte: number;
}

/**
 * Line counts of logs, remembered per file so that a growing log is counted only in its new part.
 * A log that shrank (cut to its cap) or was replaced is counted again from the start.
 */
const counted = new Map<string, Counted>();

/**
 * Lines in the file (a last line without a newline counts); streams, memory stays flat. `generation`
 * changes whenever the file is rewritten in place (a cut), so that a stale count is never resumed.
 */
export function countLines(path: string, generation = 0): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    counted.delete(path);
    return 0;
  }
  try {
    const stat = fstatSync(fd);
    const known = counted.get(path);
    const resume =
      known !== undefined &&
      known.generation === generation &&
      known.ino === stat.ino &&
      known.size <= stat.size;
    let newlines = resume ? known.newlines : 0;
    let position = resume ? known.size : 0;
    let lastByte = resume ? known.lastByte : NEWLINE;
    const buffer = Buffer.allocUnsafe(CHUNK);
    while (position < stat.size) {
      const read = readSync(fd, buffer, 0, Math.min(CHUNK, stat.size - position), position);
      if (read === 0) break;
      let at = buffer.indexOf(NEWLINE, 0);
      while (at !== -1 && at < read) {
        newlines++;
        at = buffer.indexOf(NEWLINE, at + 1);
      }
      lastByte = buffer[read - 1] ?? NEWLINE;
      position += read;
    }
    counted.set(path, { generation, ino: stat.ino, size: position, newlines, lastByte });
    return position === 0 ? 0 : lastByte === NEWLINE ? newlines : newlines + 1;
  } finally {
    closeSync(fd);
  }
}
