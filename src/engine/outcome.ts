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

/** What programs print when an allocation fails under a memory limit. */
const OUT_OF_MEMORY =
  /MemoryError|Cannot allocate memory|out of memory|bad_alloc|memory exhausted|failed to allocate|allocation failed|ENOMEM|heap limit/i;

/**
 * Says which resource limit ended a failed task, where that can be told. A CPU limit is certain: the
 * kernel sends SIGXCPU. A memory limit makes allocations fail, and each program dies of that its own way,
 * so it is named only when the program said so in its last output.
 */
export function attributeToLimit(
  ending: TaskEnding,
  task: { max_memory_mb: number | null; max_cpu_seconds: number | null },
  recentOutput: () => string,
): TaskEnding {
  if (ending.status !== 'failed') return ending;
  if (task.max_cpu_seconds !== null && ending.signal === 'SIGXCPU') {
    return {
      ...ending,
      terminatedBy: 'cpu_limit',
      reason: `exceeded its CPU time limit of ${task.max_cpu_seconds}s`,
    };
  }
  if (task.max_memory_mb !== null && OUT_OF_MEMORY.test(recentOutput())) {
    return {
      ...ending,
      terminatedBy: 'memory_limit',
      reason: `ran out of memory under its limit of ${task.max_memory_mb} MB`,
    };
  }
  return ending;
}
