import type { Backburner, ListedTask } from './backburner.js';
import type { QueueView } from './scheduling.js';
import type { TaskInsight } from '../output/insight.js';
import { BackburnerError } from '../shared/errors.js';
import { DEFAULT_QUEUE } from '../shared/queues.js';

/** A row of a view's task list (the dashboard's, the MCP App's): the listing's record, and for a running task what `status` adds. */
export type ViewedTask = ListedTask & Partial<Pick<TaskInsight, 'progress' | 'eta_seconds' | 'summary'>>;

export interface TaskListFilters {
  status?: string[];
  /** Only these tasks (ids or unique prefixes); the others' filters still apply. */
  taskIds?: string[];
  queue?: string;
  label?: string;
  limit?: number;
}

export interface TaskListSnapshot {
  tasks: ViewedTask[];
  queues: QueueView[];
  /** Set when more tasks match than the list shows. */
  more?: boolean;
}

const DEFAULT_LIMIT = 200;

/**
 * The task list as the views show it. A running task's `duration_seconds` is left out: a view counts
 * it from `started_at`, so that a pushed list changes only when something did.
 */
export async function taskListSnapshot(
  backburner: Backburner,
  filters: TaskListFilters,
): Promise<TaskListSnapshot> {
  const queues = backburner.listQueues();
  if (filters.taskIds !== undefined) {
    const named = await namedTasks(backburner, filters.taskIds);
    return { tasks: named.filter((task) => matches(task, filters)), queues: await queues };
  }
  const page = await backburner.list({
    limit: filters.limit ?? DEFAULT_LIMIT,
    ...(filters.status === undefined ? {} : { status: filters.status }),
    ...(filters.queue === undefined ? {} : { queue: filters.queue }),
    ...(filters.label === undefined ? {} : { label: filters.label }),
  });
  const tasks = await Promise.all(
    page.tasks.map(async (task): Promise<ViewedTask> => {
      if (task.status !== 'working') return task;
      try {
        return viewed(task, await backburner.status(task.task_id));
      } catch {
        return viewed(task); // deleted between the listing and this look
      }
    }),
  );
  const snapshot: TaskListSnapshot = { tasks, queues: await queues };
  if (page.next_cursor !== undefined) snapshot.more = true;
  return snapshot;
}

/** A running task without the durations that change every second, with what its output says of it. */
function viewed(task: ListedTask, insight?: TaskInsight): ViewedTask {
  if (task.status !== 'working') return task;
  const { duration_seconds: _changesEverySecond, running_for_seconds: _too, ...listed } = task;
  if (insight === undefined) return listed;
  const { progress, eta_seconds, summary } = insight;
  return {
    ...listed,
    summary,
    ...(progress === undefined ? {} : { progress }),
    ...(eta_seconds === undefined ? {} : { eta_seconds: Math.round(eta_seconds) }),
  };
}

/** The named tasks that still exist, in the order named; one deleted since is left out, not an error. */
async function namedTasks(backburner: Backburner, ids: string[]): Promise<ViewedTask[]> {
  const found = await Promise.all(
    ids.map(async (id) => {
      try {
        const details = await backburner.status(id);
        return viewed(details, details);
      } catch (error) {
        if (error instanceof BackburnerError && error.code === 'TASK_NOT_FOUND') return null;
        throw error;
      }
    }),
  );
  return found.filter((task) => task !== null);
}

function matches(task: ViewedTask, filters: TaskListFilters): boolean {
  if (filters.status !== undefined && !filters.status.includes(task.status)) return false;
  if (filters.queue !== undefined && (task.queue ?? DEFAULT_QUEUE) !== filters.queue) return false;
  return filters.label === undefined || task.label === filters.label;
}
