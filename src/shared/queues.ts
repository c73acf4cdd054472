import { availableParallelism } from 'node:os';
import { invalidArgument, quote } from './errors.js';

/**
 * What a queue is: its name's form, its parallel limit and pause, and where each setting comes from.
 * The daemon's scheduler and the readers that list queues apply the same rules.
 */

export const DEFAULT_QUEUE = 'default';
/** The largest parallel limit anyone may set: past this a "limit" limits nothing. */
export const MAX_PARALLEL = 1024;
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function validateQueueName(name: unknown): string {
  if (name === undefined || name === null) return DEFAULT_QUEUE;
  if (typeof name !== 'string' || !QUEUE_NAME_PATTERN.test(name)) {
    throw invalidArgument(
      `queue must be a name of 1 to 64 letters, digits, '.', '_', ':' or '-' (starting with a letter or digit), got ${quote(name)}`,
    );
  }
  return name;
}

/** The limit of a queue nobody configured: twice the cores for "default" (a fan-out uses the machine), one at a time for any other. */
export function builtInMaxParallel(queue: string): number {
  return queue === DEFAULT_QUEUE ? 2 * availableParallelism() : 1;
}

/** A queue's settings from one source; absent where that source says nothing. */
export interface QueueSettings {
  max_parallel?: number;
  paused?: boolean;
}

export interface EffectiveQueue {
  name: string;
  max_parallel: number;
  paused: boolean;
  /** Where the limit comes from: a tool or CLI call, the policy file, or the built-in default. */
  max_parallel_from: 'configured' | 'policy file' | 'default';
}

/** A setting made by a tool or the CLI wins over the policy file's, which wins over the built-in default. */
export function effectiveQueue(
  name: string,
  configured: QueueSettings,
  fromFile: QueueSettings,
): EffectiveQueue {
  const max_parallel_from =
    configured.max_parallel !== undefined
      ? 'configured'
      : fromFile.max_parallel !== undefined
        ? 'policy file'
        : 'default';
  return {
    name,
    max_parallel: configured.max_parallel ?? fromFile.max_parallel ?? builtInMaxParallel(name),
    paused: configured.paused ?? fromFile.paused ?? false,
    max_parallel_from,
  };
}
