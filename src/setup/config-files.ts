import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';

/**
 * Reading and merging one server entry into a client's configuration file, changing nothing else: JSON
 * (with comments, as VS Code allows) through minimal edits, so comments and formatting stay; TOML (Codex)
 * by replacing only the server's own tables. Every merge is parsed back and checked.
 */

export class ConfigError extends Error {}

/** JSON with object keys sorted: parsers may give another key order or prototype, which is no difference. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** The servers a JSON(C) configuration lists under `key` (empty when the file is empty). */
export function jsonServers(text: string, key: string, path: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const value = text.trim() === '' ? {} : (parse(text, errors, { allowTrailingComma: true }) as unknown);
  const first = errors[0];
  if (first !== undefined)
    throw new ConfigError(
      `${path} is not valid JSON (${printParseErrorCode(first.error)} at offset ${first.offset}): fix it or move it away, then run setup again`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${path} must hold a JSON object`);
  const servers = (value as Record<string, unknown>)[key];
  return typeof servers === 'object' && servers !== null ? (servers as Record<string, unknown>) : {};
}

export function mergeJsonServer(
  text: string,
  key: string,
  name: string,
  entry: object,
  path: string,
): string {
  jsonServers(text, key, path); // refuses a file that is not JSON before touching it
  const base = text.trim() === '' ? '{}\n' : text;
  const edits = modify(base, [key, name], entry, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
  const merged = applyEdits(base, edits);
  if (!same(jsonServers(merged, key, path)[name], entry))
    throw new ConfigError(
      `could not write the ${name} entry into ${path}; add it by hand (backburner setup --print shows it)`,
    );
  return merged;
}

function tomlDocument(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(
      `${path} is not valid TOML (${(error as Error).message.split('\n')[0]}): fix it, then run setup again`,
    );
  }
}

export function tomlServers(text: string, path: string): Record<string, unknown> {
  const servers = tomlDocument(text, path).mcp_servers;
  return typeof servers === 'object' && servers !== null ? (servers as Record<string, unknown>) : {};
}

/**
 * Replaces the `[mcp_servers.NAME]` table (and its sub-tables, such as `.env`) with `entry`, keeping every
 * other line of the file as it was, comments included.
 */
export function mergeTomlServer(text: string, name: string, entry: object, path: string): string {
  tomlDocument(text, path);
  const own = new RegExp(`^\\s*\\[\\s*mcp_servers\\.(?:${name}|"${name}")(?:\\.[^\\]]*)?\\s*\\]`);
  const header = /^\s*\[/;
  const kept: string[] = [];
  let inOwn = false;
  for (const line of text.split('\n')) {
    if (header.test(line)) inOwn = own.test(line);
    if (!inOwn) kept.push(line);
  }
  const before = kept.join('\n').replace(/\s*$/, '');
  const table = stringifyToml({ mcp_servers: { [name]: entry } }).trim();
  const merged = `${before === '' ? '' : `${before}\n\n`}${table}\n`;
  if (!same(tomlServers(merged, path)[name], entry))
    throw new ConfigError(
      `could not write the ${name} entry into ${path}; add it by hand (backburner setup --print shows it)`,
    );
  return merged;
}
