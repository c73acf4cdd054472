import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../shared/errors.js';
import { MAX_PARALLEL, validateQueueName, type QueueSettings } from '../shared/queues.js';

/** What the policy file says about queues: settings per queue, and the highest limit a call may set. */
export interface QueuePolicy {
  queues: Map<string, QueueSettings>;
  /** A tool or CLI call may not set max_parallel above this (null: up to MAX_PARALLEL). */
  maxParallelLimit: number | null;
}

const NONE: QueuePolicy = { queues: new Map(), maxParallelLimit: null };

export function policyFilePath(env: { BACKBURNER_POLICY?: string | undefined }, home: string): string {
  const explicit = env.BACKBURNER_POLICY !== undefined && env.BACKBURNER_POLICY.trim() !== '';
  return explicit ? (env.BACKBURNER_POLICY as string) : join(home, 'policy.json');
}

function limit(where: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PARALLEL)
    throw invalidArgument(
      `${where} must be an integer between 1 and ${MAX_PARALLEL}, got ${JSON.stringify(value)}`,
    );
  return value;
}

/**
 * The queue part of the policy file: `"queues": {"build": {"max_parallel": 4, "paused": false}}` and
 * `"max_parallel_limit": 8`. A missing file says nothing; a broken one is an error naming what is wrong.
 */
export function parseQueuePolicy(path: string, parsed: unknown): QueuePolicy {
  if (typeof parsed !== 'object' || parsed === null) return NONE;
  const file = parsed as { queues?: unknown; max_parallel_limit?: unknown };
  const policy: QueuePolicy = { queues: new Map(), maxParallelLimit: null };
  if (file.max_parallel_limit !== undefined)
    policy.maxParallelLimit = limit(`${path}: max_parallel_limit`, file.max_parallel_limit);
  if (file.queues === undefined) return policy;
  if (typeof file.queues !== 'object' || file.queues === null || Array.isArray(file.queues))
    throw invalidArgument(`${path}: "queues" must be an object of queue name: {max_parallel, paused}`);
  for (const [name, entry] of Object.entries(file.queues as Record<string, unknown>)) {
    const where = `${path}: queues.${name}`;
    try {
      validateQueueName(name);
    } catch (error) {
      throw invalidArgument(`${where}: ${(error as Error).message}`);
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw invalidArgument(`${where} must be an object such as {"max_parallel": 2}`);
    const { max_parallel, paused, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined)
      throw invalidArgument(`${where}: unknown setting "${unknown}" (max_parallel, paused)`);
    const settings: QueueSettings = {};
    if (max_parallel !== undefined) settings.max_parallel = limit(`${where}.max_parallel`, max_parallel);
    if (paused !== undefined) {
      if (typeof paused !== 'boolean') throw invalidArgument(`${where}.paused must be true or false`);
      settings.paused = paused;
    }
    policy.queues.set(name, settings);
  }
  return policy;
}

/** Reads the queue policy, re-reading the file only when it changed: the scheduler asks often. */
export class QueuePolicyFile {
  private cached: { key: string; policy: QueuePolicy } | undefined;

  constructor(private readonly path: string) {}

  read(): QueuePolicy {
    let key: string;
    try {
      const stat = statSync(this.path);
      key = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return NONE;
    }
    if (this.cached?.key === key) return this.cached.policy;
    const policy = parseQueuePolicy(this.path, JSON.parse(readFileSync(this.path, 'utf8')));
    this.cached = { key, policy };
    return policy;
  }
}
