import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { CLIENTS, clientConfig } from '../setup/clients.js';
import { jsonServers, tomlServers } from '../setup/config-files.js';
import type { Check } from './checks.js';

const START_TIMEOUT_MS = 15_000;

interface Entry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const asEntry = (value: unknown): Entry | null => {
  if (typeof value !== 'object' || value === null) return null;
  const { command, args, env } = value as Record<string, unknown>;
  if (typeof command !== 'string') return null;
  return {
    command,
    args: Array.isArray(args) ? args.map(String) : [],
    env: typeof env === 'object' && env !== null ? (env as Record<string, string>) : {},
  };
};

/** An entry is backburner's when it is named so, or starts this package's entry point. */
const isBackburner = (name: string, entry: Entry): boolean =>
  name === 'backburner' || [entry.command, ...entry.args].some((part) => /backburner/.test(part));

function onPath(command: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = isAbsolute(command)
    ? [command]
    : (env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Starts a configured server as its client would and asks it to initialize: the only proof that the
 * entry works. Resolves with the server's name, or rejects with what went wrong (its last stderr line).
 */
function startsServer(entry: Entry): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(entry.command, entry.args, {
      env: { ...process.env, ...entry.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => finish(new Error(`no answer to initialize within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const finish = (error: Error | null, name?: string): void => {
      clearTimeout(timer);
      child.kill();
      if (error === null) resolve(name ?? '');
      else reject(error);
    };
    child.once('error', (error) => finish(error));
    child.once('exit', (code) =>
      finish(
        new Error(
          `it exited (code ${code}) before answering${err.trim() === '' ? '' : `: ${err.trim().split('\n').pop() ?? ''}`}`,
        ),
      ),
    );
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n').slice(0, -1)) {
        try {
          const message = JSON.parse(line) as { id?: number; result?: { serverInfo?: { name?: string } } };
          if (message.id === 1 && message.result !== undefined)
            return finish(null, message.result.serverInfo?.name);
        } catch {
          // not a JSON-RPC line
        }
      }
    });
    child.stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'backburner-doctor', version: '1' },
        },
      })}\n`,
    );
  });
}

/** Every client configuration on this machine that names backburner, and whether its entry starts it. */
export async function clientChecks(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  for (const name of CLIENTS) {
    const config = clientConfig(name, env);
    if (!existsSync(config.path)) continue;
    const fix = `run \`backburner setup ${name}\` (it keeps the rest of the file and makes a backup)`;
    let servers: Record<string, unknown>;
    try {
      const text = readFileSync(config.path, 'utf8');
      servers =
        config.format === 'toml'
          ? tomlServers(text, config.path)
          : jsonServers(text, config.serversKey, config.path);
    } catch (error) {
      checks.push({ name: `${config.title} config`, status: 'fail', detail: (error as Error).message, fix });
      continue;
    }
    for (const [server, value] of Object.entries(servers)) {
      const entry = asEntry(value);
      if (entry === null || !isBackburner(server, entry)) continue;
      const title = `${config.title}: ${server} (${config.path})`;
      const command = onPath(entry.command, { ...process.env, ...entry.env });
      const missing = entry.args.find(
        (arg) => /\.(c|m)?js$/.test(arg) && isAbsolute(arg) && !existsSync(arg),
      );
      if (command === null) {
        checks.push({
          name: title,
          status: 'fail',
          detail: `its command '${entry.command}' cannot be found or run`,
          fix,
        });
        continue;
      }
      if (missing !== undefined) {
        checks.push({
          name: title,
          status: 'fail',
          detail: `the file ${missing} it starts does not exist`,
          fix,
        });
        continue;
      }
      try {
        const answered = await startsServer(entry);
        checks.push({
          name: title,
          status: 'ok',
          detail: `starts, and answers as ${answered || 'a server'}`,
        });
      } catch (error) {
        checks.push({
          name: title,
          status: 'fail',
          detail: `does not start: ${(error as Error).message}`,
          fix,
        });
      }
    }
  }
  return checks;
}
