import type { Redis } from 'ioredis';
import { KEYS } from './keys.js';

/**
 * A remote task's output in Redis: a stream of chunks, each with the log offset it starts at. The
 * worker writes a batch at most every quarter second (never a line at a time); the stream is capped, so
 * Redis holds at most the last few MiB of a running task and less of an ended one. The full log stays
 * in the worker's home, capped as any local log.
 */
export const CHUNK_BYTES = 16 * 1024;
/** ~4 MiB of a running task's latest output. */
export const RUNNING_ENTRIES = 256;
/** ~1 MiB of an ended task's last output. */
export const ENDED_ENTRIES = 64;

export async function appendOutput(
  redis: Redis,
  taskId: string,
  start: number,
  bytes: Buffer,
): Promise<void> {
  const pipeline = redis.pipeline();
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    const chunk = bytes.subarray(at, at + CHUNK_BYTES);
    pipeline.xadd(
      KEYS.output(taskId),
      'MAXLEN',
      '~',
      RUNNING_ENTRIES,
      '*',
      's',
      String(start + at),
      'd',
      chunk,
    );
  }
  await pipeline.exec();
}

/** After the end: keep less, and keep it no longer than the record's retention. */
export async function trimEndedOutput(redis: Redis, taskId: string): Promise<void> {
  await redis.xtrim(KEYS.output(taskId), 'MAXLEN', '~', ENDED_ENTRIES);
}

/** What Redis holds of a task's output: the bytes from `start` (a log offset) to `end`. */
export interface HeldOutput {
  start: number;
  end: number;
  bytes: Buffer;
}

export async function heldOutput(redis: Redis, taskId: string): Promise<HeldOutput> {
  const entries = await redis.xrangeBuffer(KEYS.output(taskId), '-', '+');
  const parts: Buffer[] = [];
  let start = -1;
  let end = 0;
  for (const [, fields] of entries) {
    let offset = -1;
    let data: Buffer | undefined;
    for (let index = 0; index + 1 < fields.length; index += 2) {
      const name = fields[index]?.toString();
      if (name === 's') offset = Number(fields[index + 1]?.toString());
      if (name === 'd') data = fields[index + 1];
    }
    if (data === undefined || offset < 0) continue;
    if (start === -1) start = offset;
    else if (offset !== end) {
      // A gap (a chunk trimmed between two reads): keep only what is contiguous up to the end.
      parts.length = 0;
      start = offset;
    }
    parts.push(data);
    end = offset + data.length;
  }
  return { start: Math.max(0, start), end, bytes: Buffer.concat(parts) };
}
