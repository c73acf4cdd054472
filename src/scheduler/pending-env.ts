import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchContext } from '../engine/engine.js';

/**
 * The environments of tasks that have not started yet. A task's environment is never stored in the
 * database; while it waits it is kept in memory and in one owner-only file, so that a daemon killed
 * meanwhile loses nothing, and the file is removed the moment the task no longer needs it (its last
 * attempt started, or it ended without starting).
 */
export class PendingEnv {
  private readonly held = new Map<string, LaunchContext>();

  constructor(private readonly dir: string) {}

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  /** Keeps an environment in memory: enough for a task that starts at once (it is dropped then). */
  hold(id: string, context: LaunchContext): void {
    this.held.set(id, context);
  }

  /**
   * Moves a held environment to its file (atomically, owner-only): the task will wait. It is read back
   * when the task starts, so that ten thousand waiting tasks do not hold ten thousand environments.
   */
  persist(id: string): void {
    const env = this.held.get(id);
    if (env === undefined) return;
    const path = this.file(id);
    writeFileSync(`${path}.tmp`, JSON.stringify(env), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    this.held.delete(id);
  }

  /** The environment (and umask) a task starts with, from memory or its file; null when it is lost. */
  take(id: string): LaunchContext | null {
    const held = this.held.get(id);
    if (held !== undefined) return held;
    try {
      return JSON.parse(readFileSync(this.file(id), 'utf8')) as LaunchContext;
    } catch {
      return null;
    }
  }

  /** Forgets a task's environment, in memory and on disk. */
  drop(id: string): void {
    this.held.delete(id);
    rmSync(this.file(id), { force: true });
  }

  /** Removes the files of tasks that no longer wait (a daemon died between a start and the removal). */
  prune(isWaiting: (id: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const id = name.replace(/\.json(\.tmp)?$/, '');
      if (name.endsWith('.tmp') || !isWaiting(id)) rmSync(join(this.dir, name), { force: true });
    }
  }
}
