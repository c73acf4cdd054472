import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from './decide.js';

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
  appendFileSync(join(home, 'audit.log'), `${JSON.stringify(line)}\n`, { mode: 0o600 });
}
