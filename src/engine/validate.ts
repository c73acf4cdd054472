import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BackburnerError, invalidArgument, quote } from './errors.js';

/** The longest timeout we accept: 30 days. Longer values are almost always a unit mistake. */
export const MAX_TIMEOUT_SECONDS = 30 * 24 * 3600;
/** Task ids are 8 lowercase hex characters. */
export const TASK_ID_PATTERN = /^[0-9a-f]{8}$/;

export function validateCommand(command: unknown): string {
  if (typeof command !== 'string') throw invalidArgument(`command must be a string, got ${quote(command)}`);
  if (command.trim() === '') throw invalidArgument(`command must not be empty, got ${quote(command)}`);
  if (command.includes('\0'))
    throw invalidArgument(`command must not contain NUL bytes, got ${quote(command)}`);
  return command;
}

/** Resolves `cwd` against `base` and checks that it is an existing directory. */
export function validateCwd(cwd: unknown, base: string): string {
  if (cwd === undefined || cwd === null) return base;
  if (typeof cwd !== 'string') throw invalidArgument(`cwd must be a string, got ${quote(cwd)}`);
  if (cwd.includes('\0')) throw invalidArgument(`cwd must not contain NUL bytes, got ${quote(cwd)}`);
  if (cwd.trim() === '') throw invalidArgument(`cwd must not be empty, got ${quote(cwd)}`);
  const path = isAbsolute(cwd) ? cwd : resolve(base, cwd);
  const stat = statSync(path, { throwIfNoEntry: false });
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

export function validateTaskId(id: unknown): string {
  if (typeof id !== 'string') throw invalidArgument(`task_id must be a string, got ${quote(id)}`);
  const trimmed = id.trim().toLowerCase();
  if (!TASK_ID_PATTERN.test(trimmed)) {
    // Said as "no task" too: whatever the agent copied, there is no such task, and why is worth knowing.
    throw new BackburnerError(
      'TASK_NOT_FOUND',
      `no task with id ${quote(id)} (task ids are 8 hexadecimal characters, as start_task returned them)`,
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
