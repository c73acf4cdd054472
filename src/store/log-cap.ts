import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * A task's log is capped by keeping its head and its tail and dropping the middle, replaced by one
 * marker line. The task writes straight into the file (append mode), so it is never slowed or stopped
 * by the cap. Two ways to drop the middle (ADR 0009):
 *
 * - **Punching a hole** (`planPunch`, Linux): the file stays append-only; the middle's disk blocks are
 *   freed with `fallocate --punch-hole`, so every kept byte stays where it was written, nothing the task
 *   writes meanwhile can be lost, and the dropped count is the hole's exact length. `LogView` skips the
 *   hole and shows the marker in its place.
 * - **Copying** (`cutLog`, where holes cannot be punched): the tail is copied down after the head and a
 *   marker line, and the file is truncated: [head: headBytes][MARKER][tail].
 *
 * Readers see the same layout either way: [head][MARKER][tail], the "view". Offsets given to readers
 * (cursors) are *logical*: bytes the task wrote since it started, which keep growing across cuts, so a
 * cursor taken before a cut still means the same place in the output.
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
  /** True when the middle is a hole in the file rather than copied over. */
  punched: boolean;
}

export const UNCUT: LogLayout = { headBytes: null, droppedBytes: 0, punched: false };

/** The logical offset (bytes written by the task) of a position in the view. */
export function logicalOffset(layout: LogLayout, physical: number): number {
  if (layout.headBytes === null || physical <= layout.headBytes) return physical;
  const afterMarker = layout.headBytes + CUT_MARKER_BYTES;
  return Math.max(physical, afterMarker) - CUT_MARKER_BYTES + layout.droppedBytes;
}

/**
 * The position in the view for a logical offset, and how many bytes the reader missed because they were
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
    return { headBytes: head, droppedBytes: layout.droppedBytes + dropped, punched: false };
  } finally {
    closeSync(fd);
  }
}

/** How far to look for a line break near a cut, so that head and tail hold whole lines. */
const LINE_SEARCH = 64 * 1024;

/** Where the head ends on the first cut: about half the cap, at a line break where one is near. */
function headEnd(fd: number, capBytes: number): number {
  const head = Math.floor(capBytes / 2);
  const from = Math.max(0, head - LINE_SEARCH);
  const lastBreak = readAt(fd, from, head - from).lastIndexOf(NEWLINE);
  return lastBreak !== -1 && from + lastBreak >= head / 2 ? from + lastBreak + 1 : head;
}

/**
 * The next hole for a log cut by punching, or null when what it keeps is still within the cap. Reads at
 * most two small windows (to end head and tail at line breaks); copies nothing. The hole always runs
 * from the end of the head to the start of the kept tail, so punching it again is harmless.
 *
 * A cut keeps a quarter of the cap of tail past the head (not all the cap can hold), so that a fast
 * writer is cut once per quarter of the cap it writes, not at every look.
 */
export function planPunch(path: string, capBytes: number, layout: LogLayout): LogLayout | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size - layout.droppedBytes <= capBytes) return null;
    const head = layout.headBytes ?? headEnd(fd, capBytes);
    const keep = Math.max(0, Math.floor((capBytes - head - CUT_MARKER_BYTES) / 2));
    let tailStart = size - keep;
    const firstBreak = readAt(fd, tailStart, Math.min(keep, LINE_SEARCH)).indexOf(NEWLINE);
    if (firstBreak !== -1 && firstBreak < keep / 2) tailStart += firstBreak + 1;
    const dropped = tailStart - head;
    if (dropped <= layout.droppedBytes) return null;
    return { headBytes: head, droppedBytes: dropped, punched: true };
  } finally {
    closeSync(fd);
  }
}

/** The layout a stored task row records. */
export const layoutOf = (row: {
  log_head_bytes: number | null;
  log_dropped_bytes: number;
  log_punched: number;
}): LogLayout => ({
  headBytes: row.log_head_bytes,
  droppedBytes: row.log_dropped_bytes,
  punched: row.log_punched === 1,
});
