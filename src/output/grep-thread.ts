import { parentPort } from 'node:worker_threads';
import type { LogLayout } from '../store/log-cap.js';
import { readOutput, type ReadRequest } from './reader.js';

/** A grep request as it crosses to the worker: a RegExp does not survive structured cloning. */
export interface GrepJob {
  path: string;
  layout: LogLayout;
  request: Omit<ReadRequest, 'grep'>;
  pattern: { source: string; flags: string };
}

// The worker side of `grepOffThread`: runs one grep at a time, and keeps its line-count caches warm.
parentPort?.on('message', (job: GrepJob) => {
  readOutput(job.path, job.layout, {
    ...job.request,
    grep: new RegExp(job.pattern.source, job.pattern.flags),
  })
    .then((view) => parentPort?.postMessage({ ok: true, view }))
    .catch((error: unknown) => parentPort?.postMessage({ ok: false, error: (error as Error).message }));
});
