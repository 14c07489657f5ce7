/** Latency distribution of one measured run, in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest sample with at least
 * `p` percent of samples at or below it. No interpolation, so every reported value
 * was actually observed.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  if (p >= 100) return sorted[sorted.length - 1] as number;
  // The epsilon keeps float error (99.9 / 100 * 1000 = 999.0000000000001) from skipping a rank.
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.max(0, rank - 1)] as number;
}

/** Summarises samples without mutating them; an empty input gives NaN fields and count 0. */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    min: percentileOfSorted(sorted, 0),
    mean: sorted.length === 0 ? Number.NaN : total / sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: percentileOfSorted(sorted, 100),
  };
}

/** Subtracts a fixed cost (e.g. the engine's deliberate delay) from every field but the count. */
export function shiftSummary(summary: LatencySummary, byMs: number): LatencySummary {
  return {
    count: summary.count,
    min: summary.min - byMs,
    mean: summary.mean - byMs,
    p50: summary.p50 - byMs,
    p95: summary.p95 - byMs,
    p99: summary.p99 - byMs,
    max: summary.max - byMs,
  };
}
