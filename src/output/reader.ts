import { isAscii } from 'node:buffer';
import { logicalOffset, physicalOffset, type LogLayout } from '../store/log-cap.js';
import { LogView } from '../store/log-view.js';
import { cleanOutput } from './clean.js';
import { countLines, linesBefore } from './line-count.js';

const NEWLINE = 0x0a;
const CHUNK = 64 * 1024;

export interface ReadRequest {
  tailLines?: number;
  headLines?: number;
  /** A logical offset from an earlier `next_cursor`: read only what came after it. */
  since?: number;
  grep?: RegExp;
  contextLines: number;
  maxMatches: number;
  maxBytes: number;
  raw: boolean;
  /**
   * Only this part of the log (logical offsets; `to` null for "to the end"): one attempt of a retried
   * task. Line numbers then count from its start; cursors stay offsets in the whole log.
   */
  range?: { from: number; to: number | null };
  /** A logical offset: read only what came before it (the tail before an earlier read's start_cursor). */
  before?: number;
}

/** A slice of a task's output, shaped to fit in an agent's context window. */
export interface OutputView {
  output: string;
  /** Lines in the stored log. */
  output_total_lines: number;
  /** Pass back as `since` to read only what the task writes after this read. */
  next_cursor: string;
  /** Bytes the log cap dropped from the middle of the output. */
  dropped_bytes?: number;
  /** With `since`: bytes written after the cursor that the cap dropped before this read. */
  missed_bytes?: number;
  /** Set when max_bytes cut the answer: what was left out and how to read it. */
  truncated?: string;
  /** With `grep`: matching lines found (all of them, even past max_matches). */
  match_count?: number;
  /** With `before`: where this output starts; pass it as `before` for the page before this one. */
  start_cursor?: string;
}

function openLog(path: string, layout: LogLayout, window?: { from: number; to: number }): LogView | null {
  try {
    return LogView.open(path, layout, window);
  } catch {
    return null;
  }
}

/** The byte range of the last `lines` lines before `end`, read backwards in chunks. */
function tailRange(log: LogView, end: number, lines: number): number {
  if (end > 0 && log.readAt(end - 1, 1)[0] === NEWLINE) end--; // a final newline ends the last line
  let position = end;
  let found = 0;
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    const chunk = log.readAt(position - length, length);
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] === NEWLINE && ++found === lines) return position - length + i + 1;
    }
    position -= length;
  }
  return 0;
}

/** The end of the first `lines` lines, read forwards in chunks. */
function headRange(log: LogView, size: number, lines: number): number {
  let position = 0;
  let found = 0;
  while (position < size) {
    const chunk = log.readAt(position, Math.min(CHUNK, size - position));
    if (chunk.length === 0) break;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === NEWLINE && ++found === lines) return position + i + 1;
    }
    position += chunk.length;
  }
  return size;
}

const text = (buffer: Buffer, raw: boolean): string => {
  const decoded = buffer.toString('utf8');
  const trimmed = decoded.endsWith('\n') ? decoded.slice(0, -1) : decoded;
  return raw ? trimmed : cleanOutput(trimmed);
};

/** Keeps the last `maxBytes` of a tail, starting at a line boundary where one is near. */
function fitTail(bytes: Buffer, maxBytes: number): { kept: Buffer; omitted: number } {
  if (bytes.length <= maxBytes) return { kept: bytes, omitted: 0 };
  let start = bytes.length - maxBytes;
  const nextLine = bytes.indexOf(NEWLINE, start);
  if (nextLine !== -1 && nextLine + 1 < bytes.length && nextLine - start < maxBytes / 2) start = nextLine + 1;
  return { kept: bytes.subarray(start), omitted: start };
}

/**
 * Keeps the first `maxBytes`, ending at a line boundary where one is near. `more` says whether bytes
 * follow the buffer, in which case its last line may be incomplete too.
 */
function fitHead(bytes: Buffer, maxBytes: number, more = false): { kept: Buffer; omitted: number } {
  if (bytes.length < maxBytes || (bytes.length === maxBytes && !more)) return { kept: bytes, omitted: 0 };
  let end = maxBytes;
  const lastLine = bytes.lastIndexOf(NEWLINE, end - 1);
  if (lastLine !== -1 && lastLine >= maxBytes / 2) end = lastLine + 1;
  return { kept: bytes.subarray(0, end), omitted: bytes.length - end };
}

function countWholeLog(path: string, layout: LogLayout): number {
  const whole = openLog(path, layout);
  if (whole === null) return 0;
  try {
    return countLines(whole);
  } finally {
    whole.close();
  }
}

