import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CUT_MARKER, CUT_MARKER_BYTES, type LogLayout } from './log-cap.js';

const MARKER = Buffer.from(CUT_MARKER);

/**
 * A task's log as readers see it: its head, the cut marker, and its tail, whichever way it was cut.
 *
 * A log cut by punching a hole (`layout.punched`) keeps every byte where the task wrote it; the hole
 * `[headBytes, headBytes + droppedBytes)` is skipped and the marker shown in its place. A log cut by
 * copying (where holes cannot be punched) already holds the marker, and is read as it is. Either way
 * positions in the view are the same, so cursors (`logicalOffset`) mean the same thing for both.
 */
export class LogView {
  private constructor(
    private readonly fd: number,
    /** The file's own size: the bytes the task wrote, for a punched log. */
    readonly fileSize: number,
    readonly ino: number,
    private readonly layout: LogLayout,
    readonly path: string,
    /** A window on part of the view (one attempt of a retried task): its first and past-last positions. */
    private readonly window: { from: number; to: number } | null = null,
  ) {}

  /**
   * Opens a log for reading; null when it does not exist (not yet written, or removed). With a window,
   * the view is only the positions [from, to) of the whole one, and its positions start at 0.
   */
  static open(path: string, layout: LogLayout, window?: { from: number; to: number }): LogView | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const stat = fstatSync(fd);
    return new LogView(fd, stat.size, stat.ino, layout, path, window ?? null);
  }

  /** Where the view starts in the whole log's view: 0 unless it is a window. */
  get base(): number {
    return this.window?.from ?? 0;
  }

  /** What caches of this view (line counts) are keyed by: the file, and the window on it. */
  get key(): string {
    return this.window === null ? this.path : `${this.path}#${this.window.from}`;
  }

  private get hole(): { start: number; end: number } | null {
    const { headBytes, droppedBytes, punched } = this.layout;
    if (!punched || headBytes === null) return null;
    return { start: headBytes, end: headBytes + droppedBytes };
  }

  /** Changes whenever the view's content before its end changes: a cut. Line counts key on it. */
  get generation(): number {
    return this.layout.droppedBytes;
  }

  /** Bytes in the view: head, marker and tail (of the window, if it is one). */
  get size(): number {
    if (this.window === null) return this.wholeSize;
    return Math.max(0, Math.min(this.window.to, this.wholeSize) - this.window.from);
  }

  private get wholeSize(): number {
    const hole = this.hole;
    if (hole === null) return this.fileSize;
    return Math.max(
      hole.start + CUT_MARKER_BYTES,
      this.fileSize - (hole.end - hole.start) + CUT_MARKER_BYTES,
    );
  }

  /** Reads view bytes [position, position + length) into `buffer` at `offset`; returns how many. */
  read(buffer: Buffer, offset: number, length: number, position: number): number {
    if (this.window !== null) {
      length = Math.max(0, Math.min(length, this.size - position));
      position += this.window.from;
    }
    const hole = this.hole;
    if (hole === null) return this.readFile(buffer, offset, length, position);
    let done = 0;
    while (done < length) {
      const at = position + done;
      let read: number;
      if (at < hole.start) {
        read = this.readFile(buffer, offset + done, Math.min(length - done, hole.start - at), at);
      } else if (at < hole.start + CUT_MARKER_BYTES) {
        read = MARKER.copy(
          buffer,
          offset + done,
          at - hole.start,
          Math.min(CUT_MARKER_BYTES, at - hole.start + length - done),
        );
      } else {
        read = this.readFile(
          buffer,
          offset + done,
          length - done,
          at - CUT_MARKER_BYTES + (hole.end - hole.start),
        );
      }
      if (read === 0) break;
      done += read;
    }
    return done;
  }

  /** Reads `length` view bytes from `position` into a new buffer (shorter at the end). */
  readAt(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(Math.max(0, length));
    return buffer.subarray(0, this.read(buffer, 0, buffer.length, position));
  }

  close(): void {
    closeSync(this.fd);
  }

  private readFile(buffer: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const read = readSync(this.fd, buffer, offset + done, length - done, position + done);
      if (read === 0) break;
      done += read;
    }
    return done;
  }
}
