import assert from 'node:assert/strict';
import type { HttpHome } from './http.js';

/** A one-time login link from `backburner dashboard --print`, as a person would get it. */
export function loginLink(served: HttpHome): string {
  const port = new URL(served.server.url).port;
  const { stdout, stderr, code } = served.home.cli(['dashboard', '--print', '--port', port]);
  assert.equal(code, 0, stderr);
  const url = stdout.trim();
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/login\\?code=[\\w-]{43}$`));
  return url;
}
