import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { clientConfig, type ClientConfig, type ClientName } from './clients.js';
import { mergeJsonServer, mergeTomlServer } from './config-files.js';
import { clientNotes } from './client-notes.js';
import type { ServerEntry } from './server-entry.js';

export const SERVER_NAME = 'backburner';

export interface SetupRequest {
  client: ClientName;
  entry: ServerEntry;
  /** Show the result instead of writing it. */
  print: boolean;
  /** Codex: let backburner's tools run without asking (see the notes). */
  approve: boolean;
}

export interface SetupResult {
  client: ClientName;
  title: string;
  path: string;
  written: boolean;
  /** The copy of the file as it was, when there was one. */
  backup?: string;
  /** The whole file as it is (or, with print, would be) after setup. */
  config: string;
  /** The client's entry for backburner, as written. */
  server: Record<string, unknown>;
  /** What a user of this client should know: approval, sandbox, the Tasks extension, how to reload. */
  notes: string[];
}

/** The entry in the client's own shape. */
export function clientEntry(
  config: ClientConfig,
  entry: ServerEntry,
  approve: boolean,
): Record<string, unknown> {
  const server: Record<string, unknown> = config.typed ? { type: 'stdio' } : {};
  server.command = entry.command;
  server.args = entry.args;
  if (Object.keys(entry.env).length > 0) server.env = entry.env;
  if (config.name === 'codex' && approve) server.default_tools_approval_mode = 'approve';
  return server;
}

/**
 * Writes (or, with `print`, shows) the client's configuration with backburner's entry merged in: other
 * entries and the rest of the file are kept; the old file is copied aside first; the new one replaces
 * it in one rename, with the old one's mode.
 */
export function setupClient(request: SetupRequest, env: NodeJS.ProcessEnv = process.env): SetupResult {
  const config = clientConfig(request.client, env);
  const server = clientEntry(config, request.entry, request.approve);
  const exists = existsSync(config.path);
  const before = exists ? readFileSync(config.path, 'utf8') : '';
  const after =
    config.format === 'toml'
      ? mergeTomlServer(before, SERVER_NAME, server, config.path)
      : mergeJsonServer(before, config.serversKey, SERVER_NAME, server, config.path);
  const result: SetupResult = {
    client: config.name,
    title: config.title,
    path: config.path,
    written: false,
    config: after,
    server,
    notes: clientNotes(config.name, request.approve),
  };
  if (request.print) return result;
  mkdirSync(dirname(config.path), { recursive: true });
  if (exists) {
    const backup = `${config.path}.backburner-backup`;
    copyFileSync(config.path, backup);
    result.backup = backup;
  }
  const temporary = `${config.path}.backburner-${process.pid}.tmp`;
  writeFileSync(temporary, after, { mode: exists ? statSync(config.path).mode & 0o777 : 0o600 });
  renameSync(temporary, config.path);
  result.written = true;
  return result;
}
