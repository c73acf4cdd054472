import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackburnerError } from '../shared/errors.js';

const RETRY_MS = 10;
/** How long a task just started may take to open its input. */
const OPEN_WAIT_MS = 3000;

/**
 * Writes `bytes` into a task's input FIFO without ever blocking the event loop: the FIFO is opened
 * non-blocking (ENXIO when nothing reads it any more), and a full pipe (EAGAIN: the program is not
 * reading) is waited out in small steps for at most `timeoutMs`.
 */
export async function writeToFifo(path: string, bytes: Buffer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Right after a start, the wrapper may not have opened the FIFO yet (ENXIO: no reader): wait a moment.
  const openDeadline = Date.now() + Math.min(timeoutMs, OPEN_WAIT_MS);
  let handle;
  for (;;) {
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO' && code !== 'ENOENT') throw error;
      if (Date.now() > openDeadline)
        throw new BackburnerError(
          'INVALID_ARGUMENT',
          'the task does not read its input: nothing has it open',
        );
      await sleep(RETRY_MS);
    }
  }
  try {
    let done = 0;
    while (done < bytes.length) {
      try {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE')
          throw new BackburnerError('INVALID_ARGUMENT', 'the task closed its input before reading all of it');
        if (code !== 'EAGAIN') throw error;
        if (Date.now() > deadline) {
          throw new BackburnerError(
            'INVALID_ARGUMENT',
            `the task is not reading its input: ${done} of ${bytes.length} bytes were written in ${timeoutMs / 1000} s (its input buffer is full)`,
          );
        }
        await sleep(RETRY_MS);
      }
    }
  } finally {
    await handle.close();
  }
}

/** The pid the wrapper wrote next to the FIFO for the process that holds its input open. */
export async function holderPid(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(`${path}.holder`, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}
