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

export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function environContains(pid: number, needle: Buffer): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`).includes(needle);
  } catch {
    return false; // gone, or another user's process
  }
}

export interface TaskProcess {
  pid: number;
  inGroup: boolean;
  hasMarker: boolean;
}

/** Live processes in the group `pgid` or carrying `variable=marker` in their environment. */
export function scanTaskProcesses(pgid: number, variable: string, marker: string): TaskProcess[] {
  const needle = Buffer.from(`${variable}=${marker}\0`);
  const found: TaskProcess[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const stat = readProcStat(pid);
    if (stat === null || stat.state === 'Z' || stat.state === 'X') continue;
    const inGroup = stat.pgrp === pgid;
    const hasMarker = environContains(pid, needle);
    if (inGroup || hasMarker) found.push({ pid, inGroup, hasMarker });
  }
  return found;
}

export function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}
