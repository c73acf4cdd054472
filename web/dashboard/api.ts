import type { QueueRow, TaskRow } from '../shared/types.js';

export interface TaskList {
  tasks: TaskRow[];
  queues: QueueRow[];
  more?: boolean;
}

export interface OutputPage {
  output: string;
  output_total_lines: number;
  next_cursor: string;
  start_cursor?: string;
  truncated?: string;
  match_count?: number;
  dropped_bytes?: number;
}

export interface DurationSeries {
  command: string;
  runs: [number, number, boolean][];
}

let csrf: string | undefined;

/** An API error as the page shows it: the server's message. */
export class ApiError extends Error {}

async function call<T>(method: string, path: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') {
    csrf ??= (await call<{ csrf: string }>('GET', '/api/session')).csrf;
    headers['x-backburner-csrf'] = csrf;
  }
  const response = await fetch(path, { method, headers, credentials: 'same-origin' });
  const body = (await response.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!response.ok) throw new ApiError(body.error?.message ?? `HTTP ${response.status}`);
  return body;
}

const query = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
};

export const api = {
  session: () => call<{ csrf: string; version: string }>('GET', '/api/session'),
  task: (id: string) => call<TaskRow>('GET', `/api/tasks/${encodeURIComponent(id)}`),
  output: (id: string, params: Record<string, string | number | undefined>) =>
    call<OutputPage>('GET', `/api/tasks/${encodeURIComponent(id)}/output${query(params)}`),
  durations: () => call<{ series: DurationSeries[] }>('GET', '/api/durations'),
  cancel: (id: string) =>
    call<{ message: string; processes_ended: number }>('POST', `/api/tasks/${encodeURIComponent(id)}/cancel`),
  restart: (id: string) => call<TaskRow>('POST', `/api/tasks/${encodeURIComponent(id)}/restart`),
  remove: (id: string) => call<{ deleted: boolean }>('DELETE', `/api/tasks/${encodeURIComponent(id)}`),
  listEvents: (filters: Record<string, string | undefined>) =>
    new EventSource(`/api/events${query(filters)}`),
  taskEvents: (id: string, since: string) =>
    new EventSource(`/api/tasks/${encodeURIComponent(id)}/events${query({ since })}`),
};
