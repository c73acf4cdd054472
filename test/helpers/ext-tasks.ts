import type { Client, JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import {
  createTaskSessionFromClient,
  type RawClientDispatch,
  type TaskEnabledSession,
} from '@modelcontextprotocol/ext-tasks/client';

type Pending = (message: JSONRPCMessage) => void;

/**
 * The raw request path the ext-tasks client needs to talk to a 2026-07-28 tasks server (the SDK client
 * refuses task-shaped results): requests go out on the client's own transport with ids of our own, and
 * their responses are taken off the transport before the SDK client sees them.
 */
export function rawDispatcher(transport: Transport): RawClientDispatch {
  const pending = new Map<string, Pending>();
  let next = 0;
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const id = (message as { id?: unknown }).id;
    const waiter = typeof id === 'string' ? pending.get(id) : undefined;
    if (waiter !== undefined && !('method' in message)) {
      pending.delete(id as string);
      waiter(message);
    } else deliver?.(message, extra);
  };
  return async (request) => {
    const id = `raw-${++next}`;
    const answer = new Promise<JSONRPCMessage>((resolve) => pending.set(id, resolve));
    await transport.send({ jsonrpc: '2.0', id, ...(request as { method: string }) } as JSONRPCMessage);
    const response = (await answer) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (response.error !== undefined) return { kind: 'error', error: response.error } as never;
    return { kind: 'result', result: response.result } as never;
  };
}

/** An ext-tasks session over a connected 2026-07-28 client, as an application using the extension has. */
export function taskSession(client: Client, transport: Transport): TaskEnabledSession {
  return createTaskSessionFromClient(client, {
    endpointId: 'backburner-test',
    rawDispatch: rawDispatcher(transport),
    v2RequestFraming: {
      protocolVersion: '2026-07-28',
      clientInfo: { name: 'backburner-test', version: '1.0.0' },
      clientCapabilities: {},
    },
  });
}

/** An ext-tasks session over a 2025-era client: the package then speaks the 2025-11-25 task form. */
export function legacyTaskSession(client: Client): TaskEnabledSession {
  return createTaskSessionFromClient(client, { endpointId: 'backburner-test-legacy' });
}
