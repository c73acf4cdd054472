import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Backburner } from '../client/backburner.js';
import { tokenFile } from '../http/token.js';
import { loadPolicy } from '../policy/rules.js';
import { policyFilePath, QueuePolicyFile } from '../policy/queues.js';
import { readSettings } from '../shared/config.js';
import { isTerminal } from '../shared/task.js';
import { currentPlatform } from '../supervisor/current-platform.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do about a problem. */
  fix?: string;
}

const MIN_NODE = 20;

export function nodeVersion(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= MIN_NODE
    ? { name: 'Node.js', status: 'ok', detail: `v${process.versions.node}` }
    : {
        name: 'Node.js',
        status: 'fail',
        detail: `v${process.versions.node} is older than ${MIN_NODE}`,
        fix: `install Node.js ${MIN_NODE} or newer (22 and 24 are tested too)`,
      };
}

/** The native SQLite module: the one part of an install that a blocked install script breaks. */
export function nativeSqlite(): Check {
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => {
      close(): void;
    };
    new Database(':memory:').close();
    return { name: 'native SQLite module (better-sqlite3)', status: 'ok', detail: 'loads' };
  } catch (error) {
    return {
      name: 'native SQLite module (better-sqlite3)',
      status: 'fail',
      detail: `does not load: ${(error as Error).message.split('\n')[0] ?? ''}`,
      fix: 'npm 11 blocks install scripts unless allowed; backburner allows better-sqlite3 in its package.json ("allowScripts"), but an install from elsewhere may not: run `npm rebuild better-sqlite3` in the package folder (it needs python3, make and g++ where no prebuilt binary fits)',
    };
  }
}

export function homeCheck(home: string): Check {
  const name = `home ${home}`;
  if (!existsSync(home))
    return { name, status: 'ok', detail: 'does not exist yet: it is made (0700) on first use' };
  const stat = statSync(home);
  const uid = process.getuid?.();
  if (!stat.isDirectory())
    return {
      name,
      status: 'fail',
      detail: 'is not a folder',
      fix: 'move it away, or set BACKBURNER_HOME to a folder',
    };
  if (uid !== undefined && stat.uid !== uid)
    return {
      name,
      status: 'fail',
      detail: `belongs to uid ${stat.uid}, not to you (uid ${uid}): its owner could read or rewrite your tasks`,
      fix: 'set BACKBURNER_HOME to a folder of your own',
    };
  if ((stat.mode & 0o077) !== 0)
    return {
      name,
      status: 'warn',
      detail: `mode ${(stat.mode & 0o777).toString(8)}: others can reach it; backburner tightens it to 700 on its next use`,
      fix: `chmod 700 ${home}`,
    };
  return { name, status: 'ok', detail: 'yours, mode 700' };
}

export function socketCheck(home: string): Check {
  const platform = currentPlatform();
  const path = platform.socketPath(home);
  try {
    if (process.platform !== 'win32' && !path.startsWith(home)) platform.secureSocketDir(path, false);
    return { name: 'daemon socket', status: 'ok', detail: path };
  } catch (error) {
    return {
      name: 'daemon socket',
      status: 'fail',
      detail: `${path}: ${(error as Error).message}`,
      fix: 'remove the folder if it is not yours, or choose a shorter BACKBURNER_HOME',
    };
  }
}

export function policyCheck(home: string, env: NodeJS.ProcessEnv): Check {
  const path = policyFilePath(env, home);
  try {
    const policy = loadPolicy(env, home);
    new QueuePolicyFile(path).read();
    const rules = policy.allow.length + policy.deny.length;
    return {
      name: 'policy',
      status: 'ok',
      detail: `${rules} rule${rules === 1 ? '' : 's'}${existsSync(path) ? ` (file ${path})` : ' (no policy file)'}`,
    };
  } catch (error) {
    return {
      name: 'policy',
      status: 'fail',
      detail: (error as Error).message,
      fix: `fix ${path}: while it does not parse, every command is refused`,
    };
  }
}

export function tokenCheck(home: string, env: NodeJS.ProcessEnv): Check {
  if (env.BACKBURNER_TOKEN !== undefined && env.BACKBURNER_TOKEN !== '')
    return { name: 'HTTP token', status: 'ok', detail: 'from BACKBURNER_TOKEN' };
  const file = tokenFile(home);
  if (!existsSync(file))
    return {
      name: 'HTTP token',
      status: 'ok',
      detail: 'none yet: `serve --http` makes one on first use (only HTTP needs it)',
    };
  const mode = statSync(file).mode & 0o777;
  return mode & 0o077
    ? {
        name: 'HTTP token',
        status: 'warn',
        detail: `${file} is mode ${mode.toString(8)}`,
        fix: `chmod 600 ${file}`,
      }
    : { name: 'HTTP token', status: 'ok', detail: `${file} (0600)` };
}

/** Starts a daemon if none runs, and runs a task to its end: the whole path a tool call takes. */
export async function endToEnd(home: string, env: NodeJS.ProcessEnv): Promise<Check> {
  const backburner = new Backburner(home, env);
  const started = Date.now();
  try {
    const task = await backburner.start({ command: 'echo backburner-doctor', label: 'backburner doctor' });
    const waited = await backburner.wait([task.task_id], 'any', 30);
    const [done] = waited.tasks;
    const result = await backburner.result(task.task_id, {});
    if (done === undefined || !isTerminal(done.status) || result.output !== 'backburner-doctor')
      throw new Error(
        `the task ended ${done?.status ?? 'unknown'} with output ${JSON.stringify(result.output)}`,
      );
    await backburner.delete(task.task_id);
    return {
      name: 'daemon and a task end to end',
      status: 'ok',
      detail: `ran \`echo\` and read its output in ${Date.now() - started} ms`,
    };
  } catch (error) {
    return {
      name: 'daemon and a task end to end',
      status: 'fail',
      detail: (error as Error).message,
      fix: `read ${home}/daemon.log; a policy that refuses \`echo\` also fails this check`,
    };
  } finally {
    backburner.close();
  }
}

export function settingsCheck(env: NodeJS.ProcessEnv): Check {
  try {
    readSettings(env);
    return { name: 'settings (BACKBURNER_* variables)', status: 'ok', detail: 'valid' };
  } catch (error) {
    return {
      name: 'settings (BACKBURNER_* variables)',
      status: 'fail',
      detail: (error as Error).message,
      fix: 'fix or unset the variable',
    };
  }
}
