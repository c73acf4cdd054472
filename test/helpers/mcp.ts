import { Client } from '@modelcontextprotocol/client';
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
  /** The server's pid, to kill it as a client would. */
  pid: number;
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** Calls a tool that must succeed and returns its structured content. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Calls a tool that must fail and returns its error text. */
  error(name: string, args?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** A real MCP client talking to `backburner serve` over stdio, as Claude Code or Cursor would. */
export async function connectMcp(
  home: TestHome,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve'],
    env: { ...home.env, ...options.env },
    cwd: options.cwd,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'backburner-test', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResult> =>
    (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = (result: ToolResult): string => result.content.map((part) => part.text ?? '').join('\n');
  return {
    client,
    pid: transport.pid as number,
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
