import { execFile } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Frees the disk blocks of bytes [offset, offset + length) of a file without changing its size or the
 * position of any other byte: util-linux's `fallocate --punch-hole` (FALLOC_FL_PUNCH_HOLE |
 * FALLOC_FL_KEEP_SIZE). It runs in a child process, so the daemon's event loop never waits on the disk.
 */
export async function punchHole(path: string, offset: number, length: number): Promise<void> {
  if (length <= 0) return;
  await run('fallocate', ['--punch-hole', '--offset', String(offset), '--length', String(length), path]);
}

const PROBE_BYTES = 256 * 1024;

/**
 * Whether holes can be punched in files of `dir`: Linux with util-linux, on a file system that supports
 * it (ext4, xfs, btrfs, tmpfs do). Tried on a scratch file, and the freed blocks checked, rather than
 * assumed from the platform's name.
 */
export async function canPunchHoles(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const probe = join(dir, `.hole-probe-${process.pid}`);
  try {
    writeFileSync(probe, Buffer.alloc(PROBE_BYTES, 0x61), { mode: 0o600 });
    const before = statSync(probe).blocks;
    await punchHole(probe, 0, PROBE_BYTES);
    const after = statSync(probe);
    return after.size === PROBE_BYTES && after.blocks < before;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Disk bytes a file really uses: fewer than its size when it has holes. */
export function diskBytes(path: string): number {
  try {
    const stat = statSync(path);
    return stat.blocks === undefined || process.platform === 'win32'
      ? stat.size
      : Math.min(stat.size, stat.blocks * 512);
  } catch {
    return 0;
  }
}
