import type { HistorySeries } from '@imageforge/ops';

/** Keeps the newest `points` buckets of every series: the last hour of minutes, the last day of hours. */
export function trimHistory(history: HistorySeries, points: number): HistorySeries {
  const series: HistorySeries['series'] = {};
  for (const [name, buckets] of Object.entries(history.series)) series[name] = buckets.slice(-points);
  return { resolution: history.resolution, series };
}