/** Reads part of a task's log, as `request` asks; never loads more than the answer into memory. */
export async function readOutput(path: string, layout: LogLayout, request: ReadRequest): Promise<OutputView> {
  const { range, before } = request;
  const rangeTo = before ?? range?.to ?? null;
  const window =
    range === undefined && before === undefined
      ? undefined
      : {
          from: physicalOffset(layout, range?.from ?? 0).position,
          to: rangeTo === null ? Number.MAX_SAFE_INTEGER : physicalOffset(layout, rangeTo).position,
        };
  const base = window?.from ?? 0;
  const log = openLog(path, layout, window);
  // A page before a cursor is a window that ends anywhere: its lines are counted on the whole log, whose
  // count is kept and grows with it, not on each window (which would count from the start every page).
  const totalLines = log === null ? 0 : before === undefined ? countLines(log) : countWholeLog(path, layout);
  const size = log?.size ?? 0;
  const view: OutputView = {
    output: '',
    output_total_lines: totalLines,
    next_cursor: String(logicalOffset(layout, base + size)),
  };
  if (layout.droppedBytes > 0) view.dropped_bytes = layout.droppedBytes;
  if (before !== undefined) view.start_cursor = String(logicalOffset(layout, base));
  if (log === null) return view;
  try {
    if (request.grep !== undefined) return await grepLog(log, size, request, view);
    if (request.since !== undefined) {
      const found = physicalOffset(layout, request.since);
      const position = Math.min(size, Math.max(0, found.position - base));
      if (found.missedBytes > 0) view.missed_bytes = found.missedBytes;
      const wanted = Math.max(0, size - position);
      const bytes = log.readAt(position, Math.min(wanted, request.maxBytes));
      const { kept, omitted } = fitHead(bytes, request.maxBytes, wanted > bytes.length);
      const unread = omitted + (wanted - bytes.length);
      view.output = text(kept, request.raw);
      view.next_cursor = String(logicalOffset(layout, base + position + kept.length));
      if (unread > 0) {
        view.truncated = `${unread} more bytes after this; call again with since="${view.next_cursor}" to read on`;
      }
      return view;
    }
    const parts: string[] = [];
    let headEnd = 0;
    if (request.headLines !== undefined) {
      headEnd = headRange(log, size, request.headLines);
      const { kept, omitted } = fitHead(
        log.readAt(0, Math.min(headEnd, request.maxBytes)),
        request.maxBytes,
        headEnd > request.maxBytes,
      );
      parts.push(text(kept, request.raw));
      if (omitted > 0 || headEnd > request.maxBytes) {
        view.truncated = `the head was cut to max_bytes=${request.maxBytes}; ask for fewer head_lines or a larger max_bytes`;
      }
    }
    if (request.tailLines !== undefined) {
      const start = Math.max(headEnd, tailRange(log, size, request.tailLines));
      if (start < size) {
        if (headEnd > 0 && start > headEnd) parts.push('[...]');
        const budget = Math.max(0, request.maxBytes - Buffer.byteLength(parts.join('\n')));
        const readFrom = Math.max(start, size - budget - CHUNK);
        const { kept, omitted } = fitTail(
          log.readAt(readFrom, Math.min(size - start, budget + CHUNK)),
          budget,
        );
        parts.push(text(kept, request.raw));
        if (before !== undefined)
          view.start_cursor = String(logicalOffset(layout, base + readFrom + omitted));
        const skipped = omitted + Math.max(0, size - start - (budget + CHUNK));
        if (skipped > 0) {
          view.truncated = `${skipped} earlier bytes of the tail were left out to stay within max_bytes=${request.maxBytes}; use head_lines, since or grep to read them`;
        }
      }
    }
    view.output = parts.filter((part) => part !== '').join('\n');
    return view;
  } finally {
    log.close();
  }
}

const GREP_CHUNK = 1024 * 1024;
const ESC = 0x1b;
const CR = 0x0d;
/** U+009B, the 8-bit CSI, in UTF-8: cleaning removes the sequences it starts too. */
const CSI_8BIT = Buffer.from('\u009b');

/**
 * A whole-block test that can only say "no line here can match": the pattern with the multiline flag,
 * run once over many lines. Lookbehinds could see across a line break, so they turn it off.
 */
function blockFilter(pattern: RegExp): RegExp | null {
  if (pattern.source.includes('(?<')) return null;
  return new RegExp(pattern.source, pattern.flags.replace(/[gmy]/g, '') + 'm');
}

/**
 * The longest run of plain characters that every match must contain, for a byte search that is much
 * faster than decoding: only for patterns without alternation, flags or escapes we cannot read simply.
 */
function requiredLiteral(pattern: RegExp): Buffer | null {
  const source = pattern.source;
  if (pattern.flags.includes('i') || /[|\\]/.test(source)) return null;
  let best = '';
  let run = '';
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i] as string;
    const next = source[i + 1];
    const special = '()[]{}^$.*+?'.includes(char);
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '{') {
      // A {n,m} quantifier: its digits are not text of the match.
      const close = source.indexOf('}', i);
      if (close !== -1 && /^\{\d*,?\d*\}$/.test(source.slice(i, close + 1))) {
        run = '';
        i = close;
        continue;
      }
    }
    if (char === '[') inClass = true;
    if (char === '(') depth++;
    if (char === ')') depth--;
    // A character followed by a quantifier may be absent or repeated: it ends the run without joining it.
    const quantified = next !== undefined && '*+?{'.includes(next);
    if (!special && depth === 0 && !quantified) {
      run += char;
      if (run.length > best.length) best = run;
    } else {
      run = '';
    }
  }
  return best.length >= 3 ? Buffer.from(best, 'utf8') : null;
}

