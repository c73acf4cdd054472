import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackburnerError } from '../shared/errors.js';

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
  const stored = readStoredToken(file);
  if (stored !== null) return stored;
  // Written whole under a private name, then linked into place: link() fails if another process made
  // the file first, and then everyone uses that one. Two servers starting at once agree on one token.
  const token = randomBytes(32).toString('base64url');
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = readStoredToken(file);
    if (winner !== null) return winner;
    renameSync(draft, file); // the file there is too short to be a token: ours replaces it
    return token;
  } finally {
    rmSync(draft, { force: true });
  }
}

/** The token kept in the home, or null when there is none (or one too short to use). */
function readStoredToken(file: string): string | null {
  try {
    const stat = lstatSync(file);
    if (!stat.isFile()) throw new BackburnerError('HOME_UNSAFE', `${file} is not a regular file`);
    if ((stat.mode & 0o077) !== 0) chmodSync(file, 0o600);
    const stored = readFileSync(file, 'utf8').trim();
    return stored.length >= MIN_TOKEN_LENGTH ? stored : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return null;
  }
}

/** Compares in constant time (over fixed-length digests), so that timing tells nothing about the token. */
export function tokenMatches(expected: string, presented: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}
