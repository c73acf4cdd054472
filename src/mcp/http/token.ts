import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackburnerError } from '../../engine/errors.js';

/** The file, in the home, that keeps the generated bearer token (owner-only, like the home itself). */
export const tokenFile = (home: string): string => join(home, 'http-token');

const MIN_TOKEN_LENGTH = 16;

/**
 * The bearer token every HTTP request must carry: `BACKBURNER_TOKEN` when set, otherwise the one kept in
 * the home, generated (256 random bits) on first use. A token file others can read is tightened to 0600,
 * since anyone holding the token can run commands as this user.
 */
export function loadOrCreateToken(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const given = env.BACKBURNER_TOKEN;
  if (given !== undefined && given !== '') {
    if (given.trim().length < MIN_TOKEN_LENGTH)
      throw new BackburnerError(
        'INVALID_ARGUMENT',
        `BACKBURNER_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters, got ${given.trim().length}`,
      );
    return given.trim();
  }
  const file = tokenFile(home);
  try {
    const stat = lstatSync(file);
    if (!stat.isFile()) throw new BackburnerError('HOME_UNSAFE', `${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= MIN_TOKEN_LENGTH) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  // 'wx' would refuse to replace a too-short token; the home is ours (0700), so a plain write is safe.
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** Compares in constant time (over fixed-length digests), so that timing tells nothing about the token. */
export function tokenMatches(expected: string, presented: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}
