import { fileURLToPath } from 'node:url';

/** The repository root: tests run from dist/test/, fixtures stay in test/fixtures/. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
export const fixture = (name: string): string => `${ROOT}test/fixtures/${name}`;
