import type { Backburner, ListedTask } from '../client/backburner.js';
import type { QueueView } from '../client/scheduling.js';
import type { TaskInsight } from '../output/insight.js';

/** A row of the dashboard's list: the listing's record, and for a running task what `status` adds. */
export type DashboardTask = ListedTask & Partial<Pick<TaskInsight, 'progress' | 'eta_seconds' | 'summary'>>;

export interface TaskListFilters {
  status?: string[];
  queue?: string;
  label?: string;
  limit?: number;
}

export interface TaskListSnapshot {
  tasks: DashboardTask[];
  queues: QueueView[];
  /** Set when more tasks match than the list shows. */
  more?: boolean;
}

const DEFAULT_LIMIT = 200;

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

/**
 * The list as the dashboard shows it. A running task's `duration_seconds` is left out: the page counts
 * it from `started_at`, so that a pushed list changes only when something did.
 */
export async function taskListSnapshot(
  backburner: Backburner,
  filters: TaskListFilters,
): Promise<TaskListSnapshot> {
  const page = await backburner.list({
    limit: filters.limit ?? DEFAULT_LIMIT,
    ...(filters.status === undefined ? {} : { status: filters.status }),
    ...(filters.queue === undefined ? {} : { queue: filters.queue }),
    ...(filters.label === undefined ? {} : { label: filters.label }),
  });
  const tasks = await Promise.all(
    page.tasks.map(async (task): Promise<DashboardTask> => {
      if (task.status !== 'working') return task;
      const { duration_seconds: _changesEverySecond, running_for_seconds: _too, ...listed } = task;
      try {
        const { progress, eta_seconds, summary } = await backburner.status(task.task_id);
        return {
          ...listed,
          summary,
          ...(progress === undefined ? {} : { progress }),
          ...(eta_seconds === undefined ? {} : { eta_seconds: Math.round(eta_seconds) }),
        };
      } catch {
        return listed; // deleted between the listing and this look
      }
    }),
  );
  const snapshot: TaskListSnapshot = { tasks, queues: await backburner.listQueues() };
  if (page.next_cursor !== undefined) snapshot.more = true;
  return snapshot;
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
