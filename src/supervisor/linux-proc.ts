import { readFileSync, readdirSync } from 'node:fs';

/** Reading /proc on Linux: process identity, group membership, and environment markers. */

export interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
  /** Field 22: start time in clock ticks since boot. With the pid it names a process uniquely. */
  startTime: string;
}

export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: parse from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = fields[2];
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { pid, state, pgrp: Number(pgrp), startTime };
}

/** A live process as one scan of /proc saw it. */
export interface ProcEntry {
  pid: number;
  pgrp: number;
  startTime: number;
  /** The value of the marker variable in its environment, if it has one (and was young enough to look). */
  marker: string | null;
}

function parseStat(text: string): { state: string; pgrp: number; startTime: number } | null {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, , pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || pgrp === undefined || startTime === undefined) return null;
  return { state, pgrp: Number(pgrp), startTime: Number(startTime) };
}

function readEntry(pid: number, variable: string, notBefore: number): ProcEntry | null {
  let stat;
  try {
    stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null; // gone
  }
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return null;
  let marker: string | null = null;
  if (stat.startTime >= notBefore) {
    try {
      const environ = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
      const key = `\0${variable}=`;
      const at = environ.indexOf(key);
      if (at !== -1) {
        const end = environ.indexOf('\0', at + key.length);
        marker = environ.slice(at + key.length, end === -1 ? undefined : end);
      }
    } catch {
      // another user's process, or gone
    }
  }
  return { pid, pgrp: stat.pgrp, startTime: stat.startTime, marker };
}

interface Batch {
  notBefore: number;
  result: Promise<ProcEntry[]>;
}

/** How long a sweep after a natural end waits, so that one pass over /proc serves every task that ended meanwhile. */
const SWEEP_BATCH_MS = 100;

/**
 * Scans /proc, sharing one pass among all callers of a batch: when many tasks end at once, one scan
 * serves them all. Urgent scans (a cancel, a kill in progress) run on the next turn of the event loop;
 * sweeps after a natural end wait a little to gather more callers. A process's environment is read only
 * if it started at or after the earliest `notBefore` asked for: a task's descendants cannot be older
 * than the task, and procfs reads are what a scan costs.
 */
export class ProcScanner {
  private readonly batches: { urgent?: Batch; later?: Batch } = {};

  constructor(private readonly variable: string) {}

  scan(notBefore: number, urgent = true): Promise<ProcEntry[]> {
    const kind = urgent ? 'urgent' : 'later';
    const pending = this.batches[kind];
    if (pending !== undefined) {
      pending.notBefore = Math.min(pending.notBefore, notBefore);
      return pending.result;
    }
    const batch: Batch = {
      notBefore,
      result: new Promise((resolve) => {
        const run = (): void => {
          this.batches[kind] = undefined;
          resolve(this.readAll(batch.notBefore));
        };
        if (urgent) setImmediate(run);
        else setTimeout(run, SWEEP_BATCH_MS);
      }),
    };
    this.batches[kind] = batch;
    return batch.result;
  }

  private readAll(notBefore: number): ProcEntry[] {
    const entries: ProcEntry[] = [];
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const entry = readEntry(pid, this.variable, notBefore);
      if (entry !== null) entries.push(entry);
    }
    return entries;
  }
}

export function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}
