/** What a client puts in a BullMQ job for a worker: the task's id and how to run it there. */
export interface RemoteJob {
  task_id: string;
  command: string;
  /** Only when the caller named one: a client's own directory means nothing on another host. */
  cwd?: string;
  env?: Record<string, string>;
  timeout_seconds?: number;
  label?: string;
  max_memory_mb?: number;
  max_cpu_seconds?: number;
}
