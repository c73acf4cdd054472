import assert from 'node:assert/strict';
import { runCliAsync } from './home.js';
import type { HttpHome } from './http.js';

/** A one-time login link from `backburner dashboard --print`, as a person would get it (run without blocking). */
export async function loginLink(served: HttpHome): Promise<string> {
  const port = new URL(served.server.url).port;
  const { stdout, stderr, code } = await runCliAsync(
    ['dashboard', '--print', '--port', port],
    served.home.env,
  );
  assert.equal(code, 0, stderr);
  const url = stdout.trim();
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?code=[\\w-]{43}$`));
  return url;
}
