import { invalidArgument } from '../shared/errors.js';

/**
 * A Redis URL as given (`redis://` or `rediss://` for TLS, with or without `user:password@`), checked,
 * and with a form safe to print: the password never appears in a message, a result or a log.
 */
export interface RedisTarget {
  url: string;
  /** The URL with its password replaced by `***`. */
  shown: string;
}

export function parseRedisUrl(text: unknown, from: string): RedisTarget {
  if (typeof text !== 'string' || text.trim() === '')
    throw invalidArgument(`${from} must be a redis:// or rediss:// URL, got ${JSON.stringify(text)}`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw invalidArgument(`${from} must be a redis:// or rediss:// URL, got '${redactInText(text)}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalidArgument(`${from} must be a redis:// or rediss:// URL, got '${redact(url)}'`);
  return { url: url.href, shown: redact(url) };
}

function redact(url: URL): string {
  if (url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.password = '***';
  return copy.href;
}

/** Any `scheme://user:password@` in a text (an error from the Redis client, say) with the password hidden. */
export function redactInText(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/** Where the tools find Redis: BACKBURNER_REDIS_URL; without it, everything stays on this host. */
export function redisFromEnv(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  const text = env.BACKBURNER_REDIS_URL;
  if (text === undefined || text.trim() === '') return undefined;
  return parseRedisUrl(text, 'BACKBURNER_REDIS_URL');
}
