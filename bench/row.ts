/** One row of the benchmark's results, as `bench/run.ts` writes it and `bench/report.ts` reads it. */
export interface Row {
  scenario: string;
  measured: string;
  value: number;
  unit: string;
  /** A figure measured in the same run to compare with; rows without one are absolute figures. */
  baseline?: number;
  ratio?: number;
  spread?: string;
  target: string;
  /** True only if every sample meets the target, not just the median. */
  met: boolean;
  note?: string;
}
