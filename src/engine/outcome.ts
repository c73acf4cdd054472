import { constants } from 'node:os';
import type { TaskEnding } from '../store/task-store.js';

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name]),
);

export function signalName(number: number): string | null {
  return SIGNAL_NAMES.get(number) ?? null;
}

/**
 * Turns the exit status the shell reported into an ending. A shell reports a command killed by signal
 * n as 128 + n; a command that itself exits with such a number looks the same, and we read it as the
 * signal (see docs/adr/0002-exit-status-wrapper.md).
 */
export function endingFromExitStatus(status: number, endedAt: number): TaskEnding {
  if (status === 0) return { status: 'completed', terminatedBy: 'exit', exitCode: 0, endedAt };
  const signal = status > 128 ? signalName(status - 128) : null;
  if (signal !== null) {
    return {
      status: 'failed',
      terminatedBy: 'signal',
      exitCode: status,
      signal,
      endedAt,
      reason: `killed by ${signal}`,
    };
  }
  return { status: 'failed', terminatedBy: 'exit', exitCode: status, endedAt };
}
