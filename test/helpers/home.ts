import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';
import { pidsWithEnv } from './processes.js';
import { waitFor } from './wait-for.js';

export interface TestHome {
  path: string;
  env: Record<string, string>;
  /** Runs the CLI with this home; returns stdout, stderr and the exit code. */
  cli(args: string[], extraEnv?: Record<string, string>): { stdout: string; stderr: string; code: number };
  daemonPid(): number | undefined;
  /** Stops the daemon (it leaves tasks running) and removes the folder. */
  cleanup(): Promise<void>;
}

export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BACKBURNER_')) env[key] = value;
  }
  return env;
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A scratch folder for a test, named `bb-test-<what>-*` in the temporary folder: every test folder has
 * that prefix, so that a test watching the temporary folder (hostile input) can tell them from leaks.
 */
export const scratchDir = (what: string): string => mkdtempSync(join(tmpdir(), `bb-test-${what}-`));

/** Runs the CLI with `env`; returns stdout, stderr and the exit code (a failure is an answer, not a throw). */
export function runCli(
  args: string[],
  env: Record<string, string>,
): { stdout: string; stderr: string; code: number } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { stdout, stderr: '', code: 0 };
  } catch (error) {
    const failure = error as { stdout: string; stderr: string; status: number };
    return { stdout: failure.stdout, stderr: failure.stderr, code: failure.status };
  }
}

/**
 * The CLI run without blocking this process: for tests that hold HTTP connections, whose idle timers
 * (undici closes a kept-alive socket before the server does) must keep running meanwhile.
 */
export async function runCliAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ stdout, stderr, code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1 }),
    );
  });
}

/** A fresh BACKBURNER_HOME, with a short kill grace so that tests of stubborn processes stay quick. */
export function makeHome(extraEnv: Record<string, string> = {}): TestHome {
  const path = scratchDir('home');
  const env = { ...baseEnv(), BACKBURNER_HOME: path, BACKBURNER_KILL_GRACE_SECONDS: '1', ...extraEnv };
  const home: TestHome = {
    path,
    env,
    cli: (args, more = {}) => runCli(args, { ...env, ...more }),
    daemonPid() {
      try {
        return Number(readFileSync(join(path, 'daemon.pid'), 'utf8').trim());
      } catch {
        return undefined;
      }
    },
    async cleanup() {
      // A daemon that crashed leaves its stack in daemon.log: show it, so that a failure explains itself.
      try {
        const log = readFileSync(join(path, 'daemon.log'), 'utf8');
        if (/Error|\n\s+at /.test(log)) process.stderr.write(`daemon.log of ${path}:\n${log}\n`);
      } catch {
        // no daemon ever ran
      }
      const pid = home.daemonPid();
      if (pid !== undefined && isAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        await waitFor('the daemon to stop', () => !isAlive(pid));
      }
      // Tasks a failed test left running (their environment names this home): never leak them.
      for (const leftover of pidsWithEnv('BACKBURNER_HOME', path)) {
        try {
          process.kill(leftover, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(path, { recursive: true, force: true });
    },
  };
  return home;
}
