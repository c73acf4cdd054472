import type { TaskRow } from '../engine/task.js';
import type { ResourceLimits } from '../supervisor/platform.js';

/**
 * The daemon's wire protocol: one JSON object per line over a local socket. Requests carry an id and
 * get exactly one response; `ended` events are pushed to every connection, unasked.
 */
export interface DaemonMethods {
  ping: { params: Record<string, never>; result: { pid: number; version: string } };
  start: {
    params: {
      command: string;
      cwd: string;
      env: Record<string, string>;
      timeoutSeconds: number | null;
      label: string | null;
      limits: ResourceLimits;
      /** The caller's umask, for the files the task creates (absent from older clients: 022). */
      umask?: number;
    };
    result: { task: TaskRow };
  };
  cancel: { params: { id: string }; result: { task: TaskRow; changed: boolean; processesEnded: number } };
  delete: { params: { id: string }; result: { deleted: boolean } };
  shutdown: { params: Record<string, never>; result: { stopping: true } };
}

export type DaemonMethod = keyof DaemonMethods;

export interface RequestMessage {
  id: number;
  method: DaemonMethod;
  params: unknown;
}

export type ResponseMessage =
  { id: number; result: unknown } | { id: number; error: { code: string; message: string } };

export type EventMessage =
  | { event: 'ended'; task: TaskRow }
  /** Sent before a daemon closes connections on purpose, so that clients do not take it for a crash. */
  | { event: 'stopping' };

/** Splits a byte stream into lines and hands each parsed JSON message on. */
export function lineReader(onMessage: (message: unknown) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') {
        try {
          onMessage(JSON.parse(line));
        } catch {
          // a malformed line from a peer is dropped; the connection stays usable
        }
      }
      newline = pending.indexOf('\n');
    }
  };
}

export const encode = (message: RequestMessage | ResponseMessage | EventMessage): string =>
  `${JSON.stringify(message)}\n`;
