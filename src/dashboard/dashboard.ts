import type { Backburner } from '../client/backburner.js';
import type { TaskActivity } from '../client/task-activity.js';
import { refuseWithoutToken } from '../http/guard.js';
import { serveApi } from './api.js';
import { WebAssets } from './assets.js';
import { errorJson, json, plainPage, SECURITY_HEADERS } from './responses.js';
import { DashboardSessions, SESSION_COOKIE, SESSION_IDLE_MS, type DashboardSession } from './sessions.js';

/** The header a state-changing request carries its session's CSRF token in. */
export const CSRF_HEADER = 'x-backburner-csrf';
/** Where `backburner dashboard` asks (with the bearer token) for a one-time login link. */
export const LOGIN_LINKS_PATH = '/api/login-links';

export interface DashboardOptions {
  backburner: Backburner;
  activity: TaskActivity;
  /** The bearer token: whoever holds it may ask for login links. */
  token: string;
  assets?: WebAssets;
}

const LOGIN_HINT =
  'Run "backburner dashboard" in a terminal: it opens (or prints) a link that logs this browser in.';

/** The origin a request was made to, as the browser would write it in `Origin`. */
const ownOrigin = (request: Request): string => `http://${request.headers.get('host') ?? ''}`;

/**
 * Refuses a request that a page of another origin could have made: a cross-origin `Origin`, or a fetch
 * metadata header saying it came from another site or origin (loopback pages on other ports included:
 * they share the site, so SameSite alone does not stop them).
 */
function crossOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== ownOrigin(request)) return true;
  const site = request.headers.get('sec-fetch-site');
  return site !== null && site !== 'same-origin' && site !== 'none';
}

const sessionCookie = (session: DashboardSession): string =>
  `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_IDLE_MS / 1000}`;

/**
 * The web dashboard, on every path of `serve --http` but `/mcp`: `/login` spends a one-time code and sets
 * the session cookie; the page, its assets and `/api/*` need that session; changes need its CSRF token in
 * a header and a same-origin request too. The MCP endpoint never accepts the cookie.
 */
export function dashboardHandler(options: DashboardOptions): (request: Request) => Promise<Response> {
  const sessions = new DashboardSessions();
  const assets = options.assets ?? new WebAssets();
  const context = { backburner: options.backburner, activity: options.activity };

  return async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === LOGIN_LINKS_PATH && request.method === 'POST') {
      const refusal = refuseWithoutToken(request, options.token);
      if (refusal !== undefined) return refusal;
      const code = sessions.issueCode();
      return json({
        url: `${ownOrigin(request)}/login?code=${encodeURIComponent(code)}`,
        expires_in_seconds: 120,
      });
    }
    if (path === '/login' && request.method === 'GET') {
      const session = sessions.redeem(url.searchParams.get('code') ?? '');
      if (session === undefined)
        return plainPage(401, 'This login link does not work', [
          'A login link works once, for two minutes, and only until the server restarts.',
          LOGIN_HINT,
        ]);
      return new Response(null, {
        status: 303,
        headers: { ...SECURITY_HEADERS, location: '/', 'set-cookie': sessionCookie(session) },
      });
    }
    if (crossOrigin(request)) return errorJson(403, 'FORBIDDEN', 'Forbidden: a request from another origin');
    const session = sessions.fromCookieHeader(request.headers.get('cookie'));
    if (session === undefined) {
      return path.startsWith('/api/')
        ? errorJson(401, 'UNAUTHORIZED', `Unauthorized: log in first. ${LOGIN_HINT}`)
        : plainPage(401, 'backburner: log in', [LOGIN_HINT]);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      if (request.headers.get('origin') === null || request.headers.get(CSRF_HEADER) !== session.csrf)
        return errorJson(403, 'FORBIDDEN', `Forbidden: a change needs the page's ${CSRF_HEADER} header`);
      if (path === '/api/logout' && request.method === 'POST') {
        sessions.end(session);
        return json({ logged_out: true }, 200, {
          'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
        });
      }
    }
    if (path.startsWith('/api/')) return serveApi(request, path, session, context);
    if (request.method === 'GET') {
      const asset = assets.response(path === '/' ? 'index.html' : path.slice(1));
      if (asset !== undefined) return asset;
    }
    return errorJson(404, 'NOT_FOUND', `not found: ${path}`);
  };
}
