import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BackburnerError, invalidArgument, quote } from './errors.js';

/** The longest timeout we accept: 30 days. Longer values are almost always a unit mistake. */
export const MAX_TIMEOUT_SECONDS = 30 * 24 * 3600;
export const MAX_COMMAND_BYTES = 100_000;
const MAX_PATH_BYTES = 4096;
/** Task ids are 8 lowercase hex characters; any unique prefix of 4 or more names one too. */
export const TASK_ID_PATTERN = /^[0-9a-f]{8}$/;
const TASK_ID_PREFIX_PATTERN = /^[0-9a-f]{4,8}$/;

export function validateCommand(command: unknown): string {
  if (typeof command !== 'string') throw invalidArgument(`command must be a string, got ${quote(command)}`);
  if (command.trim() === '') throw invalidArgument(`command must not be empty, got ${quote(command)}`);
  if (command.includes('\0')) {
    throw invalidArgument(`command must not contain NUL bytes, got ${quote(command)}`);
  }
  // The kernel refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN): say so before it does.
  const bytes = Buffer.byteLength(command);
  if (bytes > MAX_COMMAND_BYTES) {
    throw invalidArgument(
      `command is too long: ${bytes} bytes, at most ${MAX_COMMAND_BYTES}; put a long script in a file and run that`,
    );
  }
  return command;
}

