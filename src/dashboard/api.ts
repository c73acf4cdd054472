import type { Backburner } from '../client/backburner.js';
import type { TaskActivity } from '../client/task-activity.js';
import { invalidArgument, quote } from '../shared/errors.js';
import { VERSION } from '../version.js';
import { taskListStream, taskStream } from './live.js';
import { errorJson, failure, json } from './responses.js';
import type { DashboardSession } from './sessions.js';
import { taskListSnapshot } from '../client/task-list-snapshot.js';
import { durationSeries, filtersFrom } from './snapshot.js';

export interface ApiContext {
  backburner: Backburner;
  activity: TaskActivity;
}

/** A number from the query, or undefined when absent; a clear error naming a bad one. */
function queryNumber(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value)) throw invalidArgument(`${name} must be a whole number, got ${quote(text)}`);
  return value;
}

const queryText = (query: URLSearchParams, name: string): string | undefined => {
  const text = query.get(name);
  return text === null || text === '' ? undefined : text;
};

/** The output reads a task view makes: the tools' head, tail, since and grep, and `before` to page back. */
async function readOutput(backburner: Backburner, id: string, query: URLSearchParams): Promise<Response> {
  const result = await backburner.result(id, {
    tail_lines: queryNumber(query, 'tail'),
    head_lines: queryNumber(query, 'head'),
    since: queryText(query, 'since'),
    before: query.get('before') === 'end' ? String(Number.MAX_SAFE_INTEGER) : queryText(query, 'before'),
    grep: queryText(query, 'grep'),
    context_lines: queryNumber(query, 'context'),
    max_matches: queryNumber(query, 'max_matches'),
    max_bytes: queryNumber(query, 'max_bytes'),
  });
  const {
    output,
    output_total_lines,
    next_cursor,
    start_cursor,
    truncated,
    match_count,
    dropped_bytes,
    missed_bytes,
  } = result;
  return json({
    output,
    output_total_lines,
    next_cursor,
    start_cursor,
    truncated,
    match_count,
    dropped_bytes,
    missed_bytes,
  });
}

/**
 * The dashboard's API, for a logged-in session: reads are GETs; changes are POST or DELETE (the caller
 * has checked their CSRF defence). Every answer is JSON or an event stream.
 */
export async function serveApi(
  request: Request,
  path: string,
  session: DashboardSession,
  context: ApiContext,
): Promise<Response> {
  const { backburner, activity } = context;
  const query = new URL(request.url).searchParams;
  const method = request.method;
  try {
    if (path === '/api/session' && method === 'GET') return json({ csrf: session.csrf, version: VERSION });
    if (path === '/api/tasks' && method === 'GET')
      return json(await taskListSnapshot(backburner, filtersFrom(query)));
    if (path === '/api/events' && method === 'GET') {
      const filters = filtersFrom(query);
      await taskListSnapshot(backburner, filters); // bad filters are a 400 here, not a stream of problems
      return taskListStream(backburner, activity, filters, request.signal);
    }
    if (path === '/api/durations' && method === 'GET')
      return json({ series: await durationSeries(backburner) });
    const match = /^\/api\/tasks\/([^/]+)(\/[a-z]+)?$/.exec(path);
    if (match?.[1] !== undefined) {
      const id = decodeURIComponent(match[1]);
      const action = match[2] ?? '';
      if (action === '' && method === 'GET') return json(await backburner.status(id));
      if (action === '' && method === 'DELETE') return json(await backburner.delete(id));
      if (action === '/output' && method === 'GET') return await readOutput(backburner, id, query);
      if (action === '/events' && method === 'GET') {
        const task = await backburner.status(id);
        const since = queryText(query, 'since') ?? '0';
        if (!/^\d{1,16}$/.test(since))
          throw invalidArgument(`since must be an output cursor, got ${quote(since)}`);
        return taskStream(backburner, activity, task.task_id, Number(since), request.signal);
      }
      if (action === '/cancel' && method === 'POST') return json(await backburner.cancel(id));
      if (action === '/restart' && method === 'POST') return json(await backburner.restart(id));
    }
    return errorJson(404, 'NOT_FOUND', `no ${method} ${path} in the dashboard's API`);
  } catch (error) {
    return failure(error);
  }
}
