import { Worker } from 'node:worker_threads';
import { BackburnerError } from '../shared/errors.js';
import type { LogLayout } from '../store/log-cap.js';
import type { MatchScan } from './line-match.js';
import type { ReadJob } from './read-thread.js';
import type { OutputView, ReadRequest } from './reader.js';

const THREAD = new URL('./read-thread.js', import.meta.url);
/** Workers kept warm between jobs (each keeps its own line index of the logs it read). */
const KEEP_IDLE = 2;
const idle: Worker[] = [];

/**
 * Runs a job that applies an agent's regular expression in a worker thread, with a time budget. Such a
 * pattern is JavaScript's backtracking kind, which one bad pattern (`(a+)+$`) can keep busy for ages;
 * off the event loop it stalls nobody else, and past the budget its worker is terminated and the caller
 * told why.
 */
function offThread<T>(job: ReadJob, budgetMs: number): Promise<T> {
  const worker = idle.pop() ?? new Worker(THREAD);
  worker.ref();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (message: { ok: true; value: T } | { ok: false; error: string }): void => {
      done();
      if (idle.length < KEEP_IDLE) {
        worker.unref(); // an idle worker must not keep a CLI alive
        idle.push(worker);
      } else void worker.terminate();
      if (message.ok) resolve(message.value);
      else reject(new Error(message.error));
    };
    const onError = (error: Error): void => {
      done();
      void worker.terminate();
      reject(error);
    };
    const timer = setTimeout(() => {
      done();
      void worker.terminate();
      const what = job.kind === 'grep' ? 'grep' : 'the pattern';
      reject(
        new BackburnerError(
          'INVALID_ARGUMENT',
          `${what} ${JSON.stringify(job.pattern.source)} took more than ${budgetMs / 1000} s over this log and was stopped; nested quantifiers such as (a+)+ can take exponential time: simplify the pattern${job.kind === 'grep' ? ', or narrow the read with since or tail_lines' : ''}`,
        ),
      );
    }, budgetMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(job);
  });
}

/** `readOutput` with a grep, in a worker thread within `budgetMs`. */
export function grepOffThread(
  path: string,
  layout: LogLayout,
  request: ReadRequest & { grep: RegExp },
  budgetMs: number,
): Promise<OutputView> {
  const { grep, ...rest } = request;
  const pattern = { source: grep.source, flags: grep.flags };
  return offThread<OutputView>({ kind: 'grep', path, layout, request: rest, pattern }, budgetMs);
}

/** `matchNewLines` (the first new line after `from` that matches), in a worker thread within `budgetMs`. */
export function matchOffThread(
  path: string,
  layout: LogLayout,
  from: number,
  pattern: RegExp,
  final: boolean,
  budgetMs: number,
): Promise<MatchScan> {
  const source = { source: pattern.source, flags: pattern.flags };
  return offThread<MatchScan>({ kind: 'match', path, layout, from, final, pattern: source }, budgetMs);
}