/** Resolves `cwd` against `base` and checks that it is an existing directory. */
export function validateCwd(cwd: unknown, base: string): string {
  if (cwd === undefined || cwd === null) return base;
  if (typeof cwd !== 'string') throw invalidArgument(`cwd must be a string, got ${quote(cwd)}`);
  if (cwd.includes('\0')) throw invalidArgument(`cwd must not contain NUL bytes, got ${quote(cwd)}`);
  if (cwd.trim() === '') throw invalidArgument(`cwd must not be empty, got ${quote(cwd)}`);
  if (Buffer.byteLength(cwd) > MAX_PATH_BYTES) {
    throw invalidArgument(`cwd is too long: at most ${MAX_PATH_BYTES} bytes, got ${quote(cwd)}`);
  }
  const path = isAbsolute(cwd) ? cwd : resolve(base, cwd);
  let stat;
  try {
    stat = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw invalidArgument(
      `working directory cannot be used: ${quote(path)} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  if (stat === undefined) throw invalidArgument(`working directory does not exist: ${path}`);
  if (!stat.isDirectory()) throw invalidArgument(`working directory is not a directory: ${path}`);
  return path;
}

export function validateTimeout(timeout: unknown): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout)) {
    throw invalidArgument(`timeout_seconds must be a number, got ${quote(timeout)}`);
  }
  if (timeout <= 0) throw invalidArgument(`timeout_seconds must be positive, got ${timeout}`);
  if (timeout > MAX_TIMEOUT_SECONDS) {
    throw invalidArgument(`timeout_seconds must be at most ${MAX_TIMEOUT_SECONDS} (30 days), got ${timeout}`);
  }
  return timeout;
}

/** A task id or a unique prefix of one (at least 4 characters), lowercased. */
export function validateTaskId(id: unknown): string {
  if (typeof id !== 'string') throw invalidArgument(`task_id must be a string, got ${quote(id)}`);
  const trimmed = id.trim().toLowerCase();
  if (!TASK_ID_PREFIX_PATTERN.test(trimmed)) {
    // Said as "no task" too: whatever the agent copied, there is no such task, and why is worth knowing.
    throw new BackburnerError(
      'TASK_NOT_FOUND',
      `no task with id ${quote(id)} (task ids are 8 hexadecimal characters, as start_task returned them; a unique prefix of 4 or more works too)`,
    );
  }
  return trimmed;
}

export function validateIntegerInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidArgument(`${name} must be an integer, got ${quote(value)}`);
  }
  if (value < min || value > max)
    throw invalidArgument(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export const MAX_LABEL_LENGTH = 200;

export function validateLabel(label: unknown): string | null {
  if (label === undefined || label === null) return null;
  if (typeof label !== 'string') throw invalidArgument(`label must be a string, got ${quote(label)}`);
  if (label.trim() === '') throw invalidArgument(`label must not be empty, got ${quote(label)}`);
  if (label.length > MAX_LABEL_LENGTH || /[\0\n\r]/.test(label)) {
    throw invalidArgument(
      `label must be one line of at most ${MAX_LABEL_LENGTH} characters, got ${quote(label)}`,
    );
  }
  return label;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ENV_BYTES = 1024 * 1024;

/** Variables to add to the task's environment. Error messages name the variable, never its value. */
export function validateEnv(env: unknown): Record<string, string> {
  if (env === undefined || env === null) return {};
  if (typeof env !== 'object' || Array.isArray(env)) {
    throw invalidArgument(
      `env must be an object of NAME: "value" strings, got ${Array.isArray(env) ? 'an array' : typeof env}`,
    );
  }
  let bytes = 0;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    if (!ENV_NAME.test(name))
      throw invalidArgument(`env variable name ${quote(name)} is not a valid name (letters, digits, _)`);
    if (typeof value !== 'string') throw invalidArgument(`env value of ${name} must be a string (not shown)`);
    if (value.includes('\0'))
      throw invalidArgument(`env value of ${name} must not contain NUL bytes (not shown)`);
    bytes += name.length + Buffer.byteLength(value);
    result[name] = value;
  }
  if (bytes > MAX_ENV_BYTES)
    throw invalidArgument(`env is too large: ${bytes} bytes, at most ${MAX_ENV_BYTES}`);
  return result;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const DURATION_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A point in time: an ISO 8601 timestamp, or a duration ago such as "30m", "2h", "1d". */
export function validateSince(name: string, since: unknown, now: number = Date.now()): number | undefined {
  if (since === undefined || since === null) return undefined;
  if (typeof since !== 'string') throw invalidArgument(`${name} must be a string, got ${quote(since)}`);
  const duration = DURATION.exec(since.trim());
  if (duration !== null)
    return now - Number(duration[1]) * (DURATION_MS[(duration[2] ?? 's').toLowerCase()] ?? 1000);
  const time = Date.parse(since);
  if (Number.isNaN(time)) {
    throw invalidArgument(
      `${name} must be an ISO 8601 time (2026-11-23T17:00:00Z) or a duration ago (30m, 2h, 1d), got ${quote(since)}`,
    );
  }
  return time;
}

/** Dependencies one task may name: a chain needs one, a fan-in rarely more than a few dozen. */
export const MAX_AFTER = 100;
export const MAX_RETRIES = 10;
/** The first back-off may be at most an hour (it doubles after each attempt). */
export const MAX_RETRY_DELAY_SECONDS = 3600;
/** A delayed start at most a year ahead: further is almost always a mistake of units. */
const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;

export function validateRetries(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return validateIntegerInRange('retries', value, 0, MAX_RETRIES);
}

export function validateRetryDelay(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_RETRY_DELAY_SECONDS)
    throw invalidArgument(
      `retry_delay_seconds must be a number of seconds between 0 and ${MAX_RETRY_DELAY_SECONDS}, got ${quote(value)}`,
    );
  return value;
}

export function validateBoolean(name: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidArgument(`${name} must be true or false, got ${quote(value)}`);
  return value;
}

/**
 * `not_before` as a time in ms: an ISO 8601 time with a zone ("2026-12-01T18:00:00Z"), or a number of
 * seconds from `now`. A time in the past means "now"; null when not given.
 */
export function validateNotBefore(value: unknown, now: number = Date.now()): number | null {
  if (value === undefined || value === null) return null;
  let at: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw invalidArgument(
        `not_before as a number must be seconds from now (0 or more), got ${quote(value)}`,
      );
    at = now + value * 1000;
  } else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) {
    at = now + Number(value) * 1000;
  } else if (
    typeof value === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(value.trim())
  ) {
    at = Date.parse(value.trim());
    if (Number.isNaN(at)) throw invalidArgument(`not_before is not a valid time: ${quote(value)}`);
  } else {
    throw invalidArgument(
      `not_before must be an ISO 8601 time with a zone (such as "2026-12-01T18:00:00Z") or seconds from now, got ${quote(value)}`,
    );
  }
  if (at - now > MAX_DELAY_MS) throw invalidArgument(`not_before is more than a year ahead: ${quote(value)}`);
  return Math.round(at);
}

/** One send_input call sends at most this much (a pipe holds 64 KiB; a program reads as it goes). */
export const MAX_INPUT_BYTES = 1024 * 1024;
export const MAX_TTY_SIZE = 1000;
export const MAX_PATTERN_LENGTH = 1000;

/** A regular expression an agent gives (`ready_pattern`, `until_output`), checked and compiled. */
export function validatePattern(name: string, value: unknown): RegExp | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value === '' || value.length > MAX_PATTERN_LENGTH)
    throw invalidArgument(
      `${name} must be a non-empty regular expression of at most ${MAX_PATTERN_LENGTH} characters, got ${quote(value)}`,
    );
  try {
    return new RegExp(value);
  } catch (error) {
    throw invalidArgument(
      `${name} is not a valid regular expression: ${quote(value)} (${(error as Error).message})`,
    );
  }
}

/** `tty`: true (80×24), or {cols, rows}; null when not asked. */
export function validateTty(
  value: unknown,
  cols: unknown,
  rows: unknown,
): { cols: number; rows: number } | null {
  if (value === undefined || value === null || value === false) {
    if (cols !== undefined || rows !== undefined)
      throw invalidArgument('tty_cols and tty_rows go with tty: true');
    return null;
  }
  if (value !== true) throw invalidArgument(`tty must be true or false, got ${quote(value)}`);
  return {
    cols:
      cols === undefined || cols === null ? 120 : validateIntegerInRange('tty_cols', cols, 1, MAX_TTY_SIZE),
    rows:
      rows === undefined || rows === null ? 40 : validateIntegerInRange('tty_rows', rows, 1, MAX_TTY_SIZE),
  };
}
