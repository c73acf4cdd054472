import { execFile } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE: free the blocks, keep the size and every other byte. */
const PUNCH_HOLE = 0x01 | 0x02;

type AsyncCall = (
  fd: number,
  mode: number,
  offset: number,
  length: number,
  done: (error: unknown, result: number) => void,
) => void;

let loaded: AsyncCall | null | undefined;
/**
 * libc's fallocate(2) through koffi (an FFI with prebuilt binaries in its npm package), called on
 * libuv's thread pool. Null where it cannot be loaded (another libc or platform): then util-linux's
 * `fallocate` program does the same job in a child process.
 */
function libcFallocate(): AsyncCall | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux') return loaded;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const call = koffi.load('libc.so.6').func('int fallocate(int fd, int mode, int64_t offset, int64_t len)');
    loaded = call.async as unknown as AsyncCall;
  } catch {
    // no koffi binary for this platform, or no glibc: the program below
  }
  return loaded;
}

/**
 * Frees the disk blocks of bytes [offset, offset + length) of a file without changing its size or the
 * position of any other byte. In-process and off the event loop: a child process per cut would make the
 * daemon fork, which blocks its event loop until the child has started (hundreds of milliseconds on a
 * loaded machine, measured), and let a fast writer run far past the cap meanwhile.
 */
export async function punchHole(path: string, offset: number, length: number): Promise<void> {
  if (length <= 0) return;
  const fallocate = libcFallocate();
  if (fallocate === null) return punchHoleWithProgram(path, offset, length);
  const fd = openSync(path, 'r+');
  try {
    const result = await new Promise<number>((resolve, reject) =>
      fallocate(fd, PUNCH_HOLE, offset, length, (error, value) =>
        error === null || error === undefined ? resolve(value) : reject(error as Error),
      ),
    );
    if (result !== 0) throw new Error(`fallocate(PUNCH_HOLE) failed on ${path}`);
  } finally {
    closeSync(fd);
  }
}

/** The fallback: util-linux's `fallocate --punch-hole`, in a child process. */
export async function punchHoleWithProgram(path: string, offset: number, length: number): Promise<void> {
  await run('fallocate', ['--punch-hole', '--offset', String(offset), '--length', String(length), path]);
}

const PROBE_BYTES = 256 * 1024;

/**
 * Whether holes can be punched in files of `dir`: Linux, on a file system that supports it (ext4, xfs,
 * btrfs, tmpfs do). Tried on a scratch file, and the freed blocks checked, rather than assumed from the
 * platform's name.
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
    return process.platform === 'win32' ? stat.size : Math.min(stat.size, stat.blocks * 512);
  } catch {
    return 0;
  }
}
