import { readFileSync } from 'node:fs';
import { WEB_DIR } from '../shared/web-build.js';
import { SECURITY_HEADERS } from './responses.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The dashboard's files, by the name the page asks for; nothing else in the folder is served. */
const SERVED = ['index.html', 'dashboard.js', 'dashboard.css', 'favicon.svg'];

/**
 * The built front end, read once (the files are small and do not change under a running server).
 * A missing build is said plainly rather than served as a blank page.
 */
export class WebAssets {
  private readonly files = new Map<string, Buffer>();

  constructor(private readonly dir: string = WEB_DIR) {}

  response(name: string): Response | undefined {
    if (!SERVED.includes(name)) return undefined;
    let body = this.files.get(name);
    if (body === undefined) {
      try {
        body = readFileSync(`${this.dir}${name}`);
      } catch {
        return new Response(`the dashboard's ${name} is missing from ${this.dir}: run npm run build`, {
          status: 500,
          headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
        });
      }
      this.files.set(name, body);
    }
    const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
    return new Response(new Uint8Array(body), {
      headers: { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' },
    });
  }
}
