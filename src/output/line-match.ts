import { logicalOffset, physicalOffset, type LogLayout } from '../store/log-cap.js';
import { LogView } from '../store/log-view.js';
import { cleanOutput } from './clean.js';
import { linesBefore } from './line-count.js';

const NEWLINE = 0x0a;
const CHUNK = 256 * 1024;
/** One scan reads at most this much; the caller scans again from the cursor it returns. */
const SCAN_BYTES = 8 * 1024 * 1024;

/** The first line of new output that matched. */
export interface LineMatch {
  /** The line, cleaned of ANSI escapes and redraws as reads are. */
  line: string;
  /** Its number in the whole log (1-based), as grep's would be. */
  line_number: number;
  /** A logical offset just after the line: pass as `since` to read what follows it. */
  next_cursor: string;
}

export interface MatchScan {
  match: LineMatch | null;
  /** Where the next scan starts: after the last whole line looked at (a logical offset). */
  cursor: number;
  /** True when the scan stopped at its size limit, before the end of the log: scan again. */
  more?: boolean;
}

/**
 * Looks at each whole line written after the logical offset `from`, once, and stops at the first that
 * matches `pattern`. A last line without its newline (a prompt) is tried too; if it does not match, the
 * next scan tries it again with what was added to it, unless `final` (the task has ended). Reads only
 * what is new, never the whole log.
 */
export function matchNewLines(
  path: string,
  layout: LogLayout,
  from: number,
  pattern: RegExp,
  final: boolean,
): MatchScan {
  let log: LogView | null;
  try {
    log = LogView.open(path, layout);
  } catch {
    log = null;
  }
  if (log === null) return { match: null, cursor: from };
  try {
    const start = physicalOffset(layout, from).position;
    const end = Math.min(log.size, start + SCAN_BYTES);
    const more = end < log.size;
    let lineNumber = linesBefore(log, start);
    let lineStart = start;
    let pending = Buffer.alloc(0);
    const test = (bytes: Buffer, after: number): LineMatch | null => {
      lineNumber++;
      const line = cleanOutput(bytes.toString('utf8'));
      if (!pattern.test(line)) return null;
      return { line, line_number: lineNumber, next_cursor: String(logicalOffset(layout, after)) };
    };
    for (let position = start; position < end;) {
      const chunk = log.readAt(position, Math.min(CHUNK, end - position));
      if (chunk.length === 0) break;
      let at = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, at)) {
        // Only a line that began in the previous chunk needs joining; the rest are views of the chunk.
        const bytes =
          pending.length === 0
            ? chunk.subarray(at, newline)
            : Buffer.concat([pending, chunk.subarray(at, newline)]);
        pending = Buffer.alloc(0);
        const lineEnd = position + newline + 1;
        const match = test(bytes, lineEnd);
        if (match !== null) return { match, cursor: logicalOffset(layout, lineEnd) };
        lineStart = lineEnd;
        at = newline + 1;
      }
      pending = Buffer.concat([pending, chunk.subarray(at)]);
      position += chunk.length;
    }
    // The last line so far, without its newline: a prompt ("Proceed? [y/N] ") waits there for input.
    // A match counts; otherwise the line is looked at again once it grows.
    if (pending.length > 0 && end === log.size) {
      const match = test(pending, end);
      if (match !== null || final) return { match, cursor: logicalOffset(layout, end) };
    }
    return { match: null, cursor: logicalOffset(layout, lineStart), more };
  } finally {
    log.close();
  }
}
