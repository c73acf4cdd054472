import { recentLogText } from '../store/logs.js';
import { isTerminal, type TaskRecord } from '../shared/task.js';
import { cleanOutput } from './clean.js';
import { parseProgress, type Progress } from './progress.js';
import { summarize } from './summary.js';

/** What an agent wants to know at a glance, beyond the record's fields. */
export interface TaskInsight {
  summary: string;
  progress?: Progress;
  /** Median duration of the latest completed runs of the same command in the same directory. */
  typical_duration_seconds?: number;
  /** Seconds left, from that history, or from the progress when there is no history. */
  eta_seconds?: number;
}

const RECENT_BYTES = 16 * 1024;
const RECENT_LINES = 50;

/** The last few KiB of a log, cleaned: enough for progress and a last line, whatever the log's size. */
export function recentOutput(path: string): string[] {
  const raw = recentLogText(path, RECENT_BYTES);
  if (raw === '') return [];
  const text = cleanOutput(raw);
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  if (Buffer.byteLength(raw) >= RECENT_BYTES) lines.shift(); // the first line is probably cut
  return lines.slice(-RECENT_LINES);
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const round = (seconds: number): number => Math.round(seconds * 10) / 10;

export function insight(task: TaskRecord, logFile: string, history: number[]): TaskInsight {
  const recent = recentOutput(logFile);
  const lastLine = [...recent].reverse().find((line) => line.trim() !== '');
  const result: TaskInsight = { summary: summarize(task, lastLine?.trim()) };
  if (isTerminal(task.status)) return result;
  const progress = parseProgress(recent.join('\n'));
  if (progress !== undefined) result.progress = progress;
  const typical = median(history);
  const elapsed = task.running_for_seconds ?? 0;
  if (typical !== undefined) {
    result.typical_duration_seconds = round(typical);
    result.eta_seconds = round(Math.max(0, typical - elapsed));
  } else if (
    progress?.percent !== undefined &&
    progress.percent > 0 &&
    progress.percent < 100 &&
    elapsed > 0
  ) {
    result.eta_seconds = round((elapsed * (100 - progress.percent)) / progress.percent);
  }
  return result;
}
