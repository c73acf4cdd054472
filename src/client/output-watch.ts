import { statSync } from 'node:fs';
import type { LineMatch, MatchScan } from '../output/line-match.js';

/** A line one of the waited-for tasks printed that matched `until_output`. */
export type OutputMatch = LineMatch & { task_id: string };

/**
 * Follows the new output of the tasks a wait is about, and finds the first line that matches: each
 * line is looked at once, from where the wait began (or the caller's cursor), and only a log that grew
 * is looked at again. Scans run one at a time, off the event loop (see `matchOffThread`).
 */
export class OutputWatch {
  private readonly sizes = new Map<string, number>();
  private readonly finished = new Set<string>();

  constructor(
    /** Logical offsets to start from, per task id. */
    private readonly cursors: Map<string, number>,
    private readonly logFile: (id: string) => string,
    private readonly scan: (id: string, from: number, final: boolean) => Promise<MatchScan>,
  ) {}

  /** Where each task's output has been looked at up to (logical offsets): pass as `since` to go on. */
  positions(): Record<string, string> {
    return Object.fromEntries([...this.cursors].map(([id, cursor]) => [id, String(cursor)]));
  }

  /** Looks at the tasks whose logs grew since the last look; the first match, if any. */
  async poll(): Promise<OutputMatch | null> {
    for (const [id, cursor] of this.cursors) {
      if (this.finished.has(id)) continue;
      let size: number;
      try {
        size = statSync(this.logFile(id)).size;
      } catch {
        continue; // no output yet
      }
      if (this.sizes.get(id) === size) continue;
      this.sizes.set(id, size);
      const found = await this.look(id, cursor, false);
      if (found !== null) return found;
    }
    return null;
  }

  /** One last look at tasks that ended (their last line is whole now); the first match, if any. */
  async last(ids: string[]): Promise<OutputMatch | null> {
    for (const id of ids) {
      const cursor = this.cursors.get(id);
      if (cursor === undefined || this.finished.has(id)) continue;
      this.finished.add(id);
      const found = await this.look(id, cursor, true);
      if (found !== null) return found;
    }
    return null;
  }

  private async look(id: string, from: number, final: boolean): Promise<OutputMatch | null> {
    const result = await this.scan(id, from, final);
    this.cursors.set(id, result.cursor);
    if (result.more === true) this.sizes.delete(id); // it stopped short of the end: look again
    return result.match === null ? null : { task_id: id, ...result.match };
  }
}
