import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { TaskTable } from '../shared/task-table.js';
import type { QueueRow, TaskRow } from '../shared/types.js';
import { api, type TaskList } from './api.js';
import { DurationsChart } from './durations-chart.js';
import { TaskView } from './task-view.js';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import '../shared/task-table.css';
import './style.css';

const STATUSES = ['working', 'queued', 'completed', 'failed', 'cancelled', 'timed_out', 'interrupted'];

const taskFromHash = (): string | undefined => /^#\/tasks\/([0-9a-f]+)$/.exec(location.hash)?.[1];

function Queues({ queues }: { queues: QueueRow[] }) {
  const shown = queues.filter(
    (queue) => queue.running + queue.waiting > 0 || queue.name !== 'default' || queues.length > 1,
  );
  if (shown.length === 0) return null;
  return (
    <section class="queues" aria-label="queues">
      {shown.map((queue) => (
        <div class="queue" data-queue={queue.name}>
          <strong>{queue.name}</strong>
          <span>
            {queue.running}/{queue.max_parallel} running
          </span>
          <span>{queue.waiting} waiting</span>
          {queue.paused && <span class="paused">paused</span>}
        </div>
      ))}
    </section>
  );
}

function App() {
  const [status, setStatus] = useState('');
  const [queue, setQueue] = useState('');
  const [label, setLabel] = useState('');
  const [list, setList] = useState<TaskList>({ tasks: [], queues: [] });
  const [live, setLive] = useState(false);
  const [problem, setProblem] = useState('');
  const [now, setNow] = useState(Date.now());
  const [selected, setSelected] = useState(taskFromHash());
  const [version, setVersion] = useState('');
  const ended = useMemo(() => list.tasks.filter((task) => task.ended_at !== undefined).length, [list]);

  useEffect(() => {
    api.session().then(
      (session) => setVersion(session.version),
      () => undefined,
    );
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const onHash = (): void => setSelected(taskFromHash());
    addEventListener('hashchange', onHash);
    return () => {
      clearInterval(tick);
      removeEventListener('hashchange', onHash);
    };
  }, []);

  useEffect(() => {
    const source = api.listEvents({ status, queue, label });
    source.addEventListener('tasks', (event) => {
      setList(JSON.parse((event as MessageEvent<string>).data) as TaskList);
      setLive(true);
      setProblem('');
    });
    source.addEventListener('problem', (event) =>
      setProblem((JSON.parse((event as MessageEvent<string>).data) as { message: string }).message),
    );
    source.onerror = () => setLive(false);
    return () => source.close();
  }, [status, queue, label]);

  const open = (taskId: string): void => {
    location.hash = `#/tasks/${taskId}`;
  };
  const close = (): void => {
    history.pushState(null, '', location.pathname);
    setSelected(undefined);
  };
  const queueNames = [
    ...new Set([
      ...list.queues.map((one) => one.name),
      ...list.tasks.map((task: TaskRow) => task.queue ?? 'default'),
    ]),
  ];

  return (
    <>
      <header class="top">
        <h1>backburner</h1>
        <span class={live ? 'live on' : 'live'} data-testid="live">
          {live ? 'live' : 'reconnecting…'}
        </span>
        <span class="muted">{version}</span>
      </header>
      {problem !== '' && <p class="error">{problem}</p>}
      {selected !== undefined ? (
        <TaskView taskId={selected} now={now} onClose={close} onOpen={open} />
      ) : (
        <main>
          <Queues queues={list.queues} />
          <form class="filters" onSubmit={(event) => event.preventDefault()}>
            <label>
              status
              <select name="status" value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
                <option value="">any</option>
                {STATUSES.map((one) => (
                  <option value={one}>{one.replace('_', ' ')}</option>
                ))}
              </select>
            </label>
            <label>
              queue
              <select name="queue" value={queue} onChange={(event) => setQueue(event.currentTarget.value)}>
                <option value="">any</option>
                {queueNames.map((one) => (
                  <option value={one}>{one}</option>
                ))}
              </select>
            </label>
            <label>
              label
              <input name="label" value={label} onChange={(event) => setLabel(event.currentTarget.value)} />
            </label>
          </form>
          <TaskTable tasks={list.tasks} now={now} onSelect={open} />
          {list.more === true && (
            <p class="muted">Only the newest {list.tasks.length} are shown; filter to find older ones.</p>
          )}
          <DurationsChart refresh={ended} />
        </main>
      )}
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
