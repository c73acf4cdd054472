import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { BackburnerError } from '../shared/errors.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcScanner, readBootId, readProcStat } from './linux-proc.js';
import type { KillTarget, ProcessIdentity, ProcessPlatform, SpawnSpec } from './platform.js';
import { holderPid, writeToFifo } from './fifo.js';

/**
 * The wrapper between the supervisor and the command. It runs the command in the foreground and writes
 * its exit status to a file, atomically (temp file, then rename), so that the true outcome survives the
 * death of the daemon. Trapping (not ignoring) the polite signals lets the wrapper outlive a group
 * SIGTERM long enough to record what the command did with it; a caught signal is reset to the default
 * in the command, so the command itself still sees SIGTERM normally. POSIX defers the trap until the
 * foreground command has ended, which is exactly the wait we want.
 */
const WRAPPER = [
  'trap : HUP INT TERM QUIT',
  // Input ($6, a FIFO, when the task takes input): a holder keeps a writer open, so that the command
  // sees end of file only when send_input(end) ends the holder, never because no daemon holds the FIFO.
  // The wrapper opens the writer itself (read-write: it does not wait for a reader) before it forks
  // the holder, which inherits it: so a writer is open before the command can read, whatever the
  // scheduler does with the holder. The wrapper then keeps only the read end. The holder's pid goes
  // next to the FIFO (owner-only: the daemon's umask is still in force here).
  'if [ -n "$6" ]; then',
  '  exec 3<>"$6"',
  '  sleep 2147483647 </dev/null >/dev/null 2>&1 & h=$!',
  '  echo "$h" > "$6.holder"',
  '  exec 0<"$6" 3>&-',
  'fi',
  // The caller's umask ($5), not the daemon's 077: a build's outputs get the modes the user expects.
  'umask "$5"',
  // On a terminal ($7: its size for stty), util-linux script(1) owns the pseudo-terminal: it is a child
  // of this wrapper, so the terminal outlives any daemon too. The command reaches it in a variable.
  // (A function's $1... are its own: the terminal's size is read here, into t.)
  't=$7',
  'run() {',
  '  if [ -n "$t" ]; then',
  '    BACKBURNER_TTY_COMMAND="$1" TERM=xterm-256color script -qfec "stty $t 2>/dev/null; c=\\$BACKBURNER_TTY_COMMAND; unset BACKBURNER_TTY_COMMAND; exec /bin/sh -c \\"\\$c\\"" /dev/null',
  '  else',
  '    /bin/sh -c "$1"',
  '  fi',
  '}',
  // Resource limits ($3: memory in KiB, $4: CPU seconds) bind the wrapper and everything it starts.
  // The CPU hard limit is one second above the soft one, so that the kernel's SIGXCPU (which names
  // the cause) comes before its SIGKILL.
  'if { [ -z "$3" ] || ulimit -v "$3"; } && { [ -z "$4" ] || { ulimit -S -t "$4" && ulimit -H -t $(($4 + 1)); }; }; then',
  '  run "$1"; s=$?',
  'else',
  '  echo "backburner: could not apply the resource limits on this system" >&2; s=125',
  'fi',
  '[ -z "$6" ] || kill "$h" 2>/dev/null',
  // The status file is backburner's, not the command's: owner-only, whatever the caller's umask.
  'umask 077',
  'printf "%s\\n" "$s" > "$2.tmp" && mv -f "$2.tmp" "$2"',
].join('\n');

const isLinux = process.platform === 'linux';
/** Where the sockets of long homes go: /tmp exists on every POSIX system, whoever calls. */
const SHORT_SOCKET_BASE = '/tmp';
const POLL_MS = 25;

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone (ESRCH): that is what we wanted
  }
}

/** macOS and the BSDs have no /proc: ask ps. */
function psField(pid: number, field: string): string | null {
  try {
    const out = execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out === '' ? null : out;
  } catch {
    return null;
  }
}

/**
 * The live processes of a task, and whether its process group is still the task's. A group id is the
 * leader's pid and can be reused once the whole group is gone, so the group counts as ours only while
 * the leader lives or a member carries the task's marker.
 */
async function taskProcesses(
  scanner: ProcScanner,
  leaderAlive: boolean,
  leader: ProcessIdentity,
  marker: string,
  urgent: boolean,
): Promise<{ pids: number[]; groupIsOurs: boolean }> {
  const pgid = leader.pid;
  if (isLinux) {
    const found = (await scanner.scan(Number(leader.startTime ?? 0), urgent)).filter(
      (entry) => entry.pgrp === pgid || entry.marker === marker,
    );
    const groupIsOurs = leaderAlive || found.some((entry) => entry.pgrp === pgid && entry.marker === marker);
    return {
      pids: found.filter((entry) => entry.marker === marker || groupIsOurs).map((entry) => entry.pid),
      groupIsOurs,
    };
  }
  return leaderAlive ? { pids: psGroup(pgid), groupIsOurs: true } : { pids: [], groupIsOurs: false };
}

function psGroup(pgid: number): number[] {
  // Without /proc the environment cannot be searched: only the group is found.
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, group, stat]) => Number(group) === pgid && !String(stat).startsWith('Z'))
      .map(([pid]) => Number(pid));
  } catch {
    return [];
  }
}

export class PosixPlatform implements ProcessPlatform {
  readonly markerVariable = 'BACKBURNER_TASK_MARKER';
  readonly durableExitStatus = true;
  private readonly scanner = new ProcScanner(this.markerVariable);

  bootId(): string | null {
    if (isLinux) return readBootId();
    return psField(1, 'lstart'); // init's start time changes at every boot
  }

