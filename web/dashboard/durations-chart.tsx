import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, type DurationSeries } from './api.js';

const COLOURS = ['#2f6fdf', '#d9822b', '#2e9e5b', '#b8448f', '#7a5cd6', '#8a8a2e'];

/**
 * Durations of the commands run most often, one line per command over time: a quick look at whether a
 * build or a test suite is getting slower. Shown only where a command ran at least twice.
 */
export function DurationsChart({ refresh }: { refresh: number }) {
  const [series, setSeries] = useState<DurationSeries[]>([]);
  const holder = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api.durations().then(
      (answer) => setSeries(answer.series),
      () => undefined,
    );
  }, [refresh]);

  useEffect(() => {
    const element = holder.current;
    if (element === null || series.length === 0) return undefined;
    // uPlot wants one x axis: every run's end time, with gaps where a command did not run.
    const times = [...new Set(series.flatMap((one) => one.runs.map((run) => run[0] / 1000)))].sort(
      (a, b) => a - b,
    );
    const columns = series.map((one) => {
      const at = new Map(one.runs.map((run) => [run[0] / 1000, run[1]]));
      return times.map((time) => at.get(time) ?? null);
    });
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 180,
        series: [
          {},
          ...series.map((one, index) => ({
            label: one.command.length > 40 ? `${one.command.slice(0, 39)}…` : one.command,
            stroke: COLOURS[index % COLOURS.length],
            spanGaps: true,
            points: { show: true },
          })),
        ],
        axes: [{}, { label: 'seconds' }],
      },
      [times, ...columns] as uPlot.AlignedData,
      element,
    );
    return () => plot.destroy();
  }, [series]);

  if (series.length === 0) return null;
  return (
    <section class="chart">
      <h3>durations of repeated commands</h3>
      <div ref={holder} data-testid="durations-chart" />
    </section>
  );
}
