import type { Socket } from 'node:net';
import { BackburnerError } from '../shared/errors.js';
import {
  encode,
  lineReader,
  parseRequest,
  type EventMessage,
  type RequestMessage,
  type ResponseMessage,
} from './protocol.js';

/**
 * Bytes an unread connection may hold in our send buffer. Events go to every connection; a client that
 * stops reading would make the daemon buffer them without end, so past this it is dropped instead.
 */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Requests one connection may have in flight: more is a runaway or hostile client. */
const MAX_IN_FLIGHT = 64;

export type RequestHandler = (request: RequestMessage) => Promise<unknown>;

/**
 * The daemon's side of its connections: framing, checking each request before any handler sees it,
 * answering every request exactly once, and never letting one client's bad input or slow reading reach
 * the others. Nothing a peer sends can throw out of here.
 */
export class Connections {
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly handle: RequestHandler,
    private readonly log: (message: string) => void,
  ) {}

  accept(socket: Socket): void {
    this.sockets.add(socket);
    let inFlight = 0;
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      lineReader((frame) => {
        if (!frame.ok) {
          this.send(socket, { id: null, error: { code: 'INVALID_ARGUMENT', message: frame.error } });
          if (frame.fatal) socket.end();
          return;
        }
        const parsed = parseRequest(frame.message);
        if (!parsed.ok) {
          this.send(socket, { id: parsed.id, error: { code: 'INVALID_ARGUMENT', message: parsed.error } });
          return;
        }
        const { request } = parsed;
        if (inFlight >= MAX_IN_FLIGHT) {
          this.send(socket, {
            id: request.id,
            error: {
              code: 'INVALID_ARGUMENT',
              message: `more than ${MAX_IN_FLIGHT} requests in flight on one connection`,
            },
          });
          return;
        }
        inFlight++;
        void this.answer(socket, request).finally(() => inFlight--);
      }),
    );
  }

  /** Pushes an event to every connection that keeps up. */
  broadcast(event: EventMessage): void {
    const line = encode(event);
    for (const socket of this.sockets) this.write(socket, line);
  }

  /** Ends every connection (after what was written to it). */
  endAll(): void {
    for (const socket of this.sockets) socket.end();
  }

  private async answer(socket: Socket, request: RequestMessage): Promise<void> {
    let response: ResponseMessage;
    try {
      response = { id: request.id, result: await this.handle(request) };
    } catch (error) {
      const code = error instanceof BackburnerError ? error.code : 'INTERNAL';
      if (code === 'INTERNAL')
        this.log(`${request.method} failed: ${(error as Error).stack ?? String(error)}`);
      response = { id: request.id, error: { code, message: (error as Error).message } };
    }
    this.send(socket, response);
  }

  private send(socket: Socket, message: ResponseMessage): void {
    this.write(socket, encode(message));
  }

  private write(socket: Socket, line: string): void {
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength + line.length > MAX_BUFFERED_BYTES) {
      this.log(`dropped a connection that stopped reading (${socket.writableLength} bytes unread)`);
      socket.destroy();
      return;
    }
    socket.write(line);
  }
}
