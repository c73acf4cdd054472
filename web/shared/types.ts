/** What the pages receive: the records of backburner's tools (only the fields the views use). */
export interface Progress {
  percent?: number;
  current?: number;
  total?: number;
  message?: string;
}

export interface TaskRow {
  task_id: string;
  command: string;
  cwd: string;
  status: string;
  created_at: string;
  started_at?: string;
  ended_at?: string;
  duration_seconds?: number;
  running_for_seconds?: number;
  exit_code?: number;
  signal?: string;
  terminated_by?: string;
  reason?: string;
  label?: string;
  queue?: string;
  queue_position?: number;
  progress?: Progress;
  eta_seconds?: number;
  summary?: string;
  pid?: number;
  attempt?: number;
  attempts?: number;
  ready?: boolean;
  failed_dependency?: { task_id: string; status: string };
  /** A task on a worker: which, on which host, the tags it asked for, and where its whole log is. */
  worker?: string;
  host?: string;
  tags?: string[];
  full_log?: string;
}

export interface QueueRow {
  name: string;
  max_parallel: number;
  paused: boolean;
  running: number;
  waiting: number;
}