/**
 * Matching lines with their 1-based numbers and context, like grep -n. Reads the log in blocks of whole
 * lines. A block that cannot hold a match (its bytes lack the pattern's required literal, or the pattern
 * finds nothing in it) and that cleaning would not change is skipped without splitting it into lines;
 * line numbers come from the line index kept with the line count. A rare pattern thus costs about what
 * reading the file costs.
 */
async function grepLog(
  log: LogView,
  size: number,
  request: ReadRequest,
  view: OutputView,
): Promise<OutputView> {
  const pattern = request.grep as RegExp;
  const filter = blockFilter(pattern);
  const literal = filter === null ? null : requiredLiteral(pattern);
  const context = request.contextLines;
  let before: { number: number; line: string }[] = [];
  const out: string[] = [];
  let bytes = 0;
  let lastPrinted = 0;
  let afterLeft = 0;
  let matches = 0;
  let full = false;
  let number = 0; // the number of the last line handled one by one
  let numberAt = 0; // the byte offset just after that line
  const emit = (lineNumber: number, line: string, separator: ':' | '-'): void => {
    if (full) return;
    if (context > 0 && lastPrinted !== 0 && lineNumber > lastPrinted + 1) out.push('--'); // as grep does
    const entry = `${lineNumber}${separator}${line}`;
    if (bytes + entry.length + 1 > request.maxBytes) {
      full = true;
      return;
    }
    bytes += entry.length + 1;
    out.push(entry);
    lastPrinted = lineNumber;
  };
  const onLine = (rawLine: string): void => {
    number++;
    const line = request.raw ? rawLine : cleanOutput(rawLine);
    if (pattern.test(line)) {
      matches++;
      if (matches <= request.maxMatches) {
        for (const held of before) emit(held.number, held.line, '-');
        before = [];
        emit(number, line, ':');
        afterLeft = context;
      }
      return;
    }
    if (afterLeft > 0 && matches <= request.maxMatches) {
      afterLeft--;
      emit(number, line, '-');
      return;
    }
    if (context > 0) {
      before.push({ number, line });
      if (before.length > context) before.shift();
    }
  };

  {
    // One buffer for the whole scan: each block of whole lines is handled in place, and the unfinished
    // last line moves to the front before the next read.
    let buffer = Buffer.allocUnsafe(GREP_CHUNK * 2);
    let carried = 0;
    let blockStart = 0;
    let position = 0;
    for (;;) {
      if (carried === buffer.length) {
        const larger = Buffer.allocUnsafe(buffer.length * 2); // a line longer than the buffer
        buffer.copy(larger, 0, 0, carried);
        buffer = larger;
      }
      const read =
        position < size
          ? log.read(buffer, carried, Math.min(buffer.length - carried, size - position), position)
          : 0;
      position += read;
      const total = carried + read;
      const atEnd = read === 0 || position >= size;
      const cut = atEnd ? total : buffer.lastIndexOf(NEWLINE, total - 1) + 1;
      if (cut > 0) {
        scanBlock(buffer.subarray(0, cut));
        buffer.copy(buffer, 0, cut, total);
      }
      carried = total - cut;
      if (atEnd) break;
    }

    function scanBlock(block: Buffer): void {
      const start = blockStart;
      blockStart += block.length;
      let text: string | undefined;
      if (filter !== null && afterLeft === 0) {
        // Cleaning can join what escapes split: without escapes and carriage returns the bytes are the text.
        const unchanged =
          request.raw || (!block.includes(ESC) && !block.includes(CR) && !block.includes(CSI_8BIT));
        if (unchanged && literal !== null && !block.includes(literal)) return;
        // ASCII decodes the same either way, and latin1 is much faster to decode.
        text = block.toString(isAscii(block) ? 'latin1' : 'utf8');
        if (unchanged && !filter.test(text)) return;
      }
      if (start !== numberAt) {
        // Lines were skipped: take the line number from the index, and the context from just before.
        number = linesBefore(log, start);
        if (context > 0) {
          const from = tailRange(log, start, context);
          const lines = log
            .readAt(from, start - from)
            .toString('utf8')
            .split('\n')
            .slice(0, -1);
          before = lines.map((line, k) => ({
            number: number - lines.length + k + 1,
            line: request.raw ? line : cleanOutput(line),
          }));
        }
      }
      text ??= block.toString('utf8');
      const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
      for (const line of lines) onLine(line);
      numberAt = blockStart;
    }
  }
  view.output = out.join('\n');
  view.match_count = matches;
  if (matches > request.maxMatches) {
    view.truncated = `showing the first ${request.maxMatches} of ${matches} matching lines; raise max_matches or narrow the pattern`;
  } else if (full) {
    view.truncated = `matches were cut to max_bytes=${request.maxBytes}; raise max_bytes or narrow the pattern`;
  }
  return view;
}
