import { randomUUID } from 'node:crypto';
import {
  isInitializeRequest,
  WebStandardStreamableHTTPServerTransport,
  type McpServer,
  type Transport,
} from '@modelcontextprotocol/server';
import { RecentEvents } from './event-store.js';

/** What the server suggests a client waits before reconnecting a dropped SSE stream. */
const RECONNECT_AFTER_MS = 1000;
/** Sessions idle (no request) for this long are closed, so that vanished clients do not pile up. */
const SESSION_IDLE_MS = 60 * 60 * 1000;
/** A bound on open sessions; each holds a server instance and perhaps an open SSE stream. */
export const MAX_SESSIONS = 256;

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

const rpcError = (status: number, code: number, message: string): Response =>
  Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });

/**
 * Serves 2025-era clients (those that open with `initialize`) the way that era's Streamable HTTP expects:
 * one session per client, named by the `Mcp-Session-Id` the server hands out, each with its own server
 * instance, its own SSE stream for notifications, and a DELETE to end it.
 */
export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly createServer: () => McpServer,
    private readonly onerror: (error: Error) => void,
    /** Wraps each session's transport (to serve what the SDK does not, between it and the wire). */
    private readonly wrap: (transport: Transport) => Transport = (transport) => transport,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), 60_000);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(request: Request): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId !== null) {
      const session = this.sessions.get(sessionId);
      // The transport answers a DELETE itself; our onsessionclosed hook then forgets the session.
      if (session === undefined) return rpcError(404, -32001, `Session not found: ${sessionId}`);
      session.lastSeen = Date.now();
      return session.transport.handleRequest(request);
    }
    if (request.method !== 'POST') {
      return rpcError(400, -32000, 'Bad Request: no Mcp-Session-Id header; start a session with initialize');
    }
    let body: unknown;
    try {
      body = await request.clone().json();
    } catch {
      return rpcError(400, -32700, 'Parse error: the body is not JSON');
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, -32000, 'Bad Request: no Mcp-Session-Id header; start a session with initialize');
    }
    if (this.sessions.size >= MAX_SESSIONS) this.forgetLeastRecentlySeen();
    return this.open(request);
  }

  private async open(request: Request): Promise<Response> {
    const server = this.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new RecentEvents(),
      retryInterval: RECONNECT_AFTER_MS,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        this.forget(id);
      },
    });
    const wrapped = this.wrap(transport);
    // Set before connecting: the server chains its own close handling after this one.
    wrapped.onclose = () => {
      if (transport.sessionId !== undefined) this.forget(transport.sessionId);
    };
    wrapped.onerror = this.onerror;
    await server.connect(wrapped);
    return transport.handleRequest(request);
  }

  private forget(id: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    session.server.close().catch(this.onerror);
  }

  /** Closes sessions that have had no request for a long time: their clients are most likely gone. */
  private closeIdle(): void {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, session] of this.sessions) if (session.lastSeen <= cutoff) this.forget(id);
  }

  /** At the bound, the session unheard from the longest makes room for the new one. */
  private forgetLeastRecentlySeen(): void {
    let oldest: [string, Session] | undefined;
    for (const entry of this.sessions)
      if (oldest === undefined || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
    if (oldest !== undefined) this.forget(oldest[0]);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const closing = [...this.sessions.values()].map((session) => session.server.close());
    this.sessions.clear();
    await Promise.allSettled(closing);
  }
}
