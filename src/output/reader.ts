import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { logicalOffset, physicalOffset, type LogLayout } from '../store/log-cap.js';
import { cleanOutput } from './clean.js';
import { countLines } from './line-count.js';

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
}

interface OpenLog {
  fd: number;
  size: number;
}

function openLog(path: string): OpenLog | null {
  try {
    const fd = openSync(path, 'r');
    return { fd, size: fstatSync(fd).size };
  } catch {
    return null;
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

/** The byte range of the last `lines` lines before `end`, read backwards in chunks. */
function tailRange(fd: number, end: number, lines: number): number {
  if (end > 0 && readAt(fd, end - 1, 1)[0] === NEWLINE) end--; // a final newline ends the last line
  let position = end;
  let found = 0;
  while (position > 0) {
    const length = Math.min(CHUNK, position);
    const chunk = readAt(fd, position - length, length);
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] === NEWLINE && ++found === lines) return position - length + i + 1;
    }
    position -= length;
  }
  return 0;
}

/** The end of the first `lines` lines, read forwards in chunks. */
function headRange(fd: number, size: number, lines: number): number {
  let position = 0;
  let found = 0;
  while (position < size) {
    const chunk = readAt(fd, position, Math.min(CHUNK, size - position));
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

/** Reads part of a task's log, as `request` asks; never loads more than the answer into memory. */
export async function readOutput(path: string, layout: LogLayout, request: ReadRequest): Promise<OutputView> {
  const totalLines = countLines(path, layout.droppedBytes);
  const log = openLog(path);
  const size = log?.size ?? 0;
  const view: OutputView = {
    output: '',
    output_total_lines: totalLines,
    next_cursor: String(logicalOffset(layout, size)),
  };
  if (layout.droppedBytes > 0) view.dropped_bytes = layout.droppedBytes;
  if (log === null) return view;
  try {
    if (request.grep !== undefined) return await grepLog(path, size, request, view);
    if (request.since !== undefined) {
      const { position, missedBytes } = physicalOffset(layout, request.since);
      if (missedBytes > 0) view.missed_bytes = missedBytes;
      const wanted = Math.max(0, size - position);
      const bytes = readAt(log.fd, position, Math.min(wanted, request.maxBytes));
      const { kept, omitted } = fitHead(bytes, request.maxBytes, wanted > bytes.length);
      const unread = omitted + (wanted - bytes.length);
      view.output = text(kept, request.raw);
      view.next_cursor = String(logicalOffset(layout, position + kept.length));
      if (unread > 0) {
        view.truncated = `${unread} more bytes after this; call again with since="${view.next_cursor}" to read on`;
      }
      return view;
    }
    const parts: string[] = [];
    let headEnd = 0;
    if (request.headLines !== undefined) {
      headEnd = headRange(log.fd, size, request.headLines);
      const { kept, omitted } = fitHead(
        readAt(log.fd, 0, Math.min(headEnd, request.maxBytes)),
        request.maxBytes,
        headEnd > request.maxBytes,
      );
      parts.push(text(kept, request.raw));
      if (omitted > 0 || headEnd > request.maxBytes) {
        view.truncated = `the head was cut to max_bytes=${request.maxBytes}; ask for fewer head_lines or a larger max_bytes`;
      }
    }
    if (request.tailLines !== undefined) {
      const start = Math.max(headEnd, tailRange(log.fd, size, request.tailLines));
      if (start < size) {
        if (headEnd > 0 && start > headEnd) parts.push('[...]');
        const budget = Math.max(0, request.maxBytes - Buffer.byteLength(parts.join('\n')));
        const { kept, omitted } = fitTail(
          readAt(log.fd, Math.max(start, size - budget - CHUNK), Math.min(size - start, budget + CHUNK)),
          budget,
        );
        parts.push(text(kept, request.raw));
        const skipped = omitted + Math.max(0, size - start - (budget + CHUNK));
        if (skipped > 0) {
          view.truncated = `${skipped} earlier bytes of the tail were left out to stay within max_bytes=${request.maxBytes}; use head_lines, since or grep to read them`;
        }
      }
    }
    view.output = parts.filter((part) => part !== '').join('\n');
    return view;
  } finally {
    closeSync(log.fd);
  }
}

/** Streams the log line by line: matching lines with their 1-based numbers and context, like grep -n. */
async function grepLog(
  path: string,
  size: number,
  request: ReadRequest,
  view: OutputView,
): Promise<OutputView> {
  const pattern = request.grep as RegExp;
  const context = request.contextLines;
  const before: { number: number; line: string }[] = [];
  const out: string[] = [];
  let bytes = 0;
  let lastPrinted = 0;
  let afterLeft = 0;
  let matches = 0;
  let full = false;
  let number = 0;
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
  const lines = createInterface({
    input: createReadStream(path, { start: 0, end: Math.max(0, size - 1) }),
    crlfDelay: Infinity,
  });
  for await (const rawLine of lines) {
    number++;
    const line = request.raw ? rawLine : cleanOutput(rawLine);
    pattern.lastIndex = 0;
    if (pattern.test(line)) {
      matches++;
      if (matches <= request.maxMatches) {
        for (const held of before) emit(held.number, held.line, '-');
        before.length = 0;
        emit(number, line, ':');
        afterLeft = context;
      }
      continue;
    }
    if (afterLeft > 0 && matches <= request.maxMatches) {
      afterLeft--;
      emit(number, line, '-');
      continue;
    }
    if (context > 0) {
      before.push({ number, line });
      if (before.length > context) before.shift();
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
