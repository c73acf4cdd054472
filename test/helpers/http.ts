import { spawn, type ChildProcess } from 'node:child_process';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLI } from './paths.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHome, type TestHome } from './home.js';
import { newClient, sessionOf, type Era, type McpSession } from './mcp.js';
import { waitFor } from './wait-for.js';

export interface HttpServer {
  process: ChildProcess;
  url: string;
  /** Everything the server wrote on stderr so far. */
  stderr(): string;
  /** Stops it with SIGTERM and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Runs `backburner serve --http --port 0` on the home and resolves once it prints its URL. */
export async function startHttpServer(
  home: TestHome,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<HttpServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', ...args], {
    env: { ...home.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await waitFor(`the HTTP server to print its URL (stderr so far: ${stderr})`, () => {
    if (child.exitCode !== null) throw new Error(`serve --http exited ${child.exitCode}: ${stderr}`);
    return /serving MCP at (\S+)/.exec(stderr)?.[1];
  });
  return {
    process: child,
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A real MCP client over Streamable HTTP, sending the bearer token as a remote client would. */
export async function connectHttp(
  url: string,
  token: string,
  era: Era = 'legacy',
): Promise<McpSession & { transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = newClient(era);
  await client.connect(transport);
  return { ...sessionOf(client, transport, 0), transport };
}

export interface HttpHome {
  home: TestHome;
  server: HttpServer;
  /** The bearer token the server generated into the home. */
  token: string;
}

/** A fresh home served by `serve --http`, and its token: for a describe block's before(). */
export async function openHttpHome(): Promise<HttpHome> {
  const home = makeHome();
  const server = await startHttpServer(home);
  return { home, server, token: readFileSync(join(home.path, 'http-token'), 'utf8').trim() };
}

/** Stops the server (resolving with its exit code) and cleans the home: for after(). */
export async function closeHttpHome({ home, server }: HttpHome): Promise<number | null> {
  const code = await server.stop();
  await home.cleanup();
  return code;
}
