import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from './decide.js';

/**
 * The audit log's size before it is rotated to `audit.log.1` (one older generation is kept): refusals
 * an agent can cause at will must not fill the disk, and the home quota counts both files.
 */
const AUDIT_MAX_BYTES = 1024 * 1024;

/** Appends a refusal to `audit.log` in the home: one JSON object per line, owner-only. */
export function recordRefusal(
  home: string,
  entry: { command: string; cwd: string; decision: Decision },
): void {
  const line = {
    time: new Date().toISOString(),
    event: 'refused',
    command: entry.command,
    cwd: entry.cwd,
    part: entry.decision.part,
    rule: entry.decision.rule?.pattern.source,
    source: entry.decision.rule?.source,
    reason: entry.decision.rule?.reason,
    message: entry.decision.message,
  };
  const path = join(home, 'audit.log');
  try {
    if (statSync(path).size >= AUDIT_MAX_BYTES) renameSync(path, `${path}.1`);
  } catch {
    // no audit log yet
  }
  appendFileSync(path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
}
