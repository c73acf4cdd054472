import { readFileSync, readdirSync } from 'node:fs';
import { isAlive } from './home.js';

/** Live (non-zombie) process? Zombies have exited; only their parent has not reaped them yet. */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\S+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Pids of processes whose environment has `name=value`. */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`).includes(needle) && isRunning(pid);
      } catch {
        return false;
      }
    });
}

/** Daemon processes serving `home` (found by their command line and environment). */
export function daemonsFor(home: string): number[] {
  return pidsWithEnv('BACKBURNER_HOME', home).filter((pid) => {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return args.includes('daemon');
  });
}

export function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

/** The ids of backburner tasks with a live process now, found in /proc by the environment of each process. */
export function liveTaskIds(home: string): Set<string> {
  const ids = new Set<string>();
  for (const pid of pidsWithEnv('BACKBURNER_HOME', home)) {
    try {
      const match = /(?:^|\0)BACKBURNER_TASK_ID=([0-9a-f]{8})\0/.exec(
        readFileSync(`/proc/${pid}/environ`, 'latin1'),
      );
      if (match?.[1] !== undefined) ids.add(match[1]);
    } catch {
      // gone meanwhile
    }
  }
  return ids;
}
