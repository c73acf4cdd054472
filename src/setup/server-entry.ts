import { fileURLToPath } from 'node:url';

/** How a client starts this installation's MCP server. */
export interface ServerEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const CLI_ENTRY = fileURLToPath(new URL('../cli.js', import.meta.url));
/** Where this file is when backburner was installed from the npm registry rather than a checkout. */
const PUBLISHED = /[\\/]node_modules[\\/]backburner-mcp[\\/]/;

/**
 * The server as a client should start it: `npx -y backburner-mcp serve` for an installation from the npm
 * registry, else this checkout's entry under this Node's absolute path (a client started from a desktop
 * menu may not have `node` on its PATH). The environment carries the home when one was chosen, the
 * variables given with `--env`, and `--allow` patterns as BACKBURNER_ALLOW.
 */
export function serverEntry(
  options: { env?: Record<string, string>; allow?: string[] },
  callerEnv: NodeJS.ProcessEnv = process.env,
): ServerEntry {
  const env: Record<string, string> = {};
  const home = callerEnv.BACKBURNER_HOME?.trim();
  if (home !== undefined && home !== '') env.BACKBURNER_HOME = home;
  Object.assign(env, options.env ?? {});
  if (options.allow !== undefined && options.allow.length > 0) {
    const existing = env.BACKBURNER_ALLOW === undefined ? [] : [env.BACKBURNER_ALLOW];
    env.BACKBURNER_ALLOW = [...existing, ...options.allow].join(',');
  }
  if (PUBLISHED.test(CLI_ENTRY)) return { command: 'npx', args: ['-y', 'backburner-mcp', 'serve'], env };
  return { command: process.execPath, args: [CLI_ENTRY, 'serve'], env };
}
