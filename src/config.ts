import { resolveHome } from './store/home.js';

/** Settings read from the environment. Invalid values fail loudly, naming the variable and the value. */
export interface Settings {
  home: string;
  killGraceMs: number;
  daemonIdleMs: number;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a number of seconds (0 or more), got '${text}'`);
  }
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    home: resolveHome(env),
    killGraceMs: seconds(env, 'BACKBURNER_KILL_GRACE_SECONDS', 5) * 1000,
    daemonIdleMs: seconds(env, 'BACKBURNER_DAEMON_IDLE_SECONDS', 300) * 1000,
  };
}
