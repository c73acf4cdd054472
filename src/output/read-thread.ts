import { parentPort } from 'node:worker_threads';
import type { LogLayout } from '../store/log-cap.js';
import { matchNewLines } from './line-match.js';
import { readOutput, type ReadRequest } from './reader.js';

/** A regular expression as it crosses to the worker: a RegExp does not survive structured cloning. */
export interface PatternSource {
  source: string;
  flags: string;
}

/** Work that runs an agent's regular expression over a log, done off the event loop. */
export type ReadJob =
  | {
      kind: 'grep';
      path: string;
      layout: LogLayout;
      request: Omit<ReadRequest, 'grep'>;
      pattern: PatternSource;
    }
  | { kind: 'match'; path: string; layout: LogLayout; from: number; final: boolean; pattern: PatternSource };

async function run(job: ReadJob): Promise<unknown> {
  const pattern = new RegExp(job.pattern.source, job.pattern.flags);
  if (job.kind === 'grep') return readOutput(job.path, job.layout, { ...job.request, grep: pattern });
  return matchNewLines(job.path, job.layout, job.from, pattern, job.final);
}

// The worker side of `off-thread.ts`: one job at a time, with its line-count caches kept warm.
parentPort?.on('message', (job: ReadJob) => {
  run(job)
    .then((value) => parentPort?.postMessage({ ok: true, value }))
    .catch((error: unknown) => parentPort?.postMessage({ ok: false, error: (error as Error).message }));
});
