import type { McpSession } from './mcp.js';
import { waitFor } from './wait-for.js';

export interface Task {
  task_id: string;
  status: string;
  exit_code?: number;
  signal?: string;
  terminated_by?: string;
  reason?: string;
  pid?: number;
  cancelled?: boolean;
  processes_ended?: number;
  ended_at?: string;
  summary?: string;
  output?: string;
  output_total_lines?: number;
  next_cursor?: string;
  truncated?: string;
  dropped_bytes?: number;
  missed_bytes?: number;
  match_count?: number;
  label?: string;
  log_removed?: boolean;
  progress?: { percent?: number; current?: number; total?: number; message?: string };
  typical_duration_seconds?: number;
  eta_seconds?: number;
  [key: string]: unknown;
}

/** Waits (by polling task_status through the client) until the task has ended. */
export function ended(mcp: McpSession, id: string): Promise<Task> {
  return waitFor(`task ${id} to end`, async () => {
    const task = await mcp.ok<Task>('task_status', { task_id: id });
    return task.status === 'working' || task.status === 'queued' ? undefined : task;
  });
}
