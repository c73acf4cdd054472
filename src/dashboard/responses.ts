import { BackburnerError } from '../shared/errors.js';

/**
 * What the dashboard's pages may load and do: only its own scripts, styles and API, nothing inline,
 * nothing from elsewhere, never framed. The page works offline because everything is served from here.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every dashboard response carries. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

export const errorJson = (status: number, code: string, message: string): Response =>
  json({ error: { code, message } }, status);

/** A backburner error as the API's answer: a bad argument is 400, an unknown task 404. */
export function failure(error: unknown): Response {
  if (error instanceof BackburnerError) {
    const status =
      error.code === 'TASK_NOT_FOUND'
        ? 404
        : error.code === 'DAEMON_UNAVAILABLE'
          ? 503
          : error.code === 'INTERNAL'
            ? 500
            : 400;
    return errorJson(status, error.code, error.message);
  }
  return errorJson(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A small page of plain text (a login that is needed or failed): no script, no style. */
export function plainPage(
  status: number,
  title: string,
  lines: string[],
  headers: Record<string, string> = {},
): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</body></html>`;
  return new Response(body, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
  });
}
