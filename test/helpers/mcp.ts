import { Client, type ClientCapabilities, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CLI } from './paths.js';
import { makeHome, type TestHome } from './home.js';

export interface ToolResult {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
}

export interface McpSession {
  client: Client;
  transport: Transport;
  /** The server's pid, to kill it as a client would (0 over HTTP, where the server outlives clients). */
  pid: number;
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** Calls a tool that must succeed and returns its structured content. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls a tool that must fail and returns its error text. */
  error(name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** The protocol generation a test client speaks: 2025-era `initialize`, or 2026-07-28 per-request. */
export type Era = 'legacy' | 'modern';

export function newClient(era: Era = 'legacy', capabilities?: ClientCapabilities): Client {
  return new Client(
    { name: 'backburner-test', version: '1.0.0' },
    {
      ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
      ...(capabilities === undefined ? {} : { capabilities }),
    },
  );
}

/** A real MCP client talking to `backburner serve` over stdio, as Claude Code or Cursor would. */
export async function connectMcp(
  home: TestHome,
  options: {
    cwd?: string;
    env?: Record<string, string>;
    era?: Era;
    umask?: string;
    capabilities?: ClientCapabilities;
  } = {},
): Promise<McpSession> {
  // With a umask, the server starts under it, as it would from a shell that set one.
  const launch =
    options.umask === undefined
      ? { command: process.execPath, args: [CLI, 'serve'] }
      : {
          command: '/bin/sh',
          args: ['-c', `umask ${options.umask}; exec "$0" "$@"`, process.execPath, CLI, 'serve'],
        };
  const transport = new StdioClientTransport({
    ...launch,
    env: { ...home.env, ...options.env },
    cwd: options.cwd,
    stderr: 'pipe',
  });
  const client = newClient(options.era, options.capabilities);
  await client.connect(transport);
  return sessionOf(client, transport, transport.pid as number);
}

/** The call helpers over a connected client, whatever its transport. */
export function sessionOf(client: Client, transport: Transport, pid: number): McpSession {
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResult> =>
    (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = (result: ToolResult): string => result.content.map((part) => part.text ?? '').join('\n');
  return {
    client,
    transport,
    pid,
    call,
    async ok<T>(name: string, args: Record<string, unknown> = {}) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${text(result)}`);
      return result.structuredContent as T;
    },
    async error(name, args = {}) {
      const result = await call(name, args);
      if (!result.isError)
        throw new Error(
          `${name} was expected to fail but returned ${JSON.stringify(result.structuredContent)}`,
        );
      return text(result);
    },
    close: () => client.close(),
  };
}

/** A fresh home and a client connected to it: for a describe block's before(). */
export async function openSession(
  env: Record<string, string> = {},
): Promise<{ home: TestHome; mcp: McpSession }> {
  const home = makeHome(env);
  return { home, mcp: await connectMcp(home) };
}

/** Closes the client and stops the home's daemon: for a describe block's after(). */
export async function closeSession(session: { home: TestHome; mcp: McpSession }): Promise<void> {
  await session.mcp.close();
  await session.home.cleanup();
}
