import { spawn } from 'node:child_process';
import { loadOrCreateToken } from '../http/token.js';

export interface DashboardCommandOptions {
  home: string;
  host: string;
  port: number;
  /** Print the link only, without trying to open a browser. */
  print: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The program that opens a URL in the user's browser here, if this platform has one we know. */
function opener(): { command: string; args: string[] } | undefined {
  if (process.platform === 'darwin') return { command: 'open', args: [] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/** Opens `url` in the browser without waiting for it; false when there is no way to. */
async function openInBrowser(url: string): Promise<boolean> {
  const how = opener();
  if (how === undefined) return false;
  return new Promise((resolve) => {
    const child = spawn(how.command, [...how.args, url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * `backburner dashboard`: asks the running `serve --http` (with the bearer token from the home) for a
 * one-time login link, then opens it in the browser, or prints it. The token itself never reaches the
 * browser: the link carries a code that works once, for two minutes.
 */
export async function dashboardCommand(options: DashboardCommandOptions): Promise<number> {
  const token = loadOrCreateToken(options.home, options.env ?? process.env);
  const host =
    options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  const base = `http://${host}:${options.port}`;
  let response: Response;
  try {
    response = await fetch(`${base}/api/login-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
  } catch {
    process.stderr.write(
      `backburner: no server answers at ${base}; start one with: backburner serve --http${options.port === 7331 ? '' : ` --port ${options.port}`}\n`,
    );
    return 1;
  }
  if (!response.ok) {
    const detail = await response.text();
    process.stderr.write(
      `backburner: the server at ${base} refused a login link (HTTP ${response.status}): ${detail.slice(0, 300)}\n` +
        (response.status === 401
          ? 'It was started with another token (BACKBURNER_TOKEN or another BACKBURNER_HOME) than this command sees.\n'
          : ''),
    );
    return 1;
  }
  const { url } = (await response.json()) as { url: string };
  const opened = !options.print && process.stdout.isTTY === true && (await openInBrowser(url));
  console.log(url);
  process.stderr.write(
    opened
      ? 'backburner: opened the dashboard in your browser (the link above works once, for two minutes)\n'
      : 'backburner: open this link in your browser; it works once, for two minutes\n',
  );
  return 0;
}
