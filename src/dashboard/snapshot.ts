import type { Backburner } from '../client/backburner.js';
import type { TaskListFilters } from '../client/task-list-snapshot.js';

/** The filters from a URL's query: `status` (comma-separated), `queue`, `label`, `limit`. */
export function filtersFrom(query: URLSearchParams): TaskListFilters {
  const filters: TaskListFilters = {};
  const status = query.get('status');
  if (status !== null && status !== '') filters.status = status.split(',');
  const queue = query.get('queue');
  if (queue !== null && queue !== '') filters.queue = queue;
  const label = query.get('label');
  if (label !== null && label !== '') filters.label = label;
  const limit = query.get('limit');
  if (limit !== null && limit !== '') filters.limit = Number(limit);
  return filters;
}

export interface DurationSeries {
  command: string;
  /** [ended at (ms since the epoch), seconds, whether it completed] per run, oldest first. */
  runs: [number, number, boolean][];
}

const MAX_SERIES = 6;
const ENDED_LOOKED_AT = 1000;

/** Durations of the commands run most often among the last thousand that ended: at least two runs each. */
export async function durationSeries(backburner: Backburner): Promise<DurationSeries[]> {
  const { tasks } = await backburner.list({ status: ['completed', 'failed'], limit: ENDED_LOOKED_AT });
  const byCommand = new Map<string, [number, number, boolean][]>();
  for (const task of tasks) {
    if (task.ended_at === undefined || task.duration_seconds === undefined) continue;
    const runs = byCommand.get(task.command) ?? [];
    runs.push([Date.parse(task.ended_at), task.duration_seconds, task.status === 'completed']);
    byCommand.set(task.command, runs);
  }
  return [...byCommand]
    .filter(([, runs]) => runs.length >= 2)
    .sort((a, b) => b[1].length - a[1].length)
    .slice(0, MAX_SERIES)
    .map(([command, runs]) => ({ command, runs: runs.sort((a, b) => a[0] - b[0]) }));
}
