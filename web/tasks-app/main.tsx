import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { App, applyDocumentTheme, applyHostStyleVariables } from '@modelcontextprotocol/ext-apps';
import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import { TaskTable } from '../shared/task-table.js';
import type { TaskRow } from '../shared/types.js';
import { cleanLine } from '../shared/format.js';
import { callTool, scopeOfResult, type Scope, type ToolAnswer } from './tool-calls.js';
import '../shared/base.css';
import '../shared/task-table.css';
import './style.css';

/** How often the view looks again (the ext-apps polling pattern); an ended named set stops it. */
const POLL_MS = 2000;
const OUTPUT_LINES = 40;

const app = new App({ name: 'backburner tasks', version: '1' }, {}, { autoResize: true });
/** The arguments of the call the view was opened for (sent before its result). */
let toolInput: Record<string, unknown> = {};

function applyHostLook(context: McpUiHostContext | undefined): void {
  if (context?.theme !== undefined) applyDocumentTheme(context.theme);
  if (context?.styles?.variables !== undefined) applyHostStyleVariables(context.styles.variables);
}

const isLive = (task: TaskRow): boolean => task.status === 'working' || task.status === 'queued';

function Output({ task, tick }: { task: TaskRow; tick: number }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const live = isLive(task);
  useEffect(() => {
    let current = true;
    callTool(app, 'task_result', { task_id: task.task_id, tail: OUTPUT_LINES }).then(
      (answer) => {
        if (!current) return;
        const output = answer.structured?.output;
        setText(typeof output === 'string' ? output : answer.text);
        setError(answer.error);
      },
      (failure: Error) => current && setError(failure.message),
    );
    return () => {
      current = false;
    };
    // A running task's output is read again on each refresh; an ended one's once.
  }, [task.task_id, live ? tick : -1]);
  if (error !== undefined) return <p class="error">{error}</p>;
  if (text === undefined) return <p class="muted">reading output…</p>;
  return (
    <pre class="log" data-testid="output">
      {text === '' ? '(no output yet)' : text.split('\n').map(cleanLine).join('\n')}
    </pre>
  );
}

function View() {
  const [scope, setScope] = useState<Scope | undefined>(undefined);
  const [tasks, setTasks] = useState<TaskRow[] | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);

  useEffect(() => {
    app.ontoolinput = ({ arguments: args }) => {
      toolInput = args ?? {};
    };
    app.ontoolresult = (result) => {
      const answer = scopeOfResult(result, toolInput);
      setScope(answer.scope);
      if (answer.tasks !== undefined) setTasks(answer.tasks);
      if (answer.problem !== undefined) setProblem(answer.problem);
    };
    app.onhostcontextchanged = (context) => applyHostLook(context);
    app.connect().then(
      () => applyHostLook(app.getHostContext()),
      (error: Error) => setProblem(`could not reach the host: ${error.message}`),
    );
  }, []);

  const allEnded = scope?.taskIds !== undefined && tasks !== undefined && !tasks.some(isLive);
  useEffect(() => {
    if (scope === undefined || allEnded) return;
    let stopped = false;
    const refresh = async (): Promise<void> => {
      const answer: ToolAnswer = await callTool(app, 'poll_tasks_view', scope.pollArguments).catch(
        (error: Error) => ({ error: error.message, text: '' }),
      );
      if (stopped) return;
      if (answer.error !== undefined) setProblem(`could not refresh: ${answer.error}`);
      else {
        setProblem(undefined);
        setTasks((answer.structured?.tasks as TaskRow[] | undefined) ?? []);
      }
      setTick((n) => n + 1);
      setNow(Date.now());
    };
    void refresh();
    const timer = setInterval(() => void refresh(), POLL_MS);
    app.onteardown = () => {
      stopped = true;
      clearInterval(timer);
      return {};
    };
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [scope, allEnded]);

  const cancel = async (task: TaskRow): Promise<void> => {
    setConfirming(undefined);
    const answer: ToolAnswer = await callTool(app, 'cancel_task', { task_id: task.task_id }).catch(
      (error: Error) => ({ error: error.message, text: '' }),
    );
    const said = answer.structured?.message;
    setMessage(answer.error ?? (typeof said === 'string' ? said : answer.text));
    setScope((known) => (known === undefined ? known : { ...known })); // look again now
  };

  return (
    <main class="tasks-app">
      <header>
        <strong>backburner</strong>
        <span class="muted">
          {tasks === undefined
            ? 'waiting for tasks…'
            : `${tasks.length} task${tasks.length === 1 ? '' : 's'}${allEnded ? ', all ended' : ', live'}`}
        </span>
      </header>
      {problem !== undefined && <p class="error">{problem}</p>}
      {message !== undefined && (
        <p class="message" data-testid="action-message">
          {message}
        </p>
      )}
      {tasks !== undefined && (
        <TaskTable
          tasks={tasks}
          now={now}
          compact
          actions={(task) => (
            <span class="actions">
              <button
                type="button"
                class="link"
                aria-expanded={open === task.task_id}
                onClick={() => setOpen(open === task.task_id ? undefined : task.task_id)}
              >
                {open === task.task_id ? 'Hide output' : 'Show output'}
              </button>
              {isLive(task) && (
                <button type="button" class="link danger" onClick={() => setConfirming(task.task_id)}>
                  Cancel
                </button>
              )}
            </span>
          )}
          detail={(task) => {
            if (confirming === task.task_id)
              return (
                <div class="confirm" role="alertdialog" aria-label="Confirm cancel">
                  <p>Cancel this task and end its processes?</p>
                  <button type="button" class="danger" onClick={() => void cancel(task)}>
                    Yes, cancel
                  </button>
                  <button type="button" onClick={() => setConfirming(undefined)}>
                    No
                  </button>
                </div>
              );
            if (open === task.task_id) return <Output task={task} tick={tick} />;
            return undefined;
          }}
        />
      )}
    </main>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<View />, root);
