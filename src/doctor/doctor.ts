import { readSettings, resolveHome } from '../shared/config.js';
import {
  endToEnd,
  homeCheck,
  nativeSqlite,
  nodeVersion,
  policyCheck,
  settingsCheck,
  socketCheck,
  tokenCheck,
  type Check,
} from './checks.js';
import { clientChecks } from './client-check.js';

export interface DoctorReport {
  ok: boolean;
  home: string;
  checks: Check[];
}

/**
 * Checks this installation the way a new user's first tool call would go through it, and each client
 * configuration that names backburner. Later checks that cannot work after an earlier failure are not
 * run (no task can run without the native module or a usable home), and say so.
 */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorReport> {
  const home = resolveHome(env);
  const checks: Check[] = [nodeVersion(), settingsCheck(env), nativeSqlite(), homeCheck(home)];
  const blocked = checks.find((check) => check.status === 'fail');
  if (process.platform !== 'win32') checks.push(socketCheck(home));
  checks.push(policyCheck(home, env), tokenCheck(home, env));
  if (blocked === undefined) checks.push(await endToEnd(readSettings(env).home, env));
  else
    checks.push({
      name: 'daemon and a task end to end',
      status: 'fail',
      detail: `not tried: ${blocked.name} failed first`,
      fix: 'fix the problem above',
    });
  checks.push(...(await clientChecks(env)));
  return { ok: checks.every((check) => check.status !== 'fail'), home, checks };
}
