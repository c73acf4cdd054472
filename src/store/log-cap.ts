import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * A task's log is capped by keeping its head and its tail and dropping the middle, replaced by one
 * marker line. The task writes straight into the file (append mode), so it is never slowed or stopped
 * by the cap: the daemon cuts the file under it, and the task's next write lands at the new end.
 *
 * Layout of a cut log:  [head: headBytes][MARKER][tail]
 * Offsets given to readers (cursors) are *logical*: bytes the task wrote since it started, which keep
 * growing across cuts, so a cursor taken before a cut still means the same place in the output.
 */
export const CUT_MARKER =
  '\n[backburner] ... the middle of this log was dropped to stay under BACKBURNER_MAX_LOG_BYTES ...\n';
export const CUT_MARKER_BYTES = Buffer.byteLength(CUT_MARKER);

/** What the store remembers about a log's cuts. */
export interface LogLayout {
  /** Bytes of the head kept at the start of the file; null while the log was never cut. */
  headBytes: number | null;
  /** Bytes dropped in all cuts so far. */
  droppedBytes: number;
}

export const UNCUT: LogLayout = { headBytes: null, droppedBytes: 0 };

/** The logical offset (bytes written by the task) of a physical position in the file. */
export function logicalOffset(layout: LogLayout, physical: number): number {
  if (layout.headBytes === null || physical <= layout.headBytes) return physical;
  const afterMarker = layout.headBytes + CUT_MARKER_BYTES;
  return Math.max(physical, afterMarker) - CUT_MARKER_BYTES + layout.droppedBytes;
}

/**
 * The physical position for a logical offset, and how many bytes the reader missed because they were
 * dropped in a cut after it last read.
 */
export function physicalOffset(
  layout: LogLayout,
  logical: number,
): { position: number; missedBytes: number } {
  if (layout.headBytes === null || logical <= layout.headBytes) return { position: logical, missedBytes: 0 };
  const firstTailLogical = layout.headBytes + layout.droppedBytes;
  const tailStart = layout.headBytes + CUT_MARKER_BYTES;
  if (logical < firstTailLogical) return { position: tailStart, missedBytes: firstTailLogical - logical };
  return { position: tailStart + (logical - firstTailLogical), missedBytes: 0 };
}

const NEWLINE = 0x0a;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

/**
 * Cuts the log at `path` down to about `capBytes` if it is larger: keeps the first half (ending at a
 * line break where one is near) and the last part (starting at a line break), with the marker between.
 * Returns the new layout, or null when nothing was cut.
 *
 * A task that writes while the cut happens can lose the bytes it wrote in the few microseconds between
 * the last read and the truncation; that is the price of never slowing the task down.
 */
export function cutLog(path: string, capBytes: number, layout: LogLayout): LogLayout | null {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size <= capBytes) return null;
    let head = layout.headBytes;
    if (head === null) {
      head = Math.floor(capBytes / 2);
      const lastBreak = readAt(fd, 0, head).lastIndexOf(NEWLINE);
      if (lastBreak >= head / 2) head = lastBreak + 1; // keep whole lines when one ends near the cut
    }
    const tailStart = head + CUT_MARKER_BYTES;
    const tailBudget = Math.max(0, capBytes - tailStart);
    let from = size - tailBudget;
    const firstLine = readAt(fd, from, Math.min(tailBudget, 64 * 1024)).indexOf(NEWLINE);
    if (firstLine !== -1 && firstLine < tailBudget / 2) from += firstLine + 1;
    const tail = readAt(fd, from, size - from);
    // Bytes between the kept head (or the previous marker) and the kept tail are dropped.
    const previousTailStart = layout.headBytes === null ? head : tailStart;
    const dropped = from - previousTailStart;
    writeSync(fd, Buffer.concat([Buffer.from(CUT_MARKER), tail]), 0, CUT_MARKER_BYTES + tail.length, head);
    let end = tailStart + tail.length;
    // Whatever the task appended while we copied goes after the kept tail, then the file is cut short.
    let grown = fstatSync(fd).size;
    let readFrom = size;
    while (grown > readFrom) {
      const extra = readAt(fd, readFrom, grown - readFrom);
      writeSync(fd, extra, 0, extra.length, end);
      end += extra.length;
      readFrom += extra.length;
      grown = fstatSync(fd).size;
    }
    ftruncateSync(fd, end);
    return { headBytes: head, droppedBytes: layout.droppedBytes + dropped };
  } finally {
    closeSync(fd);
  }
}
