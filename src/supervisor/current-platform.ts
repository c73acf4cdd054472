import type { ProcessPlatform } from './platform.js';
import { PosixPlatform } from './posix.js';
import { WindowsPlatform } from './windows.js';

let platform: ProcessPlatform | undefined;

/** The process platform for the operating system we run on. */
export function currentPlatform(): ProcessPlatform {
  platform ??= process.platform === 'win32' ? new WindowsPlatform() : new PosixPlatform();
  return platform;
}