  spawnTask(spec: SpawnSpec): ChildProcess {
    // Append mode: if the log is ever truncated under the task, its writes land at the new end, no hole.
    const out = openSync(spec.logPath, 'a', 0o600);
    try {
      const memoryKib = spec.limits.memoryMb === null ? '' : String(spec.limits.memoryMb * 1024);
      const cpuSeconds = spec.limits.cpuSeconds === null ? '' : String(spec.limits.cpuSeconds);
      if (spec.inputPath !== null) {
        rmSync(spec.inputPath, { force: true });
        rmSync(`${spec.inputPath}.holder`, { force: true });
        execFileSync('mkfifo', ['-m', '600', spec.inputPath]);
      }
      if (spec.tty !== null && !isLinux)
        throw new Error("a terminal (tty) needs util-linux's script(1), which this system does not have");
      const args = [
        spec.command,
        spec.exitStatusPath,
        memoryKib,
        cpuSeconds,
        spec.umask.toString(8).padStart(3, '0'),
        spec.inputPath ?? '',
        spec.tty === null ? '' : `cols ${spec.tty.cols} rows ${spec.tty.rows}`,
      ];
      return spawn('/bin/sh', ['-c', WRAPPER, 'backburner-task', ...args], {
        cwd: spec.cwd,
        env: { ...spec.env, BACKBURNER_TASK_ID: spec.id, [this.markerVariable]: spec.marker },
        // A new session and process group: the task survives its supervisor and is killed as a group.
        detached: true,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out); // the child has its own copy
    }
  }

  writeInput(inputPath: string, bytes: Buffer, timeoutMs: number): Promise<void> {
    return writeToFifo(inputPath, bytes, timeoutMs);
  }

  async closeInput(inputPath: string, leader: ProcessIdentity): Promise<boolean> {
    const pid = await holderPid(inputPath);
    if (pid === null) return false;
    // Only the holder the task's wrapper started: a process of the task's group, as pids are reused.
    const group = isLinux ? readProcStat(pid)?.pgrp : Number(psField(pid, 'pgid'));
    if (group !== leader.pid || !this.isAlive(leader)) return false;
    signalPid(pid, 'SIGTERM');
    return true;
  }

  startTime(pid: number): string | null {
    if (isLinux) return readProcStat(pid)?.startTime ?? null;
    return psField(pid, 'lstart');
  }

  isAlive(identity: ProcessIdentity): boolean {
    if (isLinux) {
      const stat = readProcStat(identity.pid);
      if (stat === null || stat.state === 'Z' || stat.state === 'X') return false;
      return identity.startTime === null || stat.startTime === identity.startTime;
    }
    const state = psField(identity.pid, 'stat');
    if (state === null || state.startsWith('Z')) return false;
    return identity.startTime === null || psField(identity.pid, 'lstart') === identity.startTime;
  }

  async killTree(target: KillTarget, graceMs: number, exclude?: number, urgent = true): Promise<number> {
    const seen = new Set<number>();
    const pgid = target.leader.pid;
    let groupIsOurs = false;
    const find = async (): Promise<number[]> => {
      const found = await taskProcesses(
        this.scanner,
        this.isAlive(target.leader),
        target.leader,
        target.marker,
        urgent,
      );
      urgent = true; // only the first look may wait for company
      groupIsOurs = found.groupIsOurs;
      for (const pid of found.pids) seen.add(pid);
      return found.pids;
    };
    const signalAll = (live: number[], signal: NodeJS.Signals): void => {
      // The group first, while the tree is intact, so that no member is reparented before it is hit.
      if (groupIsOurs) signalPid(-pgid, signal);
      for (const pid of live) signalPid(pid, signal);
    };

    let live = await find();
    if (live.length === 0) return 0;
    signalAll(live, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      live = await find();
      if (live.length === 0) break;
    }
    // Forced kill, repeated until the sweep finds nothing: a fork bomb may still be spawning.
    for (let round = 0; round < 50; round++) {
      live = await find();
      if (live.length === 0) break;
      signalAll(live, 'SIGKILL');
      await sleep(POLL_MS);
    }
    if (exclude !== undefined) seen.delete(exclude);
    return seen.size;
  }

  socketPath(home: string): string {
    const preferred = join(home, 'daemon.sock');
    // Unix socket paths are limited to about 104-108 bytes; a long home gets a short per-user path.
    // That path depends on the home and the user only, never on the caller's environment (XDG_RUNTIME_DIR
    // or TMPDIR differ between a terminal and an MCP client): every caller must find the same socket.
    if (Buffer.byteLength(preferred) <= 100) return preferred;
    const hash = createHash('sha256').update(home).digest('hex').slice(0, 16);
    return join(SHORT_SOCKET_BASE, `backburner-${process.getuid?.() ?? 'user'}`, `${hash}.sock`);
  }

  secureSocketDir(socketPath: string, create: boolean): void {
    const dir = dirname(socketPath);
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
    let stat;
    try {
      stat = lstatSync(dir);
    } catch (error) {
      if (!create && (error as NodeJS.ErrnoException).code === 'ENOENT') return; // no daemon yet
      throw error;
    }
    // A folder someone else made (or a link to one) could hold a socket posing as our daemon, which
    // would then receive every task's environment: refuse it.
    const uid = process.getuid?.();
    if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
      throw new BackburnerError(
        'HOME_UNSAFE',
        `refusing to use ${dir} for the daemon's socket: it is ${stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? `owned by uid ${stat.uid}, not you (uid ${uid})` : 'not a directory'}; remove it, or use a shorter BACKBURNER_HOME`,
      );
    }
    if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  }
}
