/**
 * Everything backburner keeps in Redis, by name. BullMQ keeps its own keys under `bull:<queue>:…`;
 * ours are under `bb:`. One Redis can serve several teams only through separate databases or servers.
 */
export const KEYS = {
  /** A remote task's record (hash: `status`, `record` as JSON, `relayed`: how far its output is in Redis). */
  task: (taskId: string) => `bb:task:${taskId}`,
  /** A remote task's output: a capped stream of chunks (`s` start offset, `d` bytes). */
  output: (taskId: string) => `bb:out:${taskId}`,
  /** The remote tasks, newest first (sorted set scored by creation time). */
  tasks: 'bb:tasks',
  /** A worker's presence (a JSON description, expiring when the worker stops renewing it). */
  worker: (name: string) => `bb:worker:${name}`,
  workers: 'bb:workers',
  /** The tasks a worker started and has not reported ended (a set), for adoption after a restart. */
  workerTasks: (name: string) => `bb:worker-tasks:${name}`,
  /** Channels: cancel requests to workers, their replies, and task changes for waiters. */
  cancelChannel: 'bb:cancel',
  replyChannel: (requestId: string) => `bb:reply:${requestId}`,
  eventsChannel: 'bb:events',
};

/** A task's BullMQ job id: BullMQ refuses ids that look like integers, which a hex id can (12345678). */
export const jobIdOf = (taskId: string): string => `task-${taskId}`;

/** Tags are short words; a worker may have a few (each subset of them is a BullMQ queue it takes from). */
export const MAX_WORKER_TAGS = 4;
const TAG = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
export const isTag = (text: string): boolean => TAG.test(text);

/** The BullMQ queue a task goes to: its backburner queue, and the tags a worker must have. */
export function bullQueueFor(queue: string, tags: readonly string[]): string {
  const wanted = [...new Set(tags)].sort();
  return wanted.length === 0 ? `bb.${queue}` : `bb.${queue}@${wanted.join('+')}`;
}

/** The BullMQ queues a worker takes from: for each queue, every subset of its tags (the empty one too). */
export function bullQueuesServedBy(queues: readonly string[], tags: readonly string[]): string[] {
  const sorted = [...new Set(tags)].sort();
  const subsets: string[][] = [[]];
  for (const tag of sorted) for (const subset of [...subsets]) subsets.push([...subset, tag]);
  return queues.flatMap((queue) => subsets.map((subset) => bullQueueFor(queue, subset)));
}
