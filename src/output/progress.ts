/** Progress as read from a task's latest output. */
export interface Progress {
  percent?: number;
  current?: number;
  total?: number;
  message?: string;
}

const MAX_MESSAGE = 200;
const round1 = (value: number): number => Math.round(value * 10) / 10;

/** Named counts in a test runner's summary: "2 failed, 416 passed, 3 skipped". */
function counts(line: string, names: string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const name of names) {
    const match = new RegExp(`(\\d+)\\s+${name}\\b`).exec(line);
    if (match !== null) found[name] = Number(match[1]);
  }
  return found;
}

const sum = (values: Record<string, number>, names: string[]): number =>
  names.reduce((total, name) => total + (values[name] ?? 0), 0);

type LineParser = (line: string) => Omit<Progress, 'message'> | undefined;

/** The recognisers, most specific first. Each returns undefined when the line is not its kind. */
const PARSERS: LineParser[] = [
  // tqdm: " 45%|████▌     | 45/100 [00:02<00:03, 20.0it/s]"
  (line) => {
    const match = /(\d{1,3}(?:\.\d+)?)%\|[^|]*\|\s*(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)/.exec(line);
    if (match === null) return undefined;
    return { percent: Number(match[1]), current: Number(match[2]), total: Number(match[3]) };
  },
  // jest / vitest: "Tests:       1 failed, 15 passed, 16 total" and "Tests  16 passed (16)"
  (line) => {
    const jest = /^\s*Tests:\s+(.*\d+ total)/.exec(line);
    if (jest !== null) {
      const found = counts(jest[1] ?? '', ['failed', 'passed', 'skipped', 'todo', 'total']);
      const total = found.total;
      if (total === undefined || total === 0) return undefined;
      const current = sum(found, ['failed', 'passed', 'skipped', 'todo']);
      return { current, total, percent: round1((current / total) * 100) };
    }
    const vitest = /^\s*Tests\s+(.*)\((\d+)\)\s*$/.exec(line);
    if (vitest !== null) {
      const total = Number(vitest[2]);
      const current = sum(counts(vitest[1] ?? '', ['failed', 'passed', 'skipped', 'todo']), [
        'failed',
        'passed',
        'skipped',
        'todo',
      ]);
      if (total === 0 || current > total) return undefined;
      return { current, total, percent: round1((current / total) * 100) };
    }
    return undefined;
  },
  // cargo: "test result: ok. 15 passed; 0 failed; 0 ignored; ..."
  (line) => {
    if (!/^test result: /.test(line)) return undefined;
    const found = counts(line, ['passed', 'failed', 'ignored']);
    const current = sum(found, ['passed', 'failed', 'ignored']);
    return { current, total: current, percent: 100 };
  },
  // pytest summary: "==== 2 failed, 416 passed, 3 skipped in 3.20s ===="
  (line) => {
    if (!/^=+ .* in [\d.]+s/.test(line)) return undefined;
    const found = counts(line, ['failed', 'passed', 'errors?', 'skipped', 'xfailed', 'xpassed']);
    if (Object.keys(found).length === 0) return undefined;
    return { current: sum(found, ['failed', 'passed', 'errors?']) };
  },
  // a percentage: "45%", "12.5 %", pytest's "[ 45%]"
  (line) => {
    const matches = [...line.matchAll(/(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%/g)];
    const last = matches[matches.length - 1];
    if (last === undefined) return undefined;
    const percent = Number(last[1]);
    return percent <= 100 ? { percent } : undefined;
  },
  // counters: "[3/10]", "3/10", "3 of 10", "Step 3/10" — not dates, versions or paths
  (line) => {
    const matches = [...line.matchAll(/(?<![\w./-])(\d+)\s*(?:\/|\bof\b)\s*(\d+)(?![\w./-])/g)];
    for (const match of matches.reverse()) {
      const current = Number(match[1]);
      const total = Number(match[2]);
      if (total > 0 && current <= total && !(String(match[1]).length === 4 && total <= 12)) {
        return { current, total, percent: round1((current / total) * 100) };
      }
    }
    return undefined;
  },
];

/**
 * The most recent progress indication in a task's latest output (already cleaned), scanning from the
 * last line up. Precision over recall: a false "100%" is worse than none.
 */
export function parseProgress(text: string): Progress | undefined {
  const lines = text.split('\n');
  let total: number | undefined;
  // Totals announced once at the start of a run: "collected 420 items" (pytest), "running 15 tests" (cargo).
  for (const line of lines) {
    const announced = /\bcollected (\d+) items?\b|^running (\d+) tests?\b/.exec(line);
    if (announced !== null) total = Number(announced[1] ?? announced[2]);
  }
  // go test -v: no totals, but each finished test prints "--- PASS: TestX" (or FAIL, SKIP).
  const goResults = lines.filter((line) => /^\s*--- (PASS|FAIL|SKIP): /.test(line)).length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    if (goResults > 0 && /^(=== (RUN|PAUSE|CONT)|--- (PASS|FAIL|SKIP):)/.test(line)) {
      return { current: goResults, message: line.slice(0, MAX_MESSAGE) };
    }
    for (const parse of PARSERS) {
      const found = parse(line);
      if (found === undefined) continue;
      const progress: Progress = { ...found };
      if (progress.total === undefined && total !== undefined) {
        progress.total = total;
        if (progress.current !== undefined && progress.percent === undefined && progress.current <= total) {
          progress.percent = round1((progress.current / total) * 100);
        }
      }
      progress.message = line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
      return progress;
    }
  }
  return undefined;
}
