import { execFileSync } from 'node:child_process';

/** The one command that installs every system package a suite needs (Debian and Ubuntu). */
const INSTALL_SYSTEM_TOOLS = 'sudo apt-get install -y strace util-linux';

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
