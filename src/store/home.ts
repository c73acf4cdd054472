import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BackburnerError } from '../shared/errors.js';

/** Where backburner keeps everything for one home: the database, the logs and the daemon's files. */
export interface HomePaths {
  root: string;
  database: string;
  logs: string;
  lock: string;
  daemonLog: string;
  daemonPid: string;
  /** The environments of tasks that wait to start: one owner-only file each, gone once the task starts. */
  pendingEnv: string;
}

export function homePaths(root: string): HomePaths {
  return {
    root,
    database: join(root, 'jobs.db'),
    logs: join(root, 'logs'),
    lock: join(root, 'daemon.lock'),
    daemonLog: join(root, 'daemon.log'),
    daemonPid: join(root, 'daemon.pid'),
    pendingEnv: join(root, 'pending-env'),
  };
}

/**
 * Creates the home (and its logs folder) owner-only, or tightens an existing one of ours. A home that
 * belongs to someone else is refused: its owner could read or rewrite our tasks.
 */
export function ensureHome(root: string): HomePaths {
  const paths = homePaths(root);
  for (const dir of [paths.root, paths.logs, paths.pendingEnv]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    if (!stat.isDirectory()) {
      throw new BackburnerError('HOME_UNSAFE', `BACKBURNER_HOME path is not a directory: ${dir}`);
    }
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new BackburnerError(
        'HOME_UNSAFE',
        `refusing to use ${dir}: it belongs to uid ${stat.uid}, not to you (uid ${uid}); choose another BACKBURNER_HOME`,
      );
    }
    if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  }
  return paths;
}
