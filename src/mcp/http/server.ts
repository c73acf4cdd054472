import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMcpHandler,
  isLegacyRequest,
  type McpServer,
  type ServerNotifier,
  type Transport,
} from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { BackburnerError } from '../../shared/errors.js';
import {
  isLoopbackHost,
  listFromEnv,
  refuseForeignRequest,
  refuseWithoutToken,
  type GuardOptions,
} from '../../http/guard.js';
import { LegacySessions } from './sessions.js';
import { serveTaskListen, type TaskListenContext } from './task-listen.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 7331;
/** The largest request body accepted, in bytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MCP_PATH = '/mcp';

export interface HttpOptions {
  host: string;
  port: number;
  token: string;
  env?: NodeJS.ProcessEnv;
  onerror?: (error: Error) => void;
  /** Where task status notifications for 2026-07-28 listen streams come from. */
  taskListen: TaskListenContext;
  /** Wraps each 2025-era session's transport. */
  wrapLegacyTransport?: (transport: Transport) => Transport;
  /**
   * Serves every path but the MCP endpoint (the web dashboard), after the Host and Origin checks and
   * before any token check: it authenticates its requests itself.
   */
  web?: (request: Request) => Promise<Response>;
}

export interface RunningHttpServer {
  url: string;
  server: Server;
  /** Publishes change notifications to 2026-07-28 clients' `subscriptions/listen` streams. */
  notify: ServerNotifier;
  close(): Promise<void>;
}

/**
 * Serves the MCP tools over Streamable HTTP at `/mcp`. Every request passes the guard (Host and Origin
 * for DNS-rebinding protection, then the bearer token) before any MCP handling. 2026-07-28 requests,
 * which carry their whole context in each request, are served statelessly by the SDK's handler; 2025-era
 * clients get a session each (see LegacySessions).
 */
export async function serveMcpHttp(
  factories: {
    /** A server for one 2026-07-28 request. */
    modern: () => McpServer;
    /** A server for one 2025-era session. */
    legacy: () => McpServer;
  },
  options: HttpOptions,
): Promise<RunningHttpServer> {
  const env = options.env ?? process.env;
  const onerror =
    options.onerror ?? ((error: Error) => process.stderr.write(`backburner: ${error.message}\n`));
  const bound = options.host.replace(/^\[(.*)\]$/, '$1');
  const wildcard = bound === '0.0.0.0' || bound === '::';
  const guard: GuardOptions = {
    token: options.token,
    // A server bound to a named interface must accept its own name in Host; a wildcard bind accepts
    // only what is listed, so that it cannot be reached through a rebinding name.
    allowedHosts: [
      ...(wildcard || isLoopbackHost(bound) ? [] : [bound.includes(':') ? `[${bound}]` : bound]),
      ...listFromEnv(env.BACKBURNER_ALLOWED_HOSTS),
    ],
    allowedOrigins: listFromEnv(env.BACKBURNER_ALLOWED_ORIGINS),
  };
  const modern = createMcpHandler(factories.modern, { legacy: 'reject', onerror });
  const legacy = new LegacySessions(factories.legacy, onerror, options.wrapLegacyTransport);

  const handler = toNodeHandler(
    {
      fetch: async (request: Request): Promise<Response> => {
        const foreign = refuseForeignRequest(request, guard);
        if (foreign !== undefined) return foreign;
        if (new URL(request.url).pathname !== MCP_PATH) {
          if (options.web !== undefined) return options.web(request);
          return Response.json({ error: `not found; the MCP endpoint is ${MCP_PATH}` }, { status: 404 });
        }
        const unauthorised = refuseWithoutToken(request, guard.token);
        if (unauthorised !== undefined) return unauthorised;
        if (await isLegacyRequest(request)) return legacy.handle(request);
        return serveTaskListen(request, (plain) => modern.fetch(plain), options.taskListen);
      },
    },
    // A JSON-RPC message to backburner is kilobytes; a larger body is refused (413) before it is read.
    { onerror, maxRequestBodySize: MAX_BODY_BYTES },
  );
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      onerror(error instanceof Error ? error : new Error(String(error)));
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new BackburnerError(
              'INVALID_ARGUMENT',
              `port ${options.port} on ${options.host} is already in use; choose another with --port`,
            )
          : error,
      );
    });
    server.listen(options.port, bound, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}${MCP_PATH}`,
    server,
    notify: modern.notify,
    async close() {
      server.closeAllConnections();
      await Promise.allSettled([modern.close(), legacy.close()]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
