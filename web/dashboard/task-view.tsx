import { useEffect, useState } from 'preact/hooks';
import { exitCause, formatDuration, taskDuration } from '../shared/format.js';
import type { TaskRow } from '../shared/types.js';
import { api, ApiError } from './api.js';
import { FollowedOutput, GrepOutput } from './output-panel.js';

type Action = 'cancel' | 'restart' | 'delete';

const CONFIRM: Record<Action, string> = {
  cancel: 'Cancel this task? Its whole process tree is ended.',
  restart: 'Start this command again as a new task?',
  delete: 'Delete this task, its record and its log?',
};

const ACTIVE = new Set(['working', 'queued']);

/** One task: its record, its live output (or grep), and Cancel / Restart / Delete with confirmation. */
export function TaskView({
  taskId,
  now,
  onClose,
  onOpen,
}: {
  taskId: string;
  now: number;
  onClose: () => void;
  onOpen: (taskId: string) => void;
}) {
  const [task, setTask] = useState<TaskRow | undefined>();
  const [tab, setTab] = useState<'output' | 'grep'>('output');
  const [asking, setAsking] = useState<Action | undefined>();
  const [message, setMessage] = useState('');

  useEffect(() => {
    setTask(undefined);
    setMessage('');
    api
      .task(taskId)
      .then(setTask, (error: unknown) => setMessage(error instanceof Error ? error.message : String(error)));
    // The record follows the task through its own stream; the output panel opens its own.
    const source = api.taskEvents(taskId, '9007199254740991');
    source.addEventListener('task', (event) =>
      setTask(JSON.parse((event as MessageEvent<string>).data) as TaskRow),
    );
    return () => source.close();
  }, [taskId]);

  const act = async (action: Action): Promise<void> => {
    setAsking(undefined);
    try {
      if (action === 'cancel') setMessage((await api.cancel(taskId)).message);
      if (action === 'restart') {
        const started = await api.restart(taskId);
        onOpen(started.task_id);
      }
      if (action === 'delete') {
        await api.remove(taskId);
        onClose();
      }
    } catch (error) {
      setMessage(error instanceof ApiError ? error.message : String(error));
    }
  };

  if (task === undefined)
    return (
      <section class="task-view">{message === '' ? 'Loading…' : <p class="error">{message}</p>}</section>
    );
  const active = ACTIVE.has(task.status);
  const fields: [string, string | undefined][] = [
    ['status', task.status],
    ['exit', exitCause(task)],
    ['duration', formatDuration(taskDuration(task, now))],
    ['directory', task.cwd],
    ['worker', task.worker === undefined ? undefined : `${task.worker} (${task.host ?? '?'})`],
    ['tags', task.tags?.join(', ')],
    ['full log', task.full_log],
    ['queue', task.queue ?? 'default'],
    ['label', task.label],
    ['started', task.started_at === undefined ? undefined : new Date(task.started_at).toLocaleString()],
    ['ended', task.ended_at === undefined ? undefined : new Date(task.ended_at).toLocaleString()],
    ['attempt', task.attempts === undefined ? undefined : `${task.attempt ?? 0} of ${task.attempts}`],
    ['pid', task.pid === undefined ? undefined : String(task.pid)],
    ['summary', task.summary],
  ];
  return (
    <section class="task-view" data-task-id={task.task_id}>
      <header>
        <button type="button" class="link" onClick={onClose}>
          ← all tasks
        </button>
        <h2>
          <code>{task.command}</code>
        </h2>
        <span class={`status status-${task.status}`} data-testid="task-status">
          {task.status.replace('_', ' ')}
        </span>
      </header>
      <dl class="record">
        {fields
          .filter(([, value]) => value !== undefined && value !== '')
          .map(([name, value]) => (
            <>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </>
          ))}
      </dl>
      <div class="actions">
        <button type="button" class="danger" disabled={!active} onClick={() => setAsking('cancel')}>
          Cancel
        </button>
        <button type="button" onClick={() => setAsking('restart')}>
          Restart
        </button>
        <button type="button" class="danger" disabled={active} onClick={() => setAsking('delete')}>
          Delete
        </button>
        {message !== '' && (
          <span class="message" data-testid="action-message">
            {message}
          </span>
        )}
      </div>
      {asking !== undefined && (
        <div class="confirm" role="alertdialog" aria-label={`confirm ${asking}`}>
          <p>{CONFIRM[asking]}</p>
          <button type="button" class="danger" onClick={() => void act(asking)}>
            Yes, {asking}
          </button>
          <button type="button" onClick={() => setAsking(undefined)}>
            No
          </button>
        </div>
      )}
      <nav class="tabs">
        <button type="button" class={tab === 'output' ? 'on' : ''} onClick={() => setTab('output')}>
          output
        </button>
        <button type="button" class={tab === 'grep' ? 'on' : ''} onClick={() => setTab('grep')}>
          grep
        </button>
      </nav>
      {tab === 'output' ? (
        <FollowedOutput taskId={task.task_id} running={active} />
      ) : (
        <GrepOutput taskId={task.task_id} />
      )}
    </section>
  );
}
