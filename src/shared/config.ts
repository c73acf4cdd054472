import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The limits that keep a home's logs bounded (read by the daemon, applied by the store). */
export interface LogLimits {
  /** Per-task cap: a larger log keeps its head and tail. */
  maxLogBytes: number;
  /** Quota for all logs together: the oldest ended tasks' logs go first. */
  maxHomeBytes: number;
  /** Ended tasks older than this are deleted; 0 keeps them forever. */
  retentionMs: number;
}

/** The home folder from BACKBURNER_HOME (default ~/.backburner). */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.BACKBURNER_HOME?.trim();
  if (configured === undefined || configured === '') return join(homedir(), '.backburner');
  // Client configs are not run through a shell, so a leading ~ arrives unexpanded.
  if (configured === '~' || configured.startsWith('~/')) return join(homedir(), configured.slice(1));
  return resolve(configured);
}

/** Settings read from the environment. Invalid values fail loudly, naming the variable and the value. */
export interface Settings extends LogLimits {
  home: string;
  killGraceMs: number;
  daemonIdleMs: number;
  /** How long one run of an agent's regular expression over a log may take (grep, ready patterns). */
  patternBudgetMs: number;
}

const MIB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number of ${unit} (0 or more), got '${text}'`);
  return value;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: MIB, g: 1024 * MIB, t: 1024 * 1024 * MIB };

/** Bytes, optionally with a binary suffix: 65536, 64K, 64M, 2G (also KB/KiB/MiB ...). */
export function parseSize(name: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined) {
    throw new Error(`${name} must be a size in bytes such as 67108864, 64M or 2G, got '${text}'`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 1024) throw new Error(`${name} must be at least 1K, got '${text}'`);
  return bytes;
}

function size(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  return text === undefined || text.trim() === '' ? fallback : parseSize(name, text);
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    home: resolveHome(env),
    killGraceMs: number(env, 'BACKBURNER_KILL_GRACE_SECONDS', 5, 'seconds') * 1000,
    daemonIdleMs: number(env, 'BACKBURNER_DAEMON_IDLE_SECONDS', 300, 'seconds') * 1000,
    maxLogBytes: size(env, 'BACKBURNER_MAX_LOG_BYTES', 64 * MIB),
    maxHomeBytes: size(env, 'BACKBURNER_MAX_HOME_BYTES', 2048 * MIB),
    retentionMs: number(env, 'BACKBURNER_RETENTION_DAYS', 14, 'days') * DAY_MS,
    patternBudgetMs: (number(env, 'BACKBURNER_GREP_SECONDS', 10, 'seconds') || 10) * 1000,
  };
}
