import { readFileSync } from 'node:fs';

/**
 * The policy file's `"redis": "rediss://…"`: where the tools find workers when BACKBURNER_REDIS_URL is
 * not set (an administrator can point every session of a machine at the team's Redis this way).
 * A missing or unreadable file says nothing here: the command policy reports those.
 */
export function redisUrlInPolicyFile(path: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const value = (parsed as { redis?: unknown } | null)?.redis;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
