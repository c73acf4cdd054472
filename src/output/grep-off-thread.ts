import { Worker } from 'node:worker_threads';
import { BackburnerError } from '../shared/errors.js';
import type { LogLayout } from '../store/log-cap.js';
import type { GrepJob } from './grep-thread.js';
import type { OutputView, ReadRequest } from './reader.js';

const THREAD = new URL('./grep-thread.js', import.meta.url);
/** Workers kept warm between greps (each keeps its own line index of the logs it read). */
const KEEP_IDLE = 2;
const idle: Worker[] = [];

/**
 * Runs a grep in a worker thread with a time budget. An agent's regular expression is JavaScript's
 * backtracking kind, which one bad pattern (`(a+)+$`) can keep busy for ages; off the event loop it
 * stalls nobody else, and past the budget its worker is terminated and the caller told why.
 */
export function grepOffThread(
  path: string,
  layout: LogLayout,
  request: ReadRequest & { grep: RegExp },
  budgetMs: number,
): Promise<OutputView> {
  const worker = idle.pop() ?? new Worker(THREAD);
  worker.ref();
  const { grep, ...rest } = request;
  const job: GrepJob = { path, layout, request: rest, pattern: { source: grep.source, flags: grep.flags } };
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (message: { ok: true; view: OutputView } | { ok: false; error: string }): void => {
      done();
      if (idle.length < KEEP_IDLE) {
        worker.unref(); // an idle worker must not keep a CLI alive
        idle.push(worker);
      } else void worker.terminate();
      if (message.ok) resolve(message.view);
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
      reject(
        new BackburnerError(
          'INVALID_ARGUMENT',
          `grep ${JSON.stringify(grep.source)} took more than ${budgetMs / 1000} s over this log and was stopped; nested quantifiers such as (a+)+ can take exponential time: simplify the pattern, or narrow the read with since or tail_lines`,
        ),
      );
    }, budgetMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(job);
  });
}
