import { Fragment, type ComponentChildren } from 'preact';
import { exitCause, formatDuration, progressPercent, taskDuration } from './format.js';
import type { TaskRow } from './types.js';

interface Props {
  tasks: TaskRow[];
  now: number;
  selected?: string;
  onSelect?: (taskId: string) => void;
  /** Columns a narrow view (the MCP App in a chat) leaves out. */
  compact?: boolean;
  /** A last cell of buttons for a task. */
  actions?: (task: TaskRow) => ComponentChildren;
  /** A row under a task's, across the table (its output, a confirmation), or nothing. */
  detail?: (task: TaskRow) => ComponentChildren;
}

function ProgressCell({ task }: { task: TaskRow }) {
  const percent = progressPercent(task);
  if (percent === undefined && task.eta_seconds === undefined)
    return <span class="muted">{task.progress?.message ?? ''}</span>;
  return (
    <span class="progress-cell">
      {percent !== undefined && (
        <span
          class="bar"
          role="progressbar"
          aria-valuenow={Math.round(percent)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <span class="fill" style={{ width: `${Math.min(100, Math.max(0, percent))}%` }} />
        </span>
      )}
      {percent !== undefined && <span class="percent">{Math.floor(percent)}%</span>}
      {task.eta_seconds !== undefined && <span class="eta">ETA {formatDuration(task.eta_seconds)}</span>}
    </span>
  );
}

/** The task list both views show: status, command, queue, duration, progress and ETA, exit cause. */
export function TaskTable({ tasks, now, selected, onSelect, compact = false, actions, detail }: Props) {
  if (tasks.length === 0) return <p class="empty">No tasks match.</p>;
  return (
    <table class="tasks">
      <thead>
        <tr>
          <th>status</th>
          <th>command</th>
          {!compact && <th>queue</th>}
          {!compact && <th>label</th>}
          <th>duration</th>
          <th>progress</th>
          <th>exit</th>
          {actions !== undefined && <th />}
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => {
          const below = detail?.(task);
          return (
            <Fragment key={task.task_id}>
              <tr
                data-task-id={task.task_id}
                data-status={task.status}
                class={task.task_id === selected ? 'selected' : ''}
                onClick={() => onSelect?.(task.task_id)}
              >
                <td>
                  <span class={`status status-${task.status}`}>{task.status.replace('_', ' ')}</span>
                </td>
                <td class="command" title={`${task.command}\n${task.cwd}`}>
                  <code>{task.command}</code>
                  <span class="id">
                    {task.task_id}
                    {task.worker === undefined ? '' : ` · on ${task.worker}`}
                  </span>
                </td>
                {!compact && <td>{task.queue ?? 'default'}</td>}
                {!compact && <td>{task.label ?? ''}</td>}
                <td class="duration">{formatDuration(taskDuration(task, now))}</td>
                <td>
                  <ProgressCell task={task} />
                </td>
                <td class="cause">{exitCause(task)}</td>
                {actions !== undefined && <td class="row-actions">{actions(task)}</td>}
              </tr>
              {below !== undefined && below !== null && below !== false && (
                <tr class="detail" data-detail-of={task.task_id}>
                  <td colSpan={(compact ? 5 : 7) + (actions === undefined ? 0 : 1)}>{below}</td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
