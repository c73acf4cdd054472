/**
 * Builds the pages' front end (web/) into dist/web, which the npm package ships: the dashboard's bundle
 * and stylesheet with its HTML. Everything is bundled, nothing is fetched from elsewhere at run time.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/web/`;
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { dashboard: `${root}web/dashboard/main.tsx` },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${root}web/dashboard/index.html`, `${out}index.html`);
copyFileSync(`${root}web/dashboard/favicon.svg`, `${out}favicon.svg`);
