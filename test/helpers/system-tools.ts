import { execFileSync } from 'node:child_process';

/** The one command that installs every system package a suite needs (Debian and Ubuntu). */
const INSTALL_SYSTEM_TOOLS = 'sudo apt-get install -y strace util-linux chromium redis-server openssl';

function present(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a suite that needs `tool` (a system package) can run. Where it is absent, the suite does not
 * run and says so loudly, with the command that installs it; under CI (CI=true) an absent tool is a
 * failure, so that CI always runs every suite. Returns the `skip` option for `describe`.
 */
export function needsSystemTool(tool: string, suite: string): false | string {
  if (present(tool)) return false;
  const message = `${suite} did not run: ${tool} is not installed. Install it with: ${INSTALL_SYSTEM_TOOLS}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: every suite must run)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  return message;
}

/** Where `npm run install-test-clients` puts the real client CLIs that the setup suite drives. */
const CLIENT_BIN = new URL('../../../.test-clients/node_modules/.bin/', import.meta.url).pathname;

/**
 * The path of a real MCP client's CLI (`claude`, `codex`) for a suite that drives it, or a loud skip:
 * they come from the npm registry, kept out of the project's own dependencies (they are large).
 */
export function clientCli(
  tool: string,
  suite: string,
): { path: string; skip: false } | { path: null; skip: string } {
  const local = `${CLIENT_BIN}${tool}`;
  if (present(local)) return { path: local, skip: false };
  const message = `${suite} did not run: the ${tool} CLI is not installed. Install it with: npm run install-test-clients`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: every suite must run)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  return { path: null, skip: message };
}
