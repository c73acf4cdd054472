import type { TaskInsight } from '../output/insight.js';
import { formatSeconds } from '../output/duration.js';

const FULL = '█';
const EMPTY = '░';

/**
 * A task's progress for a person: on a terminal a bar (`████░░░░ 52%`), piped plain text (`52%`); then
 * the ETA when one is known, or the n/m counts when there is no percentage. Empty when nothing is known.
 */
export function progressText(
  insight: Pick<TaskInsight, 'progress' | 'eta_seconds'>,
  tty: boolean,
  width = 10,
): string {
  const { progress } = insight;
  const parts: string[] = [];
  const percent =
    progress?.percent ??
    (progress?.current !== undefined && progress.total !== undefined && progress.total > 0
      ? (progress.current / progress.total) * 100
      : undefined);
  if (percent !== undefined) {
    const clamped = Math.max(0, Math.min(100, percent));
    const filled = Math.round((clamped / 100) * width);
    const label = `${Math.floor(clamped)}%`;
    parts.push(tty ? `${FULL.repeat(filled)}${EMPTY.repeat(width - filled)} ${label}` : label);
  } else if (progress?.current !== undefined) {
    parts.push(
      progress.total === undefined ? `${progress.current}` : `${progress.current}/${progress.total}`,
    );
  }
  if (insight.eta_seconds !== undefined) parts.push(`eta ${formatSeconds(insight.eta_seconds)}`);
  return parts.join(' ');
}
