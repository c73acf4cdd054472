import { fileURLToPath } from 'node:url';

/**
 * Where the build puts the pages' bundles (scripts/build-web.ts): dist/web, beside dist/src. The
 * dashboard serves its files from there and the MCP App's resource is read from there.
 */
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
