import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './paths.js';

/** Where each run leaves its screenshots of the main views, for a person to look at (not committed). */
export const SCREENSHOTS = `${ROOT}test-results/screenshots/`;

/** Debian's Chromium, as CI installs it; Playwright's own browser download is not used. */
const CHROMIUM = '/usr/bin/chromium';

/** Chromium without the background traffic a closed network refuses (see the env notes). */
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Debian Chromium, with the screenshots folder made. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}
