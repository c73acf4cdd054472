/**
 * Builds the pages' front end (web/) into dist/web, which the npm package ships:
 * - the dashboard: its bundle and stylesheet with its HTML, served by `serve --http`;
 * - the MCP App: one self-contained HTML file (script and styles inline), which is what a host loads
 *   from the `ui://` resource into a sandboxed frame.
 * Everything is bundled, nothing is fetched from elsewhere at run time.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/web/`;
mkdirSync(out, { recursive: true });

const common: BuildOptions = {
  bundle: true,
  minify: true,
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { dashboard: `${root}web/dashboard/main.tsx` },
  outdir: out,
  format: 'esm',
});
copyFileSync(`${root}web/dashboard/index.html`, `${out}index.html`);
copyFileSync(`${root}web/dashboard/favicon.svg`, `${out}favicon.svg`);

/**
 * zod (which the MCP SDK under ext-apps validates with) re-exports its error messages in every language
 * as one namespace, which no bundler can trim: 260 KB of the app's 690. The view shows English only,
 * which zod loads on its own, so the namespace is left empty.
 */
const englishOnlyZod: Plugin = {
  name: 'english-only-zod',
  setup(plugins) {
    plugins.onResolve({ filter: /\/locales\/index\.js$/ }, ({ importer }) =>
      /[\\/]zod[\\/]/.test(importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    plugins.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};' }));
  },
};

const app = await build({
  ...common,
  plugins: [englishOnlyZod],
  entryPoints: { 'tasks-app': `${root}web/tasks-app/main.tsx` },
  outdir: out,
  format: 'iife',
  write: false,
});
const built = (extension: string): string => {
  const file = app.outputFiles.find((output) => output.path.endsWith(extension));
  if (file === undefined) throw new Error(`the tasks app's build made no ${extension} file`);
  return file.text;
};
// Inline, a "</script" or "</style" in the bundle would end the element early.
const inline = (text: string, tag: string): string => text.replaceAll(`</${tag}`, `<\\/${tag}`);
const page = readFileSync(`${root}web/tasks-app/index.html`, 'utf8')
  .replace('/* styles */', () => inline(built('.css'), 'style'))
  .replace('/* script */', () => inline(built('.js'), 'script'));
writeFileSync(`${out}tasks-app.html`, page);
