import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import type { KillTarget, ProcessIdentity, ProcessPlatform, SpawnSpec } from './platform.js';

/**
 * Windows: written behind the same interface, not yet tested (see the README). There is no sh wrapper,
 * so an exit status does not outlive the daemon: a task whose daemon died ends `interrupted`.
 */
export class WindowsPlatform implements ProcessPlatform {
  readonly markerVariable = 'BACKBURNER_TASK_MARKER';
  readonly durableExitStatus = false;

  bootId(): string | null {
    return null;
  }

  writeInput(): Promise<void> {
    return Promise.reject(new Error('input to tasks is not supported on Windows'));
  }

  closeInput(): Promise<boolean> {
    return Promise.resolve(false);
  }

  spawnTask(spec: SpawnSpec): ChildProcess {
    if (spec.inputPath !== null || spec.tty !== null)
      throw new Error('input (stdin: "pipe") and terminals (tty) are not supported on Windows');
    const out = openSync(spec.logPath, 'a');
    try {
      return spawn(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', `"${spec.command}"`], {
        cwd: spec.cwd,
        env: { ...spec.env, BACKBURNER_TASK_ID: spec.id, [this.markerVariable]: spec.marker },
        detached: true,
        windowsHide: true,
        windowsVerbatimArguments: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
  }

  startTime(): string | null {
    return null;
  }

  isAlive(identity: ProcessIdentity): boolean {
    try {
      process.kill(identity.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async killTree(target: KillTarget): Promise<number> {
    // taskkill /T ends the whole tree at once; Windows has no polite signal to give a grace period to.
    if (target.leader.pid <= 0 || !this.isAlive(target.leader)) return 0;
    return new Promise((resolve) => {
      execFile('taskkill', ['/T', '/F', '/PID', String(target.leader.pid)], (_error, stdout) => {
        resolve((stdout.match(/SUCCESS/g) ?? []).length);
      });
    });
  }

  socketPath(home: string): string {
    return `\\\\.\\pipe\\backburner-${createHash('sha256').update(home).digest('hex').slice(0, 16)}`;
  }

  secureSocketDir(): void {
    // A named pipe has no folder.
  }
}
