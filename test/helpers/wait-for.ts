import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it returns something other than undefined/false, or fails after `timeoutMs`
 * with `description`. Generous limits: the machine is shared and noisy; assertions stay exact.
 */
export async function waitFor<T>(
  description: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await sleep(25);
  }
}
