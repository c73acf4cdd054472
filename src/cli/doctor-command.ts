import { runDoctor } from '../doctor/doctor.js';
import { paint } from './format.js';

const MARKS = { ok: ['green', '✔'], warn: ['yellow', '!'], fail: ['red', '✘'] } as const;

/** `backburner doctor`: every check with its result and, for a problem, the fix; exit 1 on a failure. */
export async function doctorCommand(json: boolean): Promise<number> {
  const report = await runDoctor();
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const check of report.checks) {
      const [color, mark] = MARKS[check.status];
      process.stdout.write(`${paint(color, mark)} ${check.name}: ${check.detail}\n`);
      if (check.fix !== undefined) process.stdout.write(`  ${paint('gray', `fix: ${check.fix}`)}\n`);
    }
    process.stdout.write(
      report.ok ? `${paint('green', 'no problem found')}\n` : `${paint('red', 'problems found')}\n`,
    );
  }
  return report.ok ? 0 : 1;
}
